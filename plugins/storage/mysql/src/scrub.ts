/**
 * Turns driver errors into errors that are safe to log and to wrap. The
 * password, user and host are replaced by placeholders. The original error
 * is not kept as `cause`, because the server's log serializer would print it.
 */
import type { MysqlSettings } from './settings.js';

/** Terms that must never appear in a message, taken from the settings. */
export interface ScrubTerms {
  password: string;
  user: string;
  hosts: string[];
}

/** Picks the terms to hide from checked settings. */
export function scrubTermsOf(settings: Pick<MysqlSettings, 'password' | 'username' | 'host'>): ScrubTerms {
  return { password: settings.password, user: settings.username, hosts: [settings.host] };
}

/** An IPv4 address, optionally with a port, as Node's socket errors print it. */
const IPV4_WITH_PORT = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g;
/** A bracketed or bare IPv6 address with a port, as in `connect ECONNREFUSED ::1:3306`. */
const IPV6_WITH_PORT = /\[?\b[0-9a-f]*:[0-9a-f:]*:[0-9a-f]*\]?:\d+\b/gi;
const ANY_URL = /\bmysql:\/\/\S+/gi;

/**
 * Returns `message` with every credential and host replaced. The longer
 * terms go first, so a password that contains the host is hidden whole.
 */
export function scrubMessage(message: string, terms: ScrubTerms): string {
  let scrubbed = message.replace(ANY_URL, '<address>');
  const literal: Array<[string, string]> = [[terms.password, '<password>'], ...terms.hosts.map((host): [string, string] => [host, '<host>']), [terms.user, '<user>']];
  literal.sort((a, b) => b[0].length - a[0].length);
  for (const [term, placeholder] of literal) {
    // One-letter terms would shred the message; a host or user that short is improbable.
    if (term.length < 2) continue;
    scrubbed = scrubbed.split(term).join(placeholder);
  }
  return scrubbed.replace(IPV6_WITH_PORT, '<host>').replace(IPV4_WITH_PORT, '<host>').replace(/<host>:\d+/g, '<host>');
}

/**
 * Wraps a driver error for the caller: `storage "mysql": <what>: <scrubbed message>`,
 * with the server's error name (such as `ER_ACCESS_DENIED_ERROR`) or Node's
 * error code appended when there is one.
 */
export function scrubbedError(what: string, err: unknown, terms: ScrubTerms): Error {
  const message = describe(err);
  const code = (err as { code?: unknown } | null)?.code;
  const suffix = typeof code === 'string' && code !== '' ? ` (code ${code})` : '';
  return new Error(`storage "mysql": ${what}: ${scrubMessage(message, terms)}${suffix}`);
}

/** Returns the message of an error. Node reports a failed connect to every address of a host as an AggregateError with an empty message. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.message !== '' || !(err instanceof AggregateError)) return err.message;
  return err.errors.map((inner: unknown) => (inner instanceof Error ? inner.message : String(inner))).join('; ');
}
