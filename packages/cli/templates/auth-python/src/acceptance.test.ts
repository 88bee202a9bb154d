/**
 * Runs plugin.py under a real Coffer dev server: generates the Python gRPC
 * modules from the SDK's .proto files, registers a launcher by SHA-256,
 * enables the auth method and logs in over HTTP. Needs /usr/bin/python3
 * with Debian's python3-grpcio, python3-grpc-tools and python3-cryptography.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '@coffer/server';
import { generateStubs, PYTHON } from './python-stubs.js';

const PLUGIN_SCRIPT = fileURLToPath(new URL('../plugin.py', import.meta.url));
const ROOT_TOKEN = 'root-acceptance';
const PASSWORD = 'correct horse battery staple';

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('__NAME__ under a real server', () => {
  let server: RunningServer;
  let workDirectory: string;
  const logLines: string[] = [];

  async function call(method: string, path: string, body?: unknown, token: string | null = ROOT_TOKEN) {
    const headers: Record<string, string> = {};
    if (token !== null) headers['X-Vault-Token'] = token;
    const response = await fetch(`${server.address}/v1/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  }

  before(async () => {
    workDirectory = await mkdtemp(join(tmpdir(), '__NAME__-'));
    const stubs = join(workDirectory, 'stubs');
    const plugins = join(workDirectory, 'plugins');
    await mkdir(stubs);
    await mkdir(plugins);
    generateStubs(stubs);
    const launcher = join(plugins, '__NAME__');
    await writeFile(launcher, `#!/bin/sh\nPYTHONPATH='${stubs}' exec ${PYTHON} '${PLUGIN_SCRIPT}'\n`);
    await chmod(launcher, 0o755);

    server = await startServer({
      dev: true,
      devListenAddress: '127.0.0.1:0',
      devRootTokenId: ROOT_TOKEN,
      devPluginDirectory: plugins,
      pluginStartTimeoutMs: 20_000,
      logDestination: { write: (line: string) => logLines.push(line) },
    });
    const registered = await call('PUT', 'sys/plugins/catalog/auth/__NAME__', { sha256: sha256Hex(await readFile(launcher)), command: '__NAME__' });
    assert.equal(registered.status, 204, JSON.stringify(registered.body));
  });

  after(async () => {
    await server?.close();
    await rm(workDirectory, { recursive: true, force: true });
  });

  test('enable and log in', async () => {
    const users = { alice: { password_sha256: sha256Hex(PASSWORD), policies: ['dev'] } };
    const enabled = await call('POST', 'sys/auth/__NAME__', { type: '__NAME__', options: { users: JSON.stringify(users) } });
    assert.equal(enabled.status, 204, `${JSON.stringify(enabled.body)}\n${logLines.join('')}`);

    const login = await call('POST', 'auth/__NAME__/login', { username: 'alice', password: PASSWORD }, null);
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.deepEqual([...login.body.auth.policies].sort(), ['default', 'dev']);
    assert.equal(login.body.auth.lease_duration, 3600);

    const wrong = await call('POST', 'auth/__NAME__/login', { username: 'alice', password: 'guess' }, null);
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body, { errors: ['invalid username or password'] });
  });
});
