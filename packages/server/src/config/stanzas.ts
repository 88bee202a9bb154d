/** Decoding of the `storage` (or `backend`) and `seal` stanzas. */
import { readLabeledBlocks } from './blocks.js';
import type { ConfigError } from './errors.js';
import type { Scope } from './scope.js';
import type { SealConfig, StorageConfig } from './types.js';
import { readBoolean, readSettingsMap } from './values.js';

/** A decoded value with a way to report a later problem at the place it was written. */
export interface Located<T> {
  value: T;
  /** The file the value came from. */
  file: string;
  fail(detail: string): ConfigError;
}

/**
 * Decodes a `storage` or `backend` stanza. Settings pass through as strings
 * because each storage backend checks its own.
 * @throws ConfigError when the stanza appears twice or has no type label.
 */
export function decodeStorage(scope: Scope, stanza: string, value: unknown): Located<StorageConfig> {
  const blocks = readLabeledBlocks(scope, stanza, value);
  const source = scope.source;

  if (blocks.length > 1) {
    const second = blocks[1];
    const offset = source.findBlock(stanza, second.label, second.occurrence);
    throw source.error(
      `found a second ${stanza} stanza ("${second.label}"), but only one storage stanza is allowed. Remove one of them.`,
      stanza,
      offset,
    );
  }

  const block = blocks[0];
  const offset = source.findBlock(stanza, block.label, block.occurrence);
  const blockScope = scope.block(stanza, block.label, offset);
  return {
    value: { type: block.label.toLowerCase(), settings: readSettingsMap(blockScope, block.body, 'json') },
    file: source.file,
    fail: (detail) => source.error(detail, stanza, offset),
  };
}

/**
 * Decodes every `seal` stanza of one file. The count and the `disabled`
 * rules are checked after all files are merged, as Vault does.
 * @throws ConfigError for a stanza without a type label, an ill-typed
 *   `disabled`, or a setting that is a list or block.
 */
export function decodeSeals(scope: Scope, value: unknown): Array<Located<SealConfig>> {
  const source = scope.source;
  return readLabeledBlocks(scope, 'seal', value).map((block) => {
    const offset = source.findBlock('seal', block.label, block.occurrence);
    const blockScope = scope.block('seal', block.label, offset);

    const { disabled: disabledSetting, ...rest } = block.body;
    const disabled = disabledSetting === undefined ? false : readBoolean(blockScope, 'disabled', disabledSetting);
    return {
      value: { type: block.label.toLowerCase(), disabled, settings: readSettingsMap(blockScope, rest, 'reject') },
      file: source.file,
      fail: (detail: string) => source.error(detail, 'seal', offset),
    };
  });
}
