import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, startConfiguredServer } from '../testing/api-client.js';

describe('rekey over HTTP', () => {
  let server: Awaited<ReturnType<typeof startConfiguredServer>>;
  let keys: string[];
  let rootToken: string;

  before(async () => {
    server = await startConfiguredServer();
    const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 3, secret_threshold: 2 } });
    keys = init.body.keys;
    rootToken = init.body.root_token;
    for (const key of keys.slice(0, 2)) await api(server, 'PUT', 'sys/unseal', { body: { key } });
  });
  after(() => server.close());

  test('wrong shares keep the rekey', async () => {
    const start = await api(server, 'PUT', 'sys/rekey/init', { body: { secret_shares: 2, secret_threshold: 2 } });
    const nonce = start.body.nonce;
    await api(server, 'PUT', 'sys/rekey/update', { body: { key: keys[0], nonce } });
    const forged = Buffer.from(keys[1], 'hex');
    forged[5] ^= 0xff;

    const wrong = await api(server, 'PUT', 'sys/rekey/update', { body: { key: forged.toString('hex'), nonce } });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body.errors, ['invalid key shares: they do not decrypt the root key; progress was reset, submit the correct shares again']);

    const status = await api(server, 'GET', 'sys/rekey/init');
    assert.equal(status.body.started, true);
    assert.equal(status.body.nonce, nonce);
    assert.equal(status.body.progress, 0);

    await api(server, 'PUT', 'sys/rekey/update', { body: { key: keys[0], nonce } });
    const done = await api(server, 'PUT', 'sys/rekey/update', { body: { key: keys[2], nonce } });
    assert.equal(done.status, 200);
    assert.equal(done.body.complete, true);
    assert.equal(done.body.keys.length, 2);
    keys = done.body.keys;
  });

  test('repeated share is rejected', async () => {
    const start = await api(server, 'PUT', 'sys/rekey/init', { body: { secret_shares: 3, secret_threshold: 2 } });
    const nonce = start.body.nonce;
    await api(server, 'PUT', 'sys/rekey/update', { body: { key: keys[0], nonce } });

    const repeated = await api(server, 'PUT', 'sys/rekey/update', { body: { key: keys[0], nonce } });
    assert.equal(repeated.status, 400);
    assert.deepEqual(repeated.body.errors, ['invalid "key": this key share was already submitted to the rekey']);
    assert.equal((await api(server, 'GET', 'sys/rekey/init')).body.progress, 1);

    assert.equal((await api(server, 'DELETE', 'sys/rekey/init')).status, 204);
  });

  test('seal discards collected key shares', async () => {
    const start = await api(server, 'PUT', 'sys/rekey/init', { body: { secret_shares: 3, secret_threshold: 2 } });
    await api(server, 'PUT', 'sys/rekey/update', { body: { key: keys[0], nonce: start.body.nonce } });
    const generation = await api(server, 'PUT', 'sys/generate-root/attempt', { body: {} });
    await api(server, 'PUT', 'sys/generate-root/update', { body: { key: keys[0], nonce: generation.body.nonce } });

    assert.equal((await api(server, 'PUT', 'sys/seal', { token: rootToken })).status, 204);
    for (const key of keys) await api(server, 'PUT', 'sys/unseal', { body: { key } });

    const rekey = await api(server, 'GET', 'sys/rekey/init');
    assert.equal(rekey.status, 200);
    assert.equal(rekey.body.started, false);
    assert.equal(rekey.body.nonce, '');
    assert.equal(rekey.body.progress, 0);
    const root = await api(server, 'GET', 'sys/generate-root/attempt');
    assert.equal(root.body.started, false);
    assert.equal(root.body.progress, 0);
  });
});

