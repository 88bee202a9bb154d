/**
 * The storage conformance suite of @coffer/certify against plugin.py, over
 * the wire: every case starts the Python plugin and talks to it through
 * Coffer's storage client.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after } from 'node:test';
import { runStorageConformance } from '@coffer/certify';
import { installPythonPlugin } from './python-plugin.js';
import { PLUGIN_NAME } from './wire-storage.js';

const installed = await installPythonPlugin(PLUGIN_NAME);
after(() => rm(installed.workDirectory, { recursive: true, force: true }));

runStorageConformance({
  name: PLUGIN_NAME,
  module: new URL('./wire-storage.js', import.meta.url).href,
  settings: ({ dir }) => ({ plugin_directory: installed.pluginDirectory, plugin_sha256: installed.sha256, path: join(dir, 'store.db') }),
  persistent: true,
});
