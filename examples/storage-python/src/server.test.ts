/**
 * plugin.py as the storage of a real Coffer server: init, unseal, a KV
 * write, then a restart of the server on the same file and a read.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '@coffer/server';
import { installPythonPlugin, PLUGIN_SCRIPT, PYTHON, type InstalledPlugin } from './python-plugin.js';
import { PLUGIN_NAME } from './wire-storage.js';

interface HttpResult {
  status: number;
  /** Parsed JSON, or `null` for an empty body. */
  body: any;
}

async function call(server: RunningServer, method: string, path: string, body?: unknown, token?: string): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers['X-Vault-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${server.address}/v1/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

/** True while `pid` runs; a zombie has exited and counts as gone. */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processRuns(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

describe('sqlite-py as server storage', () => {
  let installed: InstalledPlugin;
  let configPath: string;
  const silent = { write: () => true };

  before(async () => {
    installed = await installPythonPlugin(PLUGIN_NAME);
    configPath = join(installed.workDirectory, 'config.hcl');
    await writeFile(
      configPath,
      [
        `plugin_directory = "${installed.pluginDirectory}"`,
        `storage "${PLUGIN_NAME}" {`,
        `  plugin_sha256 = "${installed.sha256}"`,
        `  path = "${join(installed.workDirectory, 'data', 'coffer.db')}"`,
        '}',
        'listener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}',
      ].join('\n'),
    );
  });
  after(async () => {
    await rm(installed.workDirectory, { recursive: true, force: true });
  });

  test('plugin refuses to run by hand', () => {
    const run = spawnSync(PYTHON, [PLUGIN_SCRIPT], { encoding: 'utf8', env: {} });
    assert.equal(run.status, 1);
    assert.equal(run.stderr, 'this is a Coffer storage plugin; name it in a storage stanza of the server configuration instead of running it by hand\n');
    assert.equal(run.stdout, '');
  });

  test('secret survives a server restart', async () => {
    const start = () => startServer({ configPaths: [configPath], pluginStartTimeoutMs: 20_000, logDestination: silent });
    let server: RunningServer | undefined = await start();
    try {
      const init = await call(server, 'PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
      assert.equal(init.status, 200, JSON.stringify(init.body));
      const key = init.body.keys_base64[0] as string;
      const rootToken = init.body.root_token as string;
      assert.equal((await call(server, 'PUT', 'sys/unseal', { key })).body.sealed, false);
      assert.equal((await call(server, 'POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } }, rootToken)).status, 204);
      const written = await call(server, 'PUT', 'secret/data/app', { data: { password: 'kept-by-python' } }, rootToken);
      assert.equal(written.status, 200, JSON.stringify(written.body));

      const [firstPid] = (await readFile(installed.pidFile, 'utf8')).trim().split('\n').map(Number);
      await server.close();
      server = undefined;
      assert.equal(await waitForExit(firstPid, 5000), true, 'closing the server stops the plugin');

      server = await start();
      assert.equal((await call(server, 'PUT', 'sys/unseal', { key })).body.sealed, false);
      const read = await call(server, 'GET', 'secret/data/app', undefined, rootToken);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.deepEqual(read.body.data.data, { password: 'kept-by-python' });
    } finally {
      await server?.close();
    }
  });
});
