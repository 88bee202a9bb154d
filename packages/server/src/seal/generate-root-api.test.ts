import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, startConfiguredServer } from '../testing/api-client.js';
import { decodeToken, encodeToken, randomBase62, ROOT_TOKEN_LENGTH } from './root-generation.js';

describe('root token encoding', () => {
  test('encode then decode returns token', () => {
    const otp = randomBase62(ROOT_TOKEN_LENGTH);
    const token = `hvs.${randomBase62(24)}`;
    const encoded = encodeToken(token, otp);
    assert.doesNotMatch(encoded, /=/);
    assert.equal(encoded.length, 38);
    assert.equal(decodeToken(encoded, otp), token);
  });

  test('encode XORs each character', () => {
    // 'a' ^ 'A' = 0x20 and 'b' ^ 'B' = 0x20; base64 of 0x20 0x20 is "ICA".
    assert.equal(encodeToken('ab', 'AB'), 'ICA');
  });

  test('encode rejects length mismatch', () => {
    assert.throws(() => encodeToken('abc', 'ab'), { message: 'token and OTP lengths differ: 3 and 2 bytes' });
  });

  test('random base62 has alphabet and length', () => {
    const otp = randomBase62(1000);
    assert.equal(otp.length, 1000);
    assert.match(otp, /^[0-9A-Za-z]+$/);
  });
});

