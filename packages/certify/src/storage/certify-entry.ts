/**
 * The test file that `coffer plugin certify` runs under `node --test` for a
 * storage plugin: the storage conformance suite and the HA checks, against
 * the module and settings given in the environment variable
 * COFFER_CERTIFY_STORAGE as JSON ({@link StorageCertifyInput}).
 */
import { describe, test } from 'node:test';
import { runStorageConformance, type StorageCase } from './suite.js';

/** The JSON in COFFER_CERTIFY_STORAGE. */
export interface StorageCertifyInput {
  /** `file:` URL of the plugin's module, which exports `plugin`. */
  module: string;
  /** Settings of each case; `{{dir}}` stands for the case's scratch folder. */
  settings: Record<string, string>;
  persistent: boolean;
  /** Whether the plugin claims an HA lock. */
  ha: boolean;
  skip?: Partial<Record<StorageCase, string>>;
}

const raw = process.env.COFFER_CERTIFY_STORAGE;
if (raw === undefined) throw new Error('COFFER_CERTIFY_STORAGE is not set; coffer plugin certify sets it');
const input = JSON.parse(raw) as StorageCertifyInput;

runStorageConformance({
  name: 'plugin',
  module: input.module,
  settings: ({ dir }) => Object.fromEntries(Object.entries(input.settings).map(([name, value]) => [name, value.replaceAll('{{dir}}', dir)])),
  persistent: input.persistent,
  ...(input.skip !== undefined ? { skip: input.skip } : {}),
});

describe('storage ha', () => {
  const notClaimed = input.ha ? undefined : 'the plugin does not claim HA (certify { storage { ha = true } } is not set)';
  test('ha lock: one holder at a time, released on close', { skip: notClaimed }, () => {
    // TODO: check lock exclusion and release once the SDK defines an HA lock interface for storage plugins.
    throw new Error('the SDK defines no HA lock interface yet, so an HA claim cannot be verified; remove ha = true');
  });
});