describe('rekey with verification', () => {
  let server: Awaited<ReturnType<typeof startConfiguredServer>>;
  let keys: string[];
  let rootToken: string;

  before(async () => {
    server = await startConfiguredServer();
    const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 3, secret_threshold: 2 } });
    keys = init.body.keys;
    rootToken = init.body.root_token;
    for (const key of keys.slice(0, 2)) await api(server, 'PUT', 'sys/unseal', { body: { key } });
  });
  after(() => server.close());

  /** Seals the server and unseals it with `shares`; returns the last unseal response. */
  async function sealAndUnseal(shares: string[]): Promise<{ status: number; body: any }> {
    assert.equal((await api(server, 'PUT', 'sys/seal', { token: rootToken })).status, 204);
    let response = { status: 0, body: null as any };
    for (const key of shares) response = await api(server, 'PUT', 'sys/unseal', { body: { key } });
    return response;
  }

  /** Starts a verified rekey to 3 shares with threshold 2 and returns the new shares and the verification nonce. */
  async function rekeyPendingVerification(): Promise<{ newKeys: string[]; verificationNonce: string }> {
    const start = await api(server, 'PUT', 'sys/rekey/init', { body: { secret_shares: 3, secret_threshold: 2, require_verification: true } });
    assert.equal(start.status, 200);
    assert.equal(start.body.verification_required, true);
    await api(server, 'PUT', 'sys/rekey/update', { body: { key: keys[0], nonce: start.body.nonce } });
    const done = await api(server, 'PUT', 'sys/rekey/update', { body: { key: keys[1], nonce: start.body.nonce } });
    assert.equal(done.status, 200);
    assert.equal(done.body.complete, true);
    assert.equal(done.body.verification_required, true);
    assert.match(done.body.verification_nonce, /^[0-9a-f-]{36}$/);
    return { newKeys: done.body.keys, verificationNonce: done.body.verification_nonce };
  }

  test('new shares count only after verification', async () => {
    const { newKeys, verificationNonce } = await rekeyPendingVerification();
    const status = await api(server, 'GET', 'sys/rekey/verify');
    assert.deepEqual(status.body, { nonce: verificationNonce, started: true, t: 2, n: 3, progress: 0 });

    // Until verified, the current shares still unseal and the new ones do not.
    const stillOld = await sealAndUnseal(keys.slice(0, 2));
    assert.equal(stillOld.body.sealed, false);

    // The seal discarded the pending verification, so start again.
    assert.equal((await api(server, 'GET', 'sys/rekey/verify')).body.started, false);
    const again = await rekeyPendingVerification();
    const first = await api(server, 'PUT', 'sys/rekey/verify', { body: { key: again.newKeys[2], nonce: again.verificationNonce } });
    assert.deepEqual(first.body, { nonce: again.verificationNonce, started: true, t: 2, n: 3, progress: 1 });
    const repeated = await api(server, 'PUT', 'sys/rekey/verify', { body: { key: again.newKeys[2], nonce: again.verificationNonce } });
    assert.equal(repeated.status, 400);
    assert.deepEqual(repeated.body.errors, ['invalid "key": this key share was already submitted to the verification']);
    const verified = await api(server, 'PUT', 'sys/rekey/verify', { body: { key: again.newKeys[0], nonce: again.verificationNonce } });
    assert.equal(verified.status, 200);
    assert.deepEqual(verified.body, { nonce: again.verificationNonce, complete: true });
    assert.equal((await api(server, 'GET', 'sys/rekey/init')).body.started, false);

    // Now the new shares unseal and the old ones do not.
    assert.equal((await sealAndUnseal([keys[0]])).body.sealed, true);
    const wrongOld = await api(server, 'PUT', 'sys/unseal', { body: { key: keys[1] } });
    assert.equal(wrongOld.status, 400);
    await api(server, 'PUT', 'sys/unseal', { body: { reset: true } });
    for (const key of again.newKeys.slice(0, 2)) await api(server, 'PUT', 'sys/unseal', { body: { key } });
    assert.equal((await api(server, 'GET', 'sys/seal-status')).body.sealed, false);
    assert.ok(newKeys.every((key) => !again.newKeys.includes(key)), 'each rekey makes new shares');
    keys = again.newKeys;
  });

  test('wrong verification shares reset progress', async () => {
    const { newKeys, verificationNonce } = await rekeyPendingVerification();
    const forged = Buffer.from(newKeys[1], 'hex');
    forged[3] ^= 0xff;
    await api(server, 'PUT', 'sys/rekey/verify', { body: { key: newKeys[0], nonce: verificationNonce } });
    const wrong = await api(server, 'PUT', 'sys/rekey/verify', { body: { key: forged.toString('hex'), nonce: verificationNonce } });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body.errors, ['invalid key shares: they do not combine to the new unseal key; verification progress was reset, submit the new shares again']);
    assert.equal((await api(server, 'GET', 'sys/rekey/verify')).body.progress, 0);

    const otherNonce = await api(server, 'PUT', 'sys/rekey/verify', { body: { key: newKeys[0], nonce: 'other' } });
    assert.equal(otherNonce.status, 400);
    assert.deepEqual(otherNonce.body.errors, ['invalid "nonce" "other": it does not match the rekey in progress']);

    // Cancelling the verification issues a new nonce and keeps the pending key.
    const canceled = await api(server, 'DELETE', 'sys/rekey/verify');
    assert.equal(canceled.status, 200);
    assert.notEqual(canceled.body.nonce, verificationNonce);
    assert.equal(canceled.body.started, true);
    assert.equal((await api(server, 'DELETE', 'sys/rekey/init')).status, 204);
    assert.equal((await api(server, 'GET', 'sys/rekey/verify')).body.started, false);
  });

  test('verify needs key and nonce', async () => {
    const missing = await api(server, 'PUT', 'sys/rekey/verify', { body: { nonce: 'x' } });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.errors, ['missing required field "key"']);
    const none = await api(server, 'PUT', 'sys/rekey/verify', { body: { key: keys[0], nonce: 'x' } });
    assert.equal(none.status, 400);
    assert.deepEqual(none.body.errors, ['no rekey in progress: start one with PUT sys/rekey/init']);
  });
});
