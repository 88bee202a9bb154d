import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { openSoftHsm, SOFTHSM_LIBRARY, type SoftHsm } from '@coffer/seal-pkcs11/testing';
import { KEYRING_PATH } from '../barrier/barrier.js';
import { isSealWrapped, parseSealWrapped } from '../barrier/seal-wrap.js';
import { startServer, type RunningServer } from '../server.js';
import { api } from '../testing/api-client.js';

const PIN = '246801';
const RETRY = { initialMs: 50, maxMs: 200 };
const SECRETS: Record<string, string> = { alpha: 'first-value', beta: 'second-value', gamma: 'third-value', delta: 'fourth-value' };

const pkcs11Stanza = (disabled: boolean): string[] => [
  `seal "pkcs11" {`,
  ...(disabled ? [`  disabled = "true"`] : []),
  `  lib = "${SOFTHSM_LIBRARY}"`,
  `  token_label = "coffer-migration"`,
  `  pin = "${PIN}"`,
  `  key_label = "coffer-root"`,
  `  hmac_key_label = "coffer-hmac"`,
  `  generate_key = "true"`,
  `}`,
];

async function waitUntilUnsealed(server: RunningServer): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if ((await api(server, 'GET', 'sys/seal-status')).body.sealed === false) return;
    await delay(25);
  }
  assert.fail('timed out waiting for the auto-unseal');
}

