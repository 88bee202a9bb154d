// The tunable `config` settings of a mount, shared by `secrets enable` and
// `tune` and by `auth enable` and `tune`, which send them to sys/mounts and
// sys/auth in the same shape.
import type { FlagSpec, ParsedFlags } from '../flags.js';
import { formatGoDuration } from '../flags.js';

/** Words that fit the flag help to one kind of mount. */
export interface MountWords {
  /** Subject of the TTL flags, such as "the tokens this auth method issues". */
  ttlSubject: string;
  /** The mount, such as "auth method" or "secrets engine". */
  mount: string;
}

/** Returns the flags of the tunable settings. `ttlNote` explains a missing TTL flag and its special values. */
export function mountConfigFlags(words: MountWords, ttlNote: string): FlagSpec[] {
  return [
    {
      name: 'default-lease-ttl',
      kind: 'duration',
      usage: `Default TTL of ${words.ttlSubject}, such as 30m or 24h. ${ttlNote}`,
    },
    {
      name: 'max-lease-ttl',
      kind: 'duration',
      usage: `Maximum TTL of ${words.ttlSubject}, such as 30m or 24h. ${ttlNote}`,
    },
    {
      name: 'listing-visibility',
      kind: 'string',
      usage: `Visibility of the ${words.mount} in the listing that the UI reads from sys/internal/ui/mounts: "unauth" lists it, "hidden" does not.`,
    },
    {
      name: 'audit-non-hmac-request-keys',
      kind: 'list',
      usage: 'Key of the request data that audit devices log in clear, not as an HMAC. Repeat the flag or separate keys with commas.',
    },
    {
      name: 'audit-non-hmac-response-keys',
      kind: 'list',
      usage: 'Key of the response data that audit devices log in clear, not as an HMAC. Repeat the flag or separate keys with commas.',
    },
    {
      name: 'passthrough-request-headers',
      kind: 'list',
      usage: `Request header passed on to the ${words.mount}. Repeat the flag or separate names with commas.`,
    },
    {
      name: 'allowed-response-headers',
      kind: 'list',
      usage: `Response header the ${words.mount} may set. Repeat the flag or separate names with commas.`,
    },
  ];
}

const listConfigFlags = ['audit-non-hmac-request-keys', 'audit-non-hmac-response-keys', 'passthrough-request-headers', 'allowed-response-headers'];

/** Formats a TTL flag as the API takes it. A negative value requests the system default, as Vault's CLI sends it. */
function ttlValue(seconds: number): string {
  return seconds < 0 ? 'system' : formatGoDuration(seconds);
}

/**
 * Builds the tunable settings from the flags that were given, with the API's
 * snake_case names. `skipZeroTtl` leaves out a TTL of 0, which the tune
 * commands take as "unchanged", as Vault's CLI does.
 */
export function mountConfigFromFlags(flags: ParsedFlags, skipZeroTtl: boolean): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const name of ['default-lease-ttl', 'max-lease-ttl']) {
    const seconds = flags.duration(name);
    if (seconds === undefined || (skipZeroTtl && seconds === 0)) continue;
    config[name.replaceAll('-', '_')] = ttlValue(seconds);
  }
  if (flags.has('listing-visibility')) config.listing_visibility = flags.string('listing-visibility');
  for (const name of listConfigFlags) {
    if (flags.has(name)) config[name.replaceAll('-', '_')] = flags.list(name);
  }
  return config;
}
