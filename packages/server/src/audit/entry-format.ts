/**
 * Turning one request's audit input into the bytes one device writes: HMACs
 * under the device's salt, its format and prefix, and its exclusions. The
 * broker uses it for devices it writes itself, and the audit worker thread
 * for the devices it hosts, so both write identical entries.
 */
import type { AuditPlugin } from '@coffer/sdk';
import type { Exclusion } from './exclusion.js';
import { applyExclusions } from './exclusion.js';
import { buildRequestEntry, buildResponseEntry, JsonBlockCache, parseFormatConfig, serializeEntryText, serializeJsonEntry, type FormatConfig } from './format.js';
import { AuditHasher } from './hmac.js';
import type { AuditResponseInput } from './input.js';
import { filterFields, parseRoutingConfig } from './routing.js';

/** The kind of a request's entry: before it runs, or after. */
export type EntryKind = 'request' | 'response';

/** One device's settings for building its entries. */
export interface DeviceFormat {
  hasher: AuditHasher;
  config: FormatConfig;
  exclusions: readonly Exclusion[];
  /** Blocks serialized for earlier entries, reused by entries in the `json` format. */
  blocks: JsonBlockCache;
}

/** Returns a device's entry settings from its salt and its table options. */
export function deviceFormat(salt: Uint8Array, options: Readonly<Record<string, string>>): DeviceFormat {
  return {
    hasher: new AuditHasher(Buffer.from(salt)),
    config: parseFormatConfig(options),
    exclusions: parseRoutingConfig(options).exclusions,
    blocks: new JsonBlockCache(),
  };
}

/** Returns the options that `plugin` itself takes, without the common ones the broker handles. */
export function pluginOptions(plugin: AuditPlugin, options: Readonly<Record<string, string>>): Record<string, string> {
  const own: Record<string, string> = {};
  for (const [name, value] of Object.entries(options)) {
    if (plugin.settings.includes(name)) own[name] = value;
  }
  return own;
}

/**
 * Tells whether the entry must be durable before the broker goes on. A request's
 * entry need not be: its response entry follows, and the durable write of
 * that one covers both. A request entry with an error has no response
 * entry after it, so it must be durable itself.
 */
export function mustBeDurable(kind: EntryKind, input: AuditResponseInput): boolean {
  return kind === 'response' || (input.error !== undefined && input.error !== '');
}

/** Builds and serializes the `kind` entry of `input` for one device, stamped with `now`. */
export function formatEntry(kind: EntryKind, input: AuditResponseInput, now: Date, format: DeviceFormat): Buffer {
  return Buffer.from(formatEntryText(kind, input, now, format), 'utf8');
}

/** Like `formatEntry`, returning the line as a string. */
export function formatEntryText(kind: EntryKind, input: AuditResponseInput, now: Date, format: DeviceFormat): string {
  if (format.config.format === 'json' && format.exclusions.length === 0) {
    return `${format.config.prefix}${serializeJsonEntry(kind, input, now, format.hasher, format.config, format.blocks)}\n`;
  }
  const entry = kind === 'request' ? buildRequestEntry(input, format.hasher, format.config, now) : buildResponseEntry(input, format.hasher, format.config, now);
  const written = format.exclusions.length === 0 ? entry : applyExclusions(entry, filterFields(input), format.exclusions);
  return serializeEntryText(written, format.config);
}
