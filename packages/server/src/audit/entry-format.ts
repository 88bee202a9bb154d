/**
 * Turning one request's audit input into the bytes one device writes: HMACs
 * under the device's salt, its format and prefix, and its exclusions. The
 * broker uses it for devices it writes itself, and the audit worker thread
 * for the devices it hosts, so both write identical entries.
 */
import type { Exclusion } from './exclusion.js';
import { applyExclusions } from './exclusion.js';
import { buildRequestEntry, buildResponseEntry, serializeEntry, type FormatConfig } from './format.js';
import type { AuditHasher } from './hmac.js';
import type { AuditResponseInput } from './input.js';
import { filterFields } from './routing.js';

/** Which of a request's two entries to write. */
export type EntryKind = 'request' | 'response';

/** One device's settings for building its entries. */
export interface DeviceFormat {
  hasher: AuditHasher;
  config: FormatConfig;
  exclusions: readonly Exclusion[];
}

/**
 * Whether the entry must be durable before the broker goes on. A request's
 * entry need not be: its response entry follows, and the durable write of
 * that one covers both. A request entry with an error has no response
 * entry after it, so it must be durable itself.
 */
export function mustBeDurable(kind: EntryKind, input: AuditResponseInput): boolean {
  return kind === 'response' || (input.error !== undefined && input.error !== '');
}

/** Builds and serializes the `kind` entry of `input` for one device, stamped with `now`. */
export function formatEntry(kind: EntryKind, input: AuditResponseInput, now: Date, format: DeviceFormat): Buffer {
  const entry = kind === 'request' ? buildRequestEntry(input, format.hasher, format.config, now) : buildResponseEntry(input, format.hasher, format.config, now);
  const kept = format.exclusions.length === 0 ? entry : applyExclusions(entry, filterFields(input), format.exclusions);
  return serializeEntry(kept, format.config);
}
