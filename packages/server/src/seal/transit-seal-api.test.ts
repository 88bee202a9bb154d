import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startServer, type RunningServer } from '../server.js';
import { api } from '../testing/api-client.js';

const RETRY = { initialMs: 50, maxMs: 200 };
const silent = { write: () => true };

/** Returns a loopback port that was free a moment ago, so a server can be restarted on the same address. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await delay(25);
  }
  assert.fail(`timed out waiting for ${what}`);
}

function listenerStanza(address: string): string {
  return `listener "tcp" {\n  address = "${address}"\n  tls_disable = true\n}\n`;
}

describe('transit auto-unseal against a second server', () => {
  let directory: string;
  let providerConfig: string;
  let sealedConfig: string;
  let provider: RunningServer | undefined;
  let sealed: RunningServer | undefined;
  let providerUnsealKey: string;
  let sealToken: string;
  let providerRoot: string;
  let rootToken: string;
  const logLines: string[] = [];

  const startProvider = async (): Promise<RunningServer> => {
    provider = await startServer({ configPaths: [providerConfig], logDestination: silent });
    return provider;
  };
  const startSealed = async (): Promise<RunningServer> => {
    const log = { write: (line: string) => logLines.push(line) > 0 };
    sealed = await startServer({ configPaths: [sealedConfig], logDestination: log, autoUnsealRetry: RETRY });
    return sealed;
  };
  const isSealed = async (): Promise<boolean> => (await api(sealed!, 'GET', 'sys/seal-status')).body.sealed;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'coffer-transit-seal-'));
    const port = await freePort();
    providerConfig = join(directory, 'provider.hcl');
    await writeFile(providerConfig, `storage "file" {\n  path = "${join(directory, 'provider')}"\n}\n${listenerStanza(`127.0.0.1:${port}`)}`);

    // The provider: a Shamir-sealed server with a transit key and a token that may only use it.
    await startProvider();
    const init = await api(provider!, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    providerUnsealKey = init.body.keys[0];
    providerRoot = init.body.root_token;
    await api(provider!, 'PUT', 'sys/unseal', { body: { key: providerUnsealKey } });
    assert.equal((await api(provider!, 'POST', 'sys/mounts/transit', { token: providerRoot, body: { type: 'transit' } })).status, 204);
    assert.equal((await api(provider!, 'POST', 'transit/keys/autounseal', { token: providerRoot, body: {} })).status, 200);
    const policy = [
      'path "transit/encrypt/autounseal" { capabilities = ["update"] }',
      'path "transit/decrypt/autounseal" { capabilities = ["update"] }',
      'path "transit/keys/autounseal" { capabilities = ["read"] }',
    ].join('\n');
    assert.equal((await api(provider!, 'PUT', 'sys/policies/acl/autounseal', { token: providerRoot, body: { policy } })).status, 204);
    const created = await api(provider!, 'POST', 'auth/token/create', { token: providerRoot, body: { policies: ['autounseal'], no_default_policy: true } });
    assert.equal(created.status, 200);
    sealToken = created.body.auth.client_token;

    sealedConfig = join(directory, 'sealed.hcl');
    await writeFile(
      sealedConfig,
      [
        `storage "file" {\n  path = "${join(directory, 'sealed')}"\n}`,
        `seal "transit" {`,
        `  address = "${provider!.address}"`,
        `  token = "${sealToken}"`,
        `  key_name = "autounseal"`,
        `  mount_path = "transit/"`,
        `}`,
        listenerStanza('127.0.0.1:0'),
      ].join('\n'),
    );
  });
  after(async () => {
    await sealed?.close();
    await provider?.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('init returns recovery keys and unseals', async () => {
    await startSealed();
    const before = await api(sealed!, 'GET', 'sys/seal-status');
    assert.equal(before.body.type, 'transit');
    assert.equal(before.body.recovery_seal, true);

    // Older CLI versions send only the secret fields; they count recovery keys here.
    const init = await api(sealed!, 'PUT', 'sys/init', { body: { secret_shares: 3, secret_threshold: 2 } });
    assert.equal(init.status, 200);
    assert.deepEqual(init.body.keys, []);
    assert.equal(init.body.recovery_keys.length, 3);
    rootToken = init.body.root_token;

    const status = await api(sealed!, 'GET', 'sys/seal-status');
    assert.equal(status.body.sealed, false);
    assert.equal(status.body.t, 2);
    assert.equal(status.body.n, 3);
    assert.equal((await api(sealed!, 'POST', 'sys/mounts/secret', { token: rootToken, body: { type: 'kv' } })).status, 204);
    assert.equal((await api(sealed!, 'PUT', 'secret/db', { token: rootToken, body: { user: 'app' } })).status, 204);
  });

  test('restart unseals through transit', async () => {
    await sealed!.close();
    await startSealed();
    await waitUntil(async () => !(await isSealed()), 'auto-unseal after restart');
    const read = await api(sealed!, 'GET', 'secret/db', { token: rootToken });
    assert.equal(read.status, 200);
    assert.equal(read.body.data.user, 'app');
  });

  test('provider down then back', async () => {
    await sealed!.close();
    await provider!.close();
    logLines.length = 0;

    await startSealed();
    const failures = (): Array<Record<string, any>> =>
      logLines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'auto-unseal failed; retrying');
    await waitUntil(async () => failures().length >= 2, 'two failures');
    assert.equal(await isSealed(), true);
    assert.match(failures()[0].err.message, /^the transit seal could not decrypt the wrapped root key: transit seal: decrypt failed: cannot reach the transit server \(ECONNREFUSED\)$/);

    // The provider runs again but is sealed, so transit returns 503 and the retries continue.
    await startProvider();
    const count = failures().length;
    await waitUntil(async () => failures().length > count, 'a failure while the provider is sealed');
    assert.match(failures().at(-1)!.err.message, /^the transit seal could not decrypt the wrapped root key: transit seal: decrypt failed: status 503: Vault is sealed$/);

    await api(provider!, 'PUT', 'sys/unseal', { body: { key: providerUnsealKey } });
    await waitUntil(async () => !(await isSealed()), 'auto-unseal once the provider is unsealed');
    assert.equal((await api(sealed!, 'GET', 'secret/db', { token: rootToken })).status, 200);
    for (const line of logLines) {
      assert.ok(!line.includes(sealToken), 'the transit token never reaches the log');
      assert.ok(!line.includes(provider!.address), 'the transit address never reaches the log');
    }
  });

  test('revoked token rejected', async () => {
    await sealed!.close();
    const revoked = await api(provider!, 'POST', 'auth/token/revoke', { token: providerRoot, body: { token: sealToken } });
    assert.equal(revoked.status, 204);
    logLines.length = 0;

    await startSealed();
    await waitUntil(async () => logLines.some((line) => line.includes('auto-unseal failed; retrying')), 'a failure');
    const failure = JSON.parse(logLines.find((line) => line.includes('auto-unseal failed; retrying'))!);
    assert.match(failure.err.message, /^the transit seal could not decrypt the wrapped root key: transit seal: decrypt failed: status 403: permission denied$/);
    assert.equal(await isSealed(), true);
  });
});
