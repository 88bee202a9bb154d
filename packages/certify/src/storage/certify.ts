/**
 * Runs the storage suite against a plugin module in a child `node --test`
 * and turns its tests into check results. The child imports a module that
 * exports `plugin`: the plugin's own module, or an adapter that reaches the
 * plugin process over the wire.
 */
import { spawn } from 'node:child_process';
import type { CheckResult, SuiteResult } from '../check.js';
import type { ReportedTest } from './reporter.js';
import type { StorageCertifyInput } from './certify-entry.js';

/** The `certify { storage { ... } }` block of an integration.hcl. */
export interface StorageDescription {
  settings: Record<string, string>;
  persistent: boolean;
  ha?: boolean;
  skip?: Record<string, string>;
}

/** Result of a storage run, with the child's raw output for the bundle. */
export interface StorageRun {
  suite: SuiteResult;
  output: string;
}

/** Options of a run whose module reaches the plugin over the wire. */
export interface StorageWireOptions {
  /** Environment variables the adapter module reads, such as the launcher's location. */
  env: Record<string, string>;
}

/**
 * Runs the suite against `moduleUrl` (a `file:` URL exporting `plugin`).
 * With `wire`, that module is an adapter that opens each store in a plugin
 * process over the wire, and the HA check is skipped with the reason.
 * Every test is a required check named after its title.
 */
export async function runStorageSuite(plugin: string, moduleUrl: string, description: StorageDescription, wire?: StorageWireOptions): Promise<StorageRun> {
  const input: StorageCertifyInput = {
    name: plugin,
    module: moduleUrl,
    settings: description.settings,
    persistent: description.persistent,
    ha: description.ha === true,
    wire: wire !== undefined,
    ...(description.skip !== undefined ? { skip: description.skip as StorageCertifyInput['skip'] } : {}),
  };
  const entry = new URL('./certify-entry.js', import.meta.url).pathname;
  const reporter = new URL('./reporter.js', import.meta.url).href;
  // NODE_TEST_CONTEXT marks a child of a running `node --test`, which would then skip the suite; this run is a test run of its own.
  const { NODE_TEST_CONTEXT: _parentTestRun, ...environment } = process.env;
  const child = spawn(process.execPath, ['--test', `--test-reporter=${reporter}`, '--test-reporter-destination=stdout', entry], {
    env: { ...environment, ...(wire?.env ?? {}), COFFER_CERTIFY_STORAGE: JSON.stringify(input) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  await new Promise<void>((resolve) => child.on('close', () => resolve()));

  const results: CheckResult[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const reported = JSON.parse(line) as ReportedTest;
    // Nesting 0 is a describe block around the cases. It fails on its own
    // only when its setup failed, such as the import of the plugin module.
    if (reported.nesting === 0) {
      if (reported.status === 'failed' && !/^\d+ subtests? failed$/.test(reported.message ?? '')) {
        results.unshift({ id: 'load', title: `${reported.name}: the plugin module loads`, required: true, status: 'failed', message: reported.message ?? 'failed', durationMs: 0 });
      }
      continue;
    }
    const result: CheckResult = { id: slug(reported.name), title: reported.name, required: true, status: reported.status, durationMs: reported.durationMs };
    if (reported.message !== undefined) result.message = reported.message;
    results.push(result);
  }
  if (results.length === 0) {
    results.push({ id: 'load', title: 'the suite loads the plugin module', required: true, status: 'failed', message: `the storage suite reported no tests: ${stderr.slice(0, 2000)}`, durationMs: 0 });
  }
  return { suite: { suite: 'storage', plugin, results }, output: stdout + stderr };
}

function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
