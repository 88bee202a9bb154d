import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { openSoftHsm, SOFTHSM_LIBRARY, type SoftHsm } from '@coffer/seal-pkcs11/testing';
import { startServer, type RunningServer } from '../server.js';
import { api } from '../testing/api-client.js';
import { decodeToken } from './root-generation.js';

const PIN = '135790';
const RETRY = { initialMs: 50, maxMs: 200 };

/** Log lines a server wrote, parsed. */
class LogCapture {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly raw: string[] = [];

  write(line: string): boolean {
    this.raw.push(line);
    this.lines.push(JSON.parse(line));
    return true;
  }

  messages(): string[] {
    return this.lines.map((line) => String(line.msg));
  }
}

async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await delay(25);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('pkcs11 auto-unseal over HTTP', () => {
  let hsm: SoftHsm;
  let directory: string;
  let configPath: string;
  let server: RunningServer | undefined;
  let recoveryKeys: string[];
  let rootToken: string;

  const start = async (log: { write(line: string): boolean } = { write: () => true }): Promise<RunningServer> => {
    server = await startServer({ configPaths: [configPath], logDestination: log, autoUnsealRetry: RETRY });
    return server;
  };
  const stop = async (): Promise<void> => {
    await server?.close();
    server = undefined;
  };
  const sealed = async (): Promise<boolean> => (await api(server!, 'GET', 'sys/seal-status')).body.sealed;

  before(async () => {
    hsm = await openSoftHsm();
    await hsm.initToken('coffer-seal', PIN);
    directory = await mkdtemp(join(tmpdir(), 'coffer-auto-seal-'));
    configPath = join(directory, 'config.hcl');
    await writeFile(
      configPath,
      [
        `storage "file" {`,
        `  path = "${join(directory, 'data')}"`,
        `}`,
        `seal "pkcs11" {`,
        `  lib = "${SOFTHSM_LIBRARY}"`,
        `  token_label = "coffer-seal"`,
        `  pin = "${PIN}"`,
        `  key_label = "coffer-root"`,
        `  hmac_key_label = "coffer-hmac"`,
        `  generate_key = "true"`,
        `}`,
        `listener "tcp" {`,
        `  address = "127.0.0.1:0"`,
        `  tls_disable = true`,
        `}`,
        ``,
      ].join('\n'),
    );
  });
  after(async () => {
    await stop();
    await hsm.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('status before init', async () => {
    await start();
    const status = await api(server!, 'GET', 'sys/seal-status');
    assert.equal(status.status, 200);
    assert.equal(status.body.type, 'pkcs11');
    assert.equal(status.body.recovery_seal, true);
    assert.equal(status.body.initialized, false);
    assert.equal(status.body.sealed, true);
    assert.equal(status.body.t, 0);
  });

  test('init checks recovery counts', async () => {
    const missing = await api(server!, 'PUT', 'sys/init', { body: {} });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.errors, ['missing required field "recovery_shares"']);

    const tooHigh = await api(server!, 'PUT', 'sys/init', { body: { recovery_shares: 3, recovery_threshold: 4 } });
    assert.equal(tooHigh.status, 400);
    assert.deepEqual(tooHigh.body.errors, ['invalid "recovery_threshold" 4: must not exceed "recovery_shares" 3']);

    const stored = await api(server!, 'PUT', 'sys/init', { body: { recovery_shares: 3, recovery_threshold: 2, stored_shares: 2 } });
    assert.equal(stored.status, 400);
    assert.deepEqual(stored.body.errors, ['invalid "stored_shares" 2: the pkcs11 seal stores one key; use 1 or omit it']);
    assert.equal((await api(server!, 'GET', 'sys/init')).body.initialized, false);
  });

  test('init returns recovery keys and unseals', async () => {
    const init = await api(server!, 'PUT', 'sys/init', { body: { recovery_shares: 5, recovery_threshold: 3 } });
    assert.equal(init.status, 200);
    assert.deepEqual(init.body.keys, []);
    assert.deepEqual(init.body.keys_base64, []);
    assert.equal(init.body.recovery_keys.length, 5);
    assert.equal(init.body.recovery_keys_base64.length, 5);
    assert.equal(Buffer.from(init.body.recovery_keys_base64[1], 'base64').toString('hex'), init.body.recovery_keys[1]);
    recoveryKeys = init.body.recovery_keys;
    rootToken = init.body.root_token;

    const status = await api(server!, 'GET', 'sys/seal-status');
    assert.equal(status.body.sealed, false);
    assert.equal(status.body.initialized, true);
    assert.equal(status.body.t, 3);
    assert.equal(status.body.n, 5);
    assert.equal(status.body.recovery_seal, true);

    const mounted = await api(server!, 'POST', 'sys/mounts/secret', { token: rootToken, body: { type: 'kv' } });
    assert.equal(mounted.status, 204);
    const written = await api(server!, 'PUT', 'secret/app', { token: rootToken, body: { password: 'hunter2' } });
    assert.equal(written.status, 204);
  });

  test('restart unseals by itself', async () => {
    await stop();
    await start();
    await waitUntil(async () => !(await sealed()), 'auto-unseal after restart');
    const read = await api(server!, 'GET', 'secret/app', { token: rootToken });
    assert.equal(read.status, 200);
    assert.equal(read.body.data.password, 'hunter2');
  });

  test('recovery keys generate root', async () => {
    const started = await api(server!, 'PUT', 'sys/generate-root/attempt', { body: {} });
    assert.equal(started.status, 200);
    assert.equal(started.body.required, 3);
    const nonce: string = started.body.nonce;

    const forged = Buffer.from(recoveryKeys[2], 'hex');
    forged[5] ^= 0x0f;
    await api(server!, 'PUT', 'sys/generate-root/update', { body: { key: recoveryKeys[0], nonce } });
    await api(server!, 'PUT', 'sys/generate-root/update', { body: { key: recoveryKeys[1], nonce } });
    const wrong = await api(server!, 'PUT', 'sys/generate-root/update', { body: { key: forged.toString('hex'), nonce } });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body.errors, [
      'invalid recovery key shares: they do not combine to the recovery key; progress was reset, submit the correct shares again',
    ]);

    let last;
    for (const key of recoveryKeys.slice(2, 5)) last = await api(server!, 'PUT', 'sys/generate-root/update', { body: { key, nonce } });
    assert.equal(last?.body.complete, true);
    const token = decodeToken(last?.body.encoded_token, started.body.otp);
    const lookup = await api(server!, 'GET', 'auth/token/lookup-self', { token });
    assert.equal(lookup.status, 200);
    assert.deepEqual(lookup.body.data.policies, ['root']);
  });

  test('rekey is rejected', async () => {
    const response = await api(server!, 'PUT', 'sys/rekey/init', { body: { secret_shares: 3, secret_threshold: 2 } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, [
      'rekey is not supported with the "pkcs11" seal: the seal, not key shares, protects the root key; rekey the recovery keys with sys/rekey-recovery-key',
    ]);
  });

  test('manual seal then recovery unseal', async () => {
    const sealedResponse = await api(server!, 'PUT', 'sys/seal', { token: rootToken });
    assert.equal(sealedResponse.status, 204);
    await delay(RETRY.maxMs * 2);
    assert.equal(await sealed(), true, 'a manual seal is not undone by auto-unseal');

    let status = await api(server!, 'PUT', 'sys/unseal', { body: { key: recoveryKeys[4] } });
    assert.equal(status.body.progress, 1);
    status = await api(server!, 'PUT', 'sys/unseal', { body: { key: recoveryKeys[0] } });
    status = await api(server!, 'PUT', 'sys/unseal', { body: { key: recoveryKeys[3] } });
    assert.equal(status.status, 200);
    assert.equal(status.body.sealed, false);
    assert.equal((await api(server!, 'GET', 'secret/app', { token: rootToken })).status, 200);
  });

  test('unreachable token retried with backoff', async () => {
    await stop();
    // Moving the token's folder out of SoftHSM's token directory makes the
    // token absent, as an HSM that cannot be reached would be.
    const tokenDirectory = join(hsm.configPath, '..');
    const [tokenFolder] = (await readdir(tokenDirectory, { withFileTypes: true })).filter((entry) => entry.isDirectory());
    const hidden = join(directory, 'hidden-token');
    await rename(join(tokenDirectory, tokenFolder.name), hidden);

    const log = new LogCapture();
    await start(log);
    await waitUntil(async () => log.messages().filter((message) => message === 'auto-unseal failed; retrying').length >= 3, 'three failures');
    assert.equal(await sealed(), true);
    const failures = log.lines.filter((line) => line.msg === 'auto-unseal failed; retrying');
    assert.deepEqual(
      failures.slice(0, 3).map((line) => line.failures),
      [1, 2, 3],
    );
    assert.deepEqual(
      failures.slice(0, 3).map((line) => line.retryInMs),
      [50, 100, 200],
    );
    // pino's error serializer appends the message of the error's cause.
    assert.match(String((failures[0].err as { message: string }).message), /^the pkcs11 seal could not decrypt the wrapped root key: pkcs11 seal: decrypt failed: no token with label "coffer-seal" found\b/);

    await rename(hidden, join(tokenDirectory, tokenFolder.name));
    await waitUntil(async () => !(await sealed()), 'auto-unseal once the token is back');
    assert.ok(log.messages().includes('auto-unseal succeeded'));
    assert.equal((await api(server!, 'GET', 'secret/app', { token: rootToken })).status, 200);
    for (const line of log.raw) {
      assert.ok(!line.includes(PIN), 'the PIN never reaches the log');
      assert.ok(!line.includes(rootToken), 'the root token never reaches the log');
    }
  });

  test('config without seal is rejected', async () => {
    await stop();
    const shamirConfig = join(directory, 'shamir.hcl');
    await writeFile(
      shamirConfig,
      `storage "file" {\n  path = "${join(directory, 'data')}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`,
    );
    await assert.rejects(startServer({ configPaths: [shamirConfig], logDestination: { write: () => true } }), {
      message:
        'storage was initialized with the "pkcs11" seal, but the config has the "shamir" seal: configure the original seal, or migrate between them',
    });
  });
  test('deleted HSM key keeps the server sealed', async () => {
    await stop();
    // SoftHSM's file backend keeps each object in its own file beside
    // token.object, so removing those files deletes the keys from the token.
    const tokenDirectory = join(hsm.configPath, '..');
    const [tokenFolder] = (await readdir(tokenDirectory, { withFileTypes: true })).filter((entry) => entry.isDirectory());
    const folder = join(tokenDirectory, tokenFolder.name);
    const objects = (await readdir(folder)).filter((name) => name.endsWith('.object') && name !== 'token.object');
    assert.ok(objects.length >= 2, `expected the root and HMAC key objects, found ${objects.join(', ')}`);
    for (const name of objects) await rm(join(folder, name));
    // Without generate_key the seal must find the key it was initialized with.
    const keptKeyConfig = join(directory, 'kept-key.hcl');
    await writeFile(keptKeyConfig, (await readFile(configPath, 'utf8')).replace('  generate_key = "true"\n', ''));

    const log = new LogCapture();
    server = await startServer({ configPaths: [keptKeyConfig], logDestination: log, autoUnsealRetry: RETRY });
    await waitUntil(async () => log.messages().includes('auto-unseal failed; retrying'), 'a failed auto-unseal');

    assert.equal(await sealed(), true);
    const failure = log.lines.find((line) => line.msg === 'auto-unseal failed; retrying')!;
    assert.match(String((failure.err as { message: string }).message), /key "coffer-root" not found: create it in the HSM, or set generate_key = "true"/);
    await api(server!, 'PUT', 'sys/unseal', { body: { key: recoveryKeys[0] } });
    await api(server!, 'PUT', 'sys/unseal', { body: { key: recoveryKeys[1] } });
    const unseal = await api(server!, 'PUT', 'sys/unseal', { body: { key: recoveryKeys[2] } });
    assert.equal(unseal.status, 500, JSON.stringify(unseal.body));
    assert.match(unseal.body.errors[0], /key "coffer-root" not found/);
    assert.equal(await sealed(), true);
  });
});
