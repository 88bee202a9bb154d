/**
 * Runs the built plugin (dist/index.js) as the seal of a real Coffer
 * server: initializes it with recovery keys, restarts it and checks that it
 * unseals itself. Build first.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startServer, type RunningServer } from '@coffer/server';

async function call(server: RunningServer, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token !== undefined) headers['X-Vault-Token'] = token;
  const response = await fetch(`${server.address}/v1/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

describe('__NAME__ as the seal of a real server', () => {
  let dir: string;
  let configFile: string;
  let server: RunningServer | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), '__NAME__-acceptance-'));
    const plugins = join(dir, 'plugins');
    await mkdir(plugins);
    // Coffer runs the plugin with an empty environment, so the launcher names node by its absolute path.
    const launcher = join(plugins, '__NAME__');
    await writeFile(launcher, `#!/bin/sh\nexec '${process.execPath}' '${fileURLToPath(new URL('./index.js', import.meta.url))}'\n`);
    await chmod(launcher, 0o755);
    const sha256 = createHash('sha256').update(await readFile(launcher)).digest('hex');
    await writeFile(join(dir, 'seal.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
    configFile = join(dir, 'server.hcl');
    await writeFile(
      configFile,
      `plugin_directory = "${plugins}"
storage "file" {
  path = "${join(dir, 'data')}"
}
seal "__NAME__" {
  plugin_sha256 = "${sha256}"
  key_file      = "${join(dir, 'seal.key')}"
}
listener "tcp" {
  address     = "127.0.0.1:0"
  tls_disable = true
}
`,
    );
  });

  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (): Promise<RunningServer> => {
    server = await startServer({ configPaths: [configFile], logDestination: { write: () => true }, autoUnsealRetry: { initialMs: 100, maxMs: 500 } });
    return server;
  };

  test('init, restart and auto-unseal', async () => {
    let running = await start();
    const init = await call(running, 'PUT', 'sys/init', { recovery_shares: 1, recovery_threshold: 1 });
    assert.equal(init.status, 200, JSON.stringify(init.body));
    assert.equal(init.body.recovery_keys.length, 1);
    assert.equal((await call(running, 'GET', 'sys/seal-status')).body.type, '__NAME__');
    await running.close();

    running = await start();
    for (let tries = 0; (await call(running, 'GET', 'sys/seal-status')).body.sealed; tries++) {
      assert.ok(tries < 100, 'the server did not unseal itself within 10 s');
      await delay(100);
    }
    const self = await call(running, 'GET', 'auth/token/lookup-self', undefined, init.body.root_token);
    assert.equal(self.status, 200);
  });
});
