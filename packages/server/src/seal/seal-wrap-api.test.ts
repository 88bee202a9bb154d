// The keyring's seal wrap on a real server with a pkcs11 seal on SoftHSM2:
// what is stored, restart, rotation, snapshots, upgrades and tampering.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { openSoftHsm, SOFTHSM_LIBRARY, type SoftHsm } from '@coffer/seal-pkcs11/testing';
import { silentLogger } from '@coffer/sdk';
import { open } from '../barrier/aead.js';
import { KEYRING_PATH } from '../barrier/barrier.js';
import { encodeSealWrapped, isSealWrapped, parseSealWrapped, sealUnwrap } from '../barrier/seal-wrap.js';
import { builtinStorageBackends } from '../plugins.js';
import { startServer, type RunningServer } from '../server.js';
import { api } from '../testing/api-client.js';
import { AutoSeal } from './auto-seal.js';

const PIN = '864209';
const RETRY = { initialMs: 50, maxMs: 200 };

/** Log lines a server wrote, parsed. */
class LogCapture {
  readonly lines: Array<Record<string, any>> = [];

  write(line: string): boolean {
    this.lines.push(JSON.parse(line));
    return true;
  }
}

async function waitUntil(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await delay(25);
  }
}

describe('keyring seal wrap with pkcs11', () => {
  let hsm: SoftHsm;
  let directory: string;
  let configPath: string;
  let server: RunningServer | undefined;
  let recoveryKeys: string[];
  let token: string;
  let rootKey: Buffer;

  const start = async (log: { write(line: string): boolean } = { write: () => true }): Promise<RunningServer> => {
    server = await startServer({ configPaths: [configPath], logDestination: log, autoUnsealRetry: RETRY });
    return server;
  };
  const stop = async (): Promise<void> => {
    await server?.close();
    server = undefined;
  };
  const sealStatus = async (): Promise<Record<string, any>> => (await api(server!, 'GET', 'sys/seal-status')).body;
  const startUnsealed = async (): Promise<void> => {
    await start();
    await waitUntil(async () => (await sealStatus()).sealed === false, 'the auto-unseal');
  };
  const autoSeal = (): AutoSeal => {
    assert.ok(server!.core.seal instanceof AutoSeal);
    return server!.core.seal;
  };
  /** Reads the keyring as stored, below the barrier. */
  const storedKeyring = async (): Promise<Buffer> => {
    const entry = await server!.core.options.physical.get(KEYRING_PATH);
    assert.ok(entry !== null, 'the keyring is stored');
    return entry.value;
  };
  /** Decrypts a stored keyring with the running server's seal and the root key, and returns its active term. */
  const activeTerm = async (stored: Buffer): Promise<number> => {
    const encrypted = await sealUnwrap(autoSeal().wrapper, KEYRING_PATH, stored);
    return (JSON.parse(open(rootKey, encrypted, KEYRING_PATH).toString('utf8')) as { activeTerm: number }).activeTerm;
  };
  /** Opens the stopped server's storage, runs `change` on it and closes it. */
  const withStorage = async (change: (storage: Awaited<ReturnType<typeof openStorage>>) => Promise<void>): Promise<void> => {
    assert.equal(server, undefined, 'the server is stopped');
    const storage = await openStorage();
    try {
      await change(storage);
    } finally {
      await storage.close();
    }
  };
  const openStorage = () => builtinStorageBackends.get('file')!.create({ path: join(directory, 'data') }, { logger: silentLogger });
  const readSecret = async (name: string): Promise<number | string> => {
    const read = await api(server!, 'GET', `secret/${name}`, { token });
    return read.status === 200 ? read.body.data.value : read.status;
  };

  before(async () => {
    hsm = await openSoftHsm();
    await hsm.initToken('coffer-wrap', PIN);
    directory = await mkdtemp(join(tmpdir(), 'coffer-seal-wrap-'));
    configPath = join(directory, 'config.hcl');
    const lines = ['storage "file" {', `  path = "${join(directory, 'data')}"`, '}'];
    lines.push('seal "pkcs11" {', `  lib = "${SOFTHSM_LIBRARY}"`, '  token_label = "coffer-wrap"', `  pin = "${PIN}"`);
    lines.push('  key_label = "coffer-root"', '  hmac_key_label = "coffer-hmac"', '  generate_key = "true"', '}');
    lines.push('listener "tcp" {', '  address = "127.0.0.1:0"', '  tls_disable = true', '}', '');
    await writeFile(configPath, lines.join('\n'));
  });
  after(async () => {
    await stop();
    await hsm.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('init stores the keyring wrapped', async () => {
    await start();
    const init = await api(server!, 'PUT', 'sys/init', { body: { recovery_shares: 3, recovery_threshold: 2 } });
    assert.equal(init.status, 200);
    recoveryKeys = init.body.recovery_keys_base64;
    token = init.body.root_token;
    const status = await sealStatus();
    assert.equal(status.type, 'pkcs11');
    assert.equal(status.sealed, false);

    rootKey = await autoSeal().unwrapRootKey();
    const stored = await storedKeyring();
    assert.equal(isSealWrapped(stored), true);
    assert.equal(parseSealWrapped(KEYRING_PATH, stored).sealType, 'pkcs11');
    assert.throws(() => open(rootKey, stored, KEYRING_PATH), { message: 'Unsupported state or unable to authenticate data' });
    assert.equal(await activeTerm(stored), 1);

    assert.equal((await api(server!, 'POST', 'sys/mounts/secret', { token, body: { type: 'kv' } })).status, 204);
    assert.equal((await api(server!, 'POST', 'secret/first', { token, body: { value: 'one' } })).status, 204);
    await stop();
  });

  test('restart auto-unseals', async () => {
    await startUnsealed();
    assert.equal((await sealStatus()).type, 'pkcs11');
    assert.equal(await readSecret('first'), 'one');
  });

  test('rotation rewrites it wrapped', async () => {
    const before = await storedKeyring();
    assert.equal((await api(server!, 'PUT', 'sys/rotate', { token })).status, 204);
    assert.equal((await api(server!, 'GET', 'sys/key-status', { token })).body.data.term, 2);
    const rotated = await storedKeyring();
    assert.notDeepEqual(rotated, before);
    assert.equal(isSealWrapped(rotated), true);
    assert.equal(await activeTerm(rotated), 2);
    assert.equal((await api(server!, 'POST', 'secret/second', { token, body: { value: 'two' } })).status, 204);
    await stop();

    await startUnsealed();
    assert.equal(await readSecret('first'), 'one');
    assert.equal(await readSecret('second'), 'two');
  });

  test('snapshot restore keeps it wrapped', async () => {
    const saved = await fetch(`${server!.address}/v1/sys/storage/snapshot`, { headers: { 'X-Vault-Token': token } });
    assert.equal(saved.status, 200);
    const snapshot = Buffer.from(await saved.arrayBuffer());
    assert.equal((await api(server!, 'POST', 'secret/third', { token, body: { value: 'three' } })).status, 204);

    const restored = await api(server!, 'POST', 'sys/storage/snapshot', { token, body: { snapshot: snapshot.toString('base64') } });
    assert.equal(restored.status, 204);
    assert.equal((await sealStatus()).sealed, true);
    assert.equal((await sealStatus()).type, 'pkcs11');
    await api(server!, 'PUT', 'sys/unseal', { body: { key: recoveryKeys[0] } });
    const unsealed = await api(server!, 'PUT', 'sys/unseal', { body: { key: recoveryKeys[1] } });
    assert.equal(unsealed.status, 200);
    assert.equal(unsealed.body.sealed, false);

    assert.equal(await readSecret('second'), 'two');
    assert.equal(await readSecret('third'), 404);
    assert.equal(await activeTerm(await storedKeyring()), 2);
  });

  test('plain keyring is wrapped at unseal', async () => {
    // Store the keyring as a server from before seal wrap would have left it.
    const plain = await sealUnwrap(autoSeal().wrapper, KEYRING_PATH, await storedKeyring());
    await stop();
    await withStorage((storage) => storage.put({ key: KEYRING_PATH, value: plain }));

    const log = new LogCapture();
    await start(log);
    await waitUntil(async () => (await sealStatus()).sealed === false, 'the auto-unseal');
    assert.equal(await readSecret('first'), 'one');
    const upgraded = await storedKeyring();
    assert.equal(isSealWrapped(upgraded), true);
    assert.equal(await activeTerm(upgraded), 2);
    assert.equal(log.lines.filter((line) => line.msg === 'stored keyring seal-wrapped').length, 1);
    await stop();
  });

  test('tampered keyring keeps it sealed', async () => {
    let tampered: Buffer | undefined;
    await withStorage(async (storage) => {
      const wrapped = parseSealWrapped(KEYRING_PATH, (await storage.get(KEYRING_PATH))!.value);
      wrapped.blob.ciphertext[10] ^= 1;
      tampered = encodeSealWrapped(wrapped.sealType, wrapped.blob);
      await storage.put({ key: KEYRING_PATH, value: tampered });
    });

    const log = new LogCapture();
    await start(log);
    const failed = () => log.lines.find((line) => line.msg === 'auto-unseal failed; retrying');
    await waitUntil(() => failed() !== undefined, 'an auto-unseal failure');
    // The seal's HMAC key catches the change before the HSM decrypts.
    const reason = 'the pkcs11 seal could not decrypt the seal-wrapped "core/keyring": pkcs11 seal: decrypt failed: CKR_SIGNATURE_INVALID';
    assert.equal(failed()!.err.message, reason);
    const status = await sealStatus();
    assert.equal(status.sealed, true);
    assert.equal(status.type, 'pkcs11');

    await api(server!, 'PUT', 'sys/unseal', { body: { key: recoveryKeys[0] } });
    const unseal = await api(server!, 'PUT', 'sys/unseal', { body: { key: recoveryKeys[2] } });
    assert.equal(unseal.status, 500);
    assert.deepEqual(unseal.body.errors, [reason]);
    assert.equal((await sealStatus()).sealed, true);
    assert.deepEqual(await storedKeyring(), tampered);
    await stop();
  });
});
