/**
 * The storage conformance suite against the test SQLite plugin, run out of
 * process: every case talks to a plugin process over gRPC.
 */
import { join } from 'node:path';
import { after } from 'node:test';
import { runStorageConformance } from '@coffer/certify';
import { makeTemporaryDirectory, removeDirectory, writeNodePlugin } from './test-support.js';
import { WIRE_PLUGIN_NAME } from './testdata/wire-storage-adapter.js';

const pluginDirectory = await makeTemporaryDirectory('coffer-storage-conformance-');
const sha256 = await writeNodePlugin(pluginDirectory, WIRE_PLUGIN_NAME, 'storage');
after(() => removeDirectory(pluginDirectory));

runStorageConformance({
  name: 'storage plugin over the wire',
  module: new URL('./testdata/wire-storage-adapter.js', import.meta.url).href,
  settings: ({ dir }) => ({ plugin_directory: pluginDirectory, plugin_sha256: sha256, path: join(dir, 'store.db') }),
  persistent: true,
});
