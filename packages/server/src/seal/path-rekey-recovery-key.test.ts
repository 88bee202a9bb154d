import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSoftHsm, SOFTHSM_LIBRARY, type SoftHsm } from '@coffer/seal-pkcs11/testing';
import { startServer, type RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const PIN = '975310';

describe('sys/rekey-recovery-key', () => {
  let hsm: SoftHsm;
  let directory: string;
  let server: RunningServer;
  let recoveryKeys: string[];
  let rootToken: string;

  const readSealConfig = async (): Promise<{ t: number; n: number }> => {
    const status = (await api(server, 'GET', 'sys/seal-status')).body;
    return { t: status.t, n: status.n };
  };
  /** Seals, then unseals with `keys`; returns the last unseal response. */
  const sealAndUnseal = async (keys: string[]) => {
    assert.equal((await api(server, 'PUT', 'sys/seal', { token: rootToken })).status, 204);
    let last = await api(server, 'PUT', 'sys/unseal', { body: { key: keys[0] } });
    for (const key of keys.slice(1)) last = await api(server, 'PUT', 'sys/unseal', { body: { key } });
    return last;
  };
  const startRekey = async (body: Record<string, unknown>): Promise<string> => {
    const started = await api(server, 'PUT', 'sys/rekey-recovery-key/init', { body });
    assert.equal(started.status, 200);
    return started.body.nonce;
  };

  before(async () => {
    hsm = await openSoftHsm();
    await hsm.initToken('coffer-rekey', PIN);
    directory = await mkdtemp(join(tmpdir(), 'coffer-rekey-recovery-'));
    const configPath = join(directory, 'config.hcl');
    await writeFile(
      configPath,
      [
        `storage "inmem" {}`,
        `seal "pkcs11" {`,
        `  lib = "${SOFTHSM_LIBRARY}"`,
        `  token_label = "coffer-rekey"`,
        `  pin = "${PIN}"`,
        `  key_label = "coffer-root"`,
        `  generate_key = "true"`,
        `}`,
        `listener "tcp" {`,
        `  address = "127.0.0.1:0"`,
        `  tls_disable = true`,
        `}`,
        ``,
      ].join('\n'),
    );
    server = await startServer({ configPaths: [configPath], logDestination: { write: () => true } });
    const init = await api(server, 'PUT', 'sys/init', { body: { recovery_shares: 3, recovery_threshold: 2 } });
    assert.equal(init.status, 200);
    recoveryKeys = init.body.recovery_keys_base64;
    rootToken = init.body.root_token;
  });
  after(async () => {
    await server.close();
    await hsm.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('status before init', async () => {
    const status = await api(server, 'GET', 'sys/rekey-recovery-key/init');
    assert.equal(status.status, 200);
    assert.deepEqual(status.body, {
      nonce: '',
      started: false,
      t: 0,
      n: 0,
      progress: 0,
      required: 2,
      pgp_fingerprints: null,
      backup: false,
      verification_required: false,
    });
  });

  test('init rejects bad input', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ secret_threshold: 2 }, 'missing required field "secret_shares"'],
      [{ secret_shares: 3 }, 'missing required field "secret_threshold"'],
      [{ secret_shares: 2, secret_threshold: 3 }, 'invalid "secret_threshold" 3: must not exceed "secret_shares" 2'],
      [{ secret_shares: 3, secret_threshold: 2, pgp_keys: ['abc'] }, 'invalid "pgp_keys": PGP encryption of recovery key shares is not supported; omit the field'],
      [{ secret_shares: 3, secret_threshold: 2, backup: true }, 'invalid "backup": backup of recovery key shares is not supported; omit the field'],
    ];
    for (const [body, message] of cases) {
      const response = await api(server, 'PUT', 'sys/rekey-recovery-key/init', { body });
      assert.equal(response.status, 400, message);
      assert.deepEqual(response.body.errors, [message]);
    }
    assert.equal((await api(server, 'GET', 'sys/rekey-recovery-key/init')).body.started, false);
  });

  test('update with a wrong nonce is rejected', async () => {
    await startRekey({ secret_shares: 4, secret_threshold: 3 });
    const response = await api(server, 'PUT', 'sys/rekey-recovery-key/update', { body: { key: recoveryKeys[0], nonce: 'other' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid "nonce" "other": it does not match the recovery key rekey in progress']);
    assert.equal((await api(server, 'DELETE', 'sys/rekey-recovery-key/init')).status, 204);
    assert.equal((await api(server, 'GET', 'sys/rekey-recovery-key/init')).body.started, false);
  });

  test('wrong shares keep the rekey', async () => {
    const nonce = await startRekey({ secret_shares: 4, secret_threshold: 3 });
    await api(server, 'PUT', 'sys/rekey-recovery-key/update', { body: { key: recoveryKeys[0], nonce } });
    const wrong = Buffer.alloc(33, 9).toString('base64');
    const response = await api(server, 'PUT', 'sys/rekey-recovery-key/update', { body: { key: wrong, nonce } });
    assert.equal(response.status, 400);
    assert.match(response.body.errors[0], /^invalid recovery key shares: /);
    const status = await api(server, 'GET', 'sys/rekey-recovery-key/init');
    assert.equal(status.body.started, true);
    assert.equal(status.body.nonce, nonce);
    assert.equal(status.body.progress, 0);
    assert.deepEqual(await readSealConfig(), { t: 2, n: 3 });
    assert.equal((await api(server, 'DELETE', 'sys/rekey-recovery-key/init')).status, 204);
  });

  test('rekey replaces the recovery keys', async () => {
    const nonce = await startRekey({ secret_shares: 4, secret_threshold: 3 });
    const progress = await api(server, 'PUT', 'sys/rekey-recovery-key/update', { body: { key: recoveryKeys[1], nonce } });
    assert.equal(progress.status, 200);
    assert.equal(progress.body.progress, 1);
    assert.equal(progress.body.required, 2);
    const repeated = await api(server, 'PUT', 'sys/rekey-recovery-key/update', { body: { key: recoveryKeys[1], nonce } });
    assert.equal(repeated.status, 400);
    assert.deepEqual(repeated.body.errors, ['invalid "key": this key share was already submitted to the recovery key rekey']);
    const done = await api(server, 'PUT', 'sys/rekey-recovery-key/update', { body: { key: recoveryKeys[2], nonce } });
    assert.equal(done.status, 200);
    assert.equal(done.body.complete, true);
    assert.equal(done.body.verification_required, false);
    assert.equal(done.body.keys_base64.length, 4);
    assert.deepEqual(await readSealConfig(), { t: 3, n: 4 });

    const oldKeys = await sealAndUnseal(recoveryKeys);
    assert.equal(oldKeys.status, 400);
    assert.match(oldKeys.body.errors[0], /^invalid recovery key shares: they do not combine to the recovery key/);
    let unsealed = await api(server, 'PUT', 'sys/unseal', { body: { key: done.body.keys_base64[1] } });
    for (const key of done.body.keys_base64.slice(2)) unsealed = await api(server, 'PUT', 'sys/unseal', { body: { key } });
    assert.equal(unsealed.status, 200);
    assert.equal(unsealed.body.sealed, false);
    recoveryKeys = done.body.keys_base64;
  });

  test('verification keeps old keys until done', async () => {
    const nonce = await startRekey({ secret_shares: 3, secret_threshold: 2, require_verification: true });
    for (const key of recoveryKeys.slice(0, 2)) await api(server, 'PUT', 'sys/rekey-recovery-key/update', { body: { key, nonce } });
    const done = await api(server, 'PUT', 'sys/rekey-recovery-key/update', { body: { key: recoveryKeys[2], nonce } });
    assert.equal(done.status, 200);
    assert.equal(done.body.verification_required, true);
    const verificationNonce: string = done.body.verification_nonce;
    assert.match(verificationNonce, /^[0-9a-f-]{36}$/);
    const newKeys: string[] = done.body.keys_base64;
    assert.deepEqual(await readSealConfig(), { t: 3, n: 4 });

    const status = await api(server, 'GET', 'sys/rekey-recovery-key/verify');
    assert.deepEqual(status.body, { nonce: verificationNonce, started: true, t: 2, n: 3, progress: 0 });

    const wrongNonce = await api(server, 'PUT', 'sys/rekey-recovery-key/verify', { body: { key: newKeys[0], nonce: 'x' } });
    assert.equal(wrongNonce.status, 400);
    assert.deepEqual(wrongNonce.body.errors, ['invalid "nonce" "x": it does not match the recovery key rekey in progress']);

    const oldShare = await api(server, 'PUT', 'sys/rekey-recovery-key/verify', { body: { key: newKeys[0], nonce: verificationNonce } });
    assert.equal(oldShare.body.progress, 1);
    const repeated = await api(server, 'PUT', 'sys/rekey-recovery-key/verify', { body: { key: newKeys[0], nonce: verificationNonce } });
    assert.equal(repeated.status, 400);
    assert.deepEqual(repeated.body.errors, ['invalid "key": this key share was already submitted to the verification']);
    assert.equal((await api(server, 'GET', 'sys/rekey-recovery-key/verify')).body.progress, 1);
    const mismatch = await api(server, 'PUT', 'sys/rekey-recovery-key/verify', { body: { key: recoveryKeys[0], nonce: verificationNonce } });
    assert.equal(mismatch.status, 400);
    assert.equal(
      mismatch.body.errors[0],
      'invalid key shares: they do not combine to the new recovery key; verification progress was reset, submit the new shares again',
    );
    assert.deepEqual(await readSealConfig(), { t: 3, n: 4 });

    await api(server, 'PUT', 'sys/rekey-recovery-key/verify', { body: { key: newKeys[2], nonce: verificationNonce } });
    const verified = await api(server, 'PUT', 'sys/rekey-recovery-key/verify', { body: { key: newKeys[0], nonce: verificationNonce } });
    assert.equal(verified.status, 200);
    assert.deepEqual(verified.body, { nonce: verificationNonce, complete: true });
    assert.deepEqual(await readSealConfig(), { t: 2, n: 3 });
    assert.equal((await sealAndUnseal(newKeys.slice(0, 2))).body.sealed, false);
    recoveryKeys = newKeys;
  });

  test('seal discards rekey progress', async () => {
    const nonce = await startRekey({ secret_shares: 3, secret_threshold: 2 });
    await api(server, 'PUT', 'sys/rekey-recovery-key/update', { body: { key: recoveryKeys[0], nonce } });
    assert.equal((await sealAndUnseal(recoveryKeys.slice(0, 2))).body.sealed, false);

    const status = await api(server, 'GET', 'sys/rekey-recovery-key/init');
    assert.equal(status.body.started, false);
    assert.equal(status.body.nonce, '');
    assert.equal(status.body.progress, 0);
  });

  test('sealed server returns 503', async () => {
    assert.equal((await api(server, 'PUT', 'sys/seal', { token: rootToken })).status, 204);
    const response = await api(server, 'GET', 'sys/rekey-recovery-key/init');
    assert.equal(response.status, 503);
  });
});

describe('sys/rekey-recovery-key with shamir', () => {
  test('is rejected', async () => {
    const server = await startDevServer();
    try {
      const response = await api(server, 'PUT', 'sys/rekey-recovery-key/init', { body: { secret_shares: 3, secret_threshold: 2 } });
      assert.equal(response.status, 400);
      assert.deepEqual(response.body.errors, [
        'recovery keys exist only with an auto-unseal seal, and this server uses the "shamir" seal; rekey unseal keys with sys/rekey',
      ]);
    } finally {
      await server.close();
    }
  });
});
