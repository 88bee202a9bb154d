/**
 * The storage conformance suite: one set of cases that every storage
 * backend runs, built-in or a vendor's, so that all of them honour the
 * contract written on `Storage` in `@coffer/sdk`.
 *
 * @example
 * ```ts
 * // src/mystore.test.ts, compiled next to the plugin's index.js
 * import { join } from 'node:path';
 * import { runStorageConformance } from '@coffer/certify';
 *
 * runStorageConformance({
 *   name: 'mystore',
 *   module: new URL('./index.js', import.meta.url).href,
 *   settings: ({ dir }) => ({ path: join(dir, 'data') }),
 *   persistent: true,
 * });
 * ```
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { silentLogger, type ClosableStorage, type StoragePlugin } from '@coffer/sdk';
import {
  basicCases,
  concurrencyCases,
  durabilityCases,
  keyCases,
  listCases,
  valueCases,
  type CaseContext,
  type DeclareCase,
} from './cases.js';

/**
 * The stable id of each case, as {@link StorageConformanceOptions.skip}
 * takes it. Test titles may be reworded; these ids stay.
 */
export type StorageCase =
  | 'metadata'
  | 'missing key'
  | 'round trip'
  | 'overwrite'
  | 'delete'
  | 'delete missing'
  | 'key characters'
  | 'key and folder'
  | 'invalid keys'
  | 'empty value'
  | 'large value'
  | 'binary value'
  | 'value copies'
  | 'list depths'
  | 'list empty'
  | 'list order'
  | 'folder removal'
  | 'concurrent writers'
  | 'persistence'
  | 'crash';

/** A scratch folder that the suite makes for one case and removes after it. */
export interface StorageScratch {
  /** Absolute path of an empty folder, private to the case. */
  dir: string;
}

/** How to run the conformance suite against one backend. */
export interface StorageConformanceOptions {
  /** The backend's name, shown in every test name, e.g. `sqlite`. */
  name: string;
  /**
   * Module specifier of the plugin, imported by the suite and by the crash
   * case's child process: an absolute `file:` URL (for a test file compiled
   * next to the plugin, `new URL('./index.js', import.meta.url).href`) or a
   * package name that `@coffer/certify` can resolve. The child runs under
   * plain `node` with the parent's environment, so a module that needs a
   * loader gets it through `NODE_OPTIONS`.
   */
  module: string;
  /** Name of the export holding the `StoragePlugin`; `plugin` by default. */
  exportName?: string;
  /**
   * Returns the settings for one case. Each call must name storage of its
   * own, empty until the case writes to it; the scratch folder helps with
   * that. The suite passes the same settings to every `create` of a case,
   * including the child process of the crash case, so they must be plain
   * strings that survive JSON.
   */
  settings(scratch: StorageScratch): Record<string, string> | Promise<Record<string, string>>;
  /**
   * Called after each case with its settings, for storage that lives outside
   * the scratch folder (a database, a schema). Optional.
   */
  cleanup?(settings: Record<string, string>): void | Promise<void>;
  /**
   * Whether entries survive `close` and a new `create` with the same
   * settings. When false, the persistence and crash cases are skipped with
   * that reason.
   */
  persistent: boolean;
  /**
   * Cases to skip, each with the reason shown in the report, for a backend
   * that cannot meet one by design (say, a value size limit). Use sparingly:
   * a skipped case is a documented gap.
   */
  skip?: Partial<Record<StorageCase, string>>;
}

/**
 * Declares the storage conformance suite for one backend with `node:test`:
 * one `describe` named after the backend, one `test` per case. Call it at
 * the top level of a test file; every case makes fresh storage through
 * `options.settings` and closes it at the end.
 *
 * Cases that `options.persistent` or `options.skip` rule out are reported as
 * skipped with their reason, never silently left out.
 */
export function runStorageConformance(options: StorageConformanceOptions): void {
  const exportName = options.exportName ?? 'plugin';
  let plugin: StoragePlugin;

  const notPersistent = options.persistent ? undefined : `"${options.name}" keeps nothing across close (persistent: false)`;

  const declare: DeclareCase = (id, title, body, caseOptions = {}) => {
    const skip = options.skip?.[id] ?? caseOptions.skip;
    if (skip !== undefined) {
      test(title, { skip });
      return;
    }
    test(title, { timeout: caseOptions.timeout ?? 60_000 }, () => runCase(body));
  };

  /** Runs one case body on fresh storage in a scratch folder, and cleans up after it. */
  async function runCase(body: Parameters<DeclareCase>[2]): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'coffer-storage-'));
    const settings = await options.settings({ dir });
    const open = new Set<ClosableStorage>();
    const context: CaseContext = {
      settings,
      async open() {
        const storage = await plugin.create(settings, { logger: silentLogger });
        open.add(storage);
        return storage;
      },
      async close(storage) {
        open.delete(storage);
        await storage.close();
      },
    };
    try {
      await body(await context.open(), context);
    } finally {
      for (const storage of open) await storage.close();
      await options.cleanup?.(settings);
      await rm(dir, { recursive: true, force: true });
    }
  }

  describe(`storage conformance: ${options.name}`, () => {
    before(async () => {
      const loaded = (await import(options.module)) as Record<string, unknown>;
      plugin = loaded[exportName] as StoragePlugin;
      assert.ok(plugin, `module "${options.module}" has no export "${exportName}"`);
    });

    test('plugin declares storage metadata', { skip: options.skip?.metadata }, () => {
      assert.equal(plugin.kind, 'storage');
      assert.match(plugin.name, /^[a-z][a-z0-9-]*$/);
      assert.match(plugin.version, /^\d+\.\d+\.\d+/);
      assert.match(plugin.sdkVersion, /^\d+\.\d+\.\d+/);
      assert.ok(Array.isArray(plugin.settings), 'settings must list the accepted setting names');
      for (const name of plugin.settings) assert.equal(typeof name, 'string');
      assert.equal(typeof plugin.create, 'function');
    });

    basicCases(declare);
    keyCases(declare);
    valueCases(declare);
    listCases(declare);
    concurrencyCases(declare);
    durabilityCases(declare, { module: options.module, exportName }, notPersistent);
  });
}