describe('generate-root over HTTP', () => {
  let server: Awaited<ReturnType<typeof startConfiguredServer>>;
  let keys: string[];
  let rootToken: string;

  before(async () => {
    server = await startConfiguredServer();
    const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 5, secret_threshold: 3 } });
    assert.equal(init.status, 200);
    keys = init.body.keys;
    rootToken = init.body.root_token;
  });
  after(() => server.close());

  test('sealed server answers 503', async () => {
    const status = await api(server, 'GET', 'sys/generate-root/attempt');
    assert.equal(status.status, 503);
    assert.deepEqual(status.body.errors, ['Vault is sealed']);
    const start = await api(server, 'PUT', 'sys/generate-root/attempt', { body: {} });
    assert.equal(start.status, 503);
    // Updates without their fields are still refused for the seal first, as every other path is.
    for (const path of ['sys/generate-root/update', 'sys/rekey/update', 'sys/rekey/verify']) {
      const update = await api(server, 'PUT', path, { body: {} });
      assert.equal(update.status, 503, path);
      assert.deepEqual(update.body.errors, ['Vault is sealed'], path);
    }

    for (const key of keys.slice(0, 3)) await api(server, 'PUT', 'sys/unseal', { body: { key } });
    assert.equal((await api(server, 'GET', 'sys/seal-status')).body.sealed, false);
  });

  test('status before start', async () => {
    const status = await api(server, 'GET', 'sys/generate-root/attempt');
    assert.equal(status.status, 200);
    assert.deepEqual(status.body, {
      started: false,
      nonce: '',
      progress: 0,
      required: 3,
      encoded_token: '',
      encoded_root_token: '',
      pgp_fingerprint: '',
      otp: '',
      otp_length: 28,
      complete: false,
    });
  });

  test('pgp key is rejected', async () => {
    const response = await api(server, 'PUT', 'sys/generate-root/attempt', { body: { pgp_key: 'bWlzc2luZw==' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid "pgp_key": PGP encryption of the root token is not supported; omit it and use "otp"']);
    assert.equal((await api(server, 'GET', 'sys/generate-root/attempt')).body.started, false);
  });

  test('short otp is rejected', async () => {
    const response = await api(server, 'PUT', 'sys/generate-root/attempt', { body: { otp: 'abc' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, [
      'invalid "otp": must be 28 characters, the length of a root token, but has 3; omit it to let the server generate one',
    ]);
  });

  test('update without attempt is rejected', async () => {
    const response = await api(server, 'PUT', 'sys/generate-root/update', { body: { key: keys[0], nonce: 'x' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['no root token generation in progress: start one with PUT sys/generate-root/attempt']);
  });

  test('full flow gives working root token', async () => {
    const started = await api(server, 'PUT', 'sys/generate-root/attempt', { body: {} });
    assert.equal(started.status, 200);
    const otp: string = started.body.otp;
    const nonce: string = started.body.nonce;
    assert.match(otp, /^[0-9A-Za-z]{28}$/);
    assert.match(nonce, /^[0-9a-f-]{36}$/);
    assert.equal(started.body.started, true);
    assert.equal(started.body.otp_length, 28);
    assert.equal(started.body.required, 3);

    const status = await api(server, 'GET', 'sys/generate-root/attempt');
    assert.equal(status.body.otp, '', 'the OTP is returned only once');
    assert.equal(status.body.nonce, nonce);

    const again = await api(server, 'PUT', 'sys/generate-root/attempt', { body: {} });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body.errors, ['root token generation already in progress: cancel it first with DELETE sys/generate-root/attempt']);

    const wrongNonce = await api(server, 'PUT', 'sys/generate-root/update', { body: { key: keys[0], nonce: 'other' } });
    assert.equal(wrongNonce.status, 400);
    assert.deepEqual(wrongNonce.body.errors, ['invalid "nonce" "other": it does not match the root token generation in progress']);

    const first = await api(server, 'PUT', 'sys/generate-root/update', { body: { key: keys[0], nonce } });
    assert.equal(first.status, 200);
    assert.equal(first.body.progress, 1);
    assert.equal(first.body.complete, false);
    assert.equal(first.body.encoded_token, '');

    const repeated = await api(server, 'PUT', 'sys/generate-root/update', { body: { key: keys[0], nonce } });
    assert.equal(repeated.status, 400);
    assert.deepEqual(repeated.body.errors, ['invalid "key": this key share was already submitted to the root token generation']);

    await api(server, 'PUT', 'sys/generate-root/update', { body: { key: keys[2], nonce } });
    const last = await api(server, 'PUT', 'sys/generate-root/update', { body: { key: Buffer.from(keys[4], 'hex').toString('base64'), nonce } });
    assert.equal(last.status, 200);
    assert.equal(last.body.complete, true);
    assert.equal(last.body.progress, 3);
    assert.equal(last.body.nonce, nonce);
    assert.equal(last.body.encoded_root_token, last.body.encoded_token);
    assert.doesNotMatch(last.body.encoded_token, /=/);

    const token = decodeToken(last.body.encoded_token, otp);
    assert.match(token, /^hvs\.[0-9A-Za-z]{24}$/);
    assert.notEqual(token, rootToken);
    const lookup = await api(server, 'GET', 'auth/token/lookup-self', { token });
    assert.equal(lookup.status, 200);
    assert.deepEqual(lookup.body.data.policies, ['root']);

    const after = await api(server, 'GET', 'sys/generate-root/attempt');
    assert.equal(after.body.started, false);
  });

  test('client otp encodes token', async () => {
    const otp = randomBase62(28);
    const started = await api(server, 'PUT', 'sys/generate-root/attempt', { body: { otp } });
    assert.equal(started.status, 200);
    assert.equal(started.body.otp, '');
    const nonce: string = started.body.nonce;
    let last;
    for (const key of keys.slice(1, 4)) last = await api(server, 'PUT', 'sys/generate-root/update', { body: { key, nonce } });
    assert.equal(last?.body.complete, true);
    const token = decodeToken(last?.body.encoded_token, otp);
    assert.equal((await api(server, 'GET', 'auth/token/lookup-self', { token })).status, 200);
  });

  test('wrong share resets progress', async () => {
    const started = await api(server, 'PUT', 'sys/generate-root/attempt', { body: {} });
    const nonce: string = started.body.nonce;
    await api(server, 'PUT', 'sys/generate-root/update', { body: { key: keys[0], nonce } });
    await api(server, 'PUT', 'sys/generate-root/update', { body: { key: keys[1], nonce } });
    const forged = Buffer.from(keys[2], 'hex');
    forged[3] ^= 0x55;
    const wrong = await api(server, 'PUT', 'sys/generate-root/update', { body: { key: forged.toString('hex'), nonce } });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body.errors, [
      'invalid key shares: they do not decrypt the root key; progress was reset, submit the correct shares again',
    ]);

    const status = await api(server, 'GET', 'sys/generate-root/attempt');
    assert.equal(status.body.started, true);
    assert.equal(status.body.nonce, nonce);
    assert.equal(status.body.progress, 0);

    let last;
    for (const key of keys.slice(0, 3)) last = await api(server, 'PUT', 'sys/generate-root/update', { body: { key, nonce } });
    assert.equal(last?.body.complete, true);
    const token = decodeToken(last?.body.encoded_token, started.body.otp);
    assert.equal((await api(server, 'GET', 'auth/token/lookup-self', { token })).status, 200);
  });

  test('cancel discards attempt', async () => {
    const started = await api(server, 'PUT', 'sys/generate-root/attempt', { body: {} });
    const nonce: string = started.body.nonce;
    await api(server, 'PUT', 'sys/generate-root/update', { body: { key: keys[0], nonce } });

    const canceled = await api(server, 'DELETE', 'sys/generate-root/attempt');
    assert.equal(canceled.status, 204);
    const status = await api(server, 'GET', 'sys/generate-root/attempt');
    assert.equal(status.body.started, false);
    assert.equal(status.body.progress, 0);

    const late = await api(server, 'PUT', 'sys/generate-root/update', { body: { key: keys[1], nonce } });
    assert.equal(late.status, 400);
    assert.deepEqual(late.body.errors, ['no root token generation in progress: start one with PUT sys/generate-root/attempt']);
  });

  test('update requires key and nonce', async () => {
    const response = await api(server, 'PUT', 'sys/generate-root/update', { body: {} });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['missing required field "key"; missing required field "nonce"']);
  });
});