describe('seal migration shamir to pkcs11 and back', () => {
  let hsm: SoftHsm;
  let directory: string;
  let server: RunningServer | undefined;
  let unsealKeys: string[];
  let rootToken: string;

  /** Writes a config with the given seal stanzas and starts a server on it. */
  const start = async (sealLines: string[]): Promise<RunningServer> => {
    const configPath = join(directory, 'config.hcl');
    const lines = [
      `storage "file" {`,
      `  path = "${join(directory, 'data')}"`,
      `}`,
      ...sealLines,
      `listener "tcp" {`,
      `  address = "127.0.0.1:0"`,
      `  tls_disable = true`,
      `}`,
      ``,
    ];
    await writeFile(configPath, lines.join('\n'));
    server = await startServer({ configPaths: [configPath], logDestination: { write: () => true }, autoUnsealRetry: RETRY });
    return server;
  };
  const stop = async (): Promise<void> => {
    await server?.close();
    server = undefined;
  };
  const unseal = (key: string, migrate?: boolean) =>
    api(server!, 'PUT', 'sys/unseal', { body: { key, ...(migrate !== undefined ? { migrate } : {}) } });
  /** Returns the type of the seal that wraps the stored keyring, or `plain`. */
  const keyringWrap = async (): Promise<string> => {
    const stored = (await server!.core.options.physical.get(KEYRING_PATH))!.value;
    return isSealWrapped(stored) ? parseSealWrapped(KEYRING_PATH, stored).sealType : 'plain';
  };
  const assertSecretsReadable = async (): Promise<void> => {
    for (const [name, value] of Object.entries(SECRETS)) {
      const read = await api(server!, 'GET', `secret/data/${name}`, { token: rootToken });
      assert.equal(read.status, 200, `reading secret/${name}`);
      assert.equal(read.body.data.data.value, value);
    }
  };

  before(async () => {
    hsm = await openSoftHsm();
    await hsm.initToken('coffer-migration', PIN);
    directory = await mkdtemp(join(tmpdir(), 'coffer-seal-migration-'));
  });
  after(async () => {
    await stop();
    await hsm.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('shamir server stores secrets', async () => {
    await start([]);
    const init = await api(server!, 'PUT', 'sys/init', { body: { secret_shares: 3, secret_threshold: 2 } });
    assert.equal(init.status, 200);
    unsealKeys = init.body.keys_base64;
    rootToken = init.body.root_token;
    await unseal(unsealKeys[0]);
    assert.equal((await unseal(unsealKeys[1])).body.sealed, false);

    const mount = await api(server!, 'POST', 'sys/mounts/secret', { token: rootToken, body: { type: 'kv', options: { version: '2' } } });
    assert.equal(mount.status, 204);
    for (const [name, value] of Object.entries(SECRETS)) {
      const write = await api(server!, 'POST', `secret/data/${name}`, { token: rootToken, body: { data: { value } } });
      assert.equal(write.status, 200);
    }
    assert.equal(await keyringWrap(), 'plain');
    await stop();
  });

  test('pending migration shows in seal status', async () => {
    await start([...pkcs11Stanza(false), `seal "shamir" {`, `  disabled = "true"`, `}`]);
    const status = await api(server!, 'GET', 'sys/seal-status');
    assert.equal(status.status, 200);
    assert.equal(status.body.sealed, true);
    assert.equal(status.body.migration, true);
    assert.equal(status.body.type, 'pkcs11');
    assert.equal(status.body.t, 2);
    assert.equal(status.body.n, 3);
  });

  test('unseal without migrate is rejected', async () => {
    const rejected = await unseal(unsealKeys[0]);
    assert.equal(rejected.status, 400);
    assert.deepEqual(rejected.body.errors, [
      'seal migration from shamir to pkcs11 is pending: set "migrate" to true with each key share (coffer operator unseal -migrate)',
    ]);
    assert.equal((await api(server!, 'GET', 'sys/seal-status')).body.progress, 0);
  });

  test('wrong shares reset migration progress', async () => {
    const wrong = Buffer.alloc(33, 7).toString('base64');
    assert.equal((await unseal(unsealKeys[0], true)).body.progress, 1);
    const rejected = await unseal(wrong, true);
    assert.equal(rejected.status, 400);
    assert.match(rejected.body.errors[0], /^invalid key shares: /);
    const status = (await api(server!, 'GET', 'sys/seal-status')).body;
    assert.equal(status.progress, 0);
    assert.equal(status.sealed, true);
    assert.equal(status.migration, true);
  });

  test('unseal with migrate moves to pkcs11', async () => {
    const first = await unseal(unsealKeys[2], true);
    assert.equal(first.status, 200);
    assert.equal(first.body.progress, 1);
    const done = await unseal(unsealKeys[0], true);
    assert.equal(done.status, 200);
    assert.equal(done.body.sealed, false);
    assert.equal(done.body.migration, false);
    assert.equal(done.body.type, 'pkcs11');
    assert.equal(done.body.recovery_seal, true);
    assert.equal(done.body.t, 2);
    assert.equal(done.body.n, 3);
    assert.equal(await keyringWrap(), 'pkcs11');
    await assertSecretsReadable();
    await stop();
  });

  test('pkcs11 alone auto-unseals after migration', async () => {
    await start(pkcs11Stanza(false));
    await waitUntilUnsealed(server!);
    await assertSecretsReadable();
    // A rotation here gives the migration back a keyring that pkcs11 wrapped after the first migration.
    assert.equal((await api(server!, 'PUT', 'sys/rotate', { token: rootToken })).status, 204);
    assert.equal(await keyringWrap(), 'pkcs11');

    // The old unseal keys are now recovery keys: they unseal after a manual seal.
    assert.equal((await api(server!, 'PUT', 'sys/seal', { token: rootToken })).status, 204);
    const migrateNow = await unseal(unsealKeys[0], true);
    assert.equal(migrateNow.status, 400);
    assert.deepEqual(migrateNow.body.errors, ['invalid "migrate": no seal migration is configured']);
    await unseal(unsealKeys[1]);
    assert.equal((await unseal(unsealKeys[2])).body.sealed, false);
    await stop();
  });

  test('disabled pkcs11 migrates back to shamir', async () => {
    await start(pkcs11Stanza(true));
    const status = (await api(server!, 'GET', 'sys/seal-status')).body;
    assert.equal(status.migration, true);
    assert.equal(status.type, 'shamir');
    assert.equal(status.sealed, true);

    // The recovery keys are the original unseal keys, and they become the unseal keys again.
    await unseal(unsealKeys[1], true);
    const done = await unseal(unsealKeys[2], true);
    assert.equal(done.status, 200);
    assert.equal(done.body.sealed, false);
    assert.equal(done.body.migration, false);
    assert.equal(done.body.recovery_seal, false);
    assert.equal(await keyringWrap(), 'plain');
    await assertSecretsReadable();
    await stop();
  });

  test('shamir alone unseals after migration', async () => {
    await start([]);
    const status = (await api(server!, 'GET', 'sys/seal-status')).body;
    assert.equal(status.type, 'shamir');
    assert.equal(status.sealed, true);
    assert.equal(status.t, 2);
    assert.equal(status.n, 3);
    await unseal(unsealKeys[0]);
    assert.equal((await unseal(unsealKeys[1])).body.sealed, false);
    await assertSecretsReadable();
    assert.equal((await api(server!, 'GET', 'sys/key-status', { token: rootToken })).body.data.term, 2);
    assert.equal(await keyringWrap(), 'plain');
    await stop();
  });
});
