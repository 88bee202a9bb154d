import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, startConfiguredServer } from '../testing/api-client.js';

describe('init, unseal and seal over HTTP', () => {
  let server: Awaited<ReturnType<typeof startConfiguredServer>>;
  let keys: string[];
  let keysBase64: string[];
  let rootToken: string;

  before(async () => {
    server = await startConfiguredServer();
  });
  after(() => server.close());

  test('uninitialized server reports its state', async () => {
    const init = await api(server, 'GET', 'sys/init');
    assert.equal(init.status, 200);
    assert.deepEqual(init.body, { initialized: false });

    const health = await api(server, 'GET', 'sys/health');
    assert.equal(health.status, 501);
    assert.equal(health.body.initialized, false);

    const custom = await api(server, 'GET', 'sys/health?uninitcode=200');
    assert.equal(custom.status, 200);
  });

  test('init rejects a threshold above the share count', async () => {
    const response = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 3, secret_threshold: 4 } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid "secret_threshold" 4: must not exceed "secret_shares" 3']);
    assert.deepEqual((await api(server, 'GET', 'sys/init')).body, { initialized: false });
  });

  test('init returns key shares and a root token', async () => {
    const response = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 5, secret_threshold: 3 } });
    assert.equal(response.status, 200);
    keys = response.body.keys;
    keysBase64 = response.body.keys_base64;
    rootToken = response.body.root_token;
    assert.equal(keys.length, 5);
    assert.equal(keysBase64.length, 5);
    assert.equal(Buffer.from(keysBase64[0], 'base64').toString('hex'), keys[0]);
    assert.match(rootToken, /^hvs\.[0-9A-Za-z]{24}$/);

    const again = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body.errors, ['Vault is already initialized']);
  });

  test('sealed server answers 503 for other paths', async () => {
    const response = await api(server, 'GET', 'secret/foo', { token: rootToken });
    assert.equal(response.status, 503);
    assert.deepEqual(response.body.errors, ['Vault is sealed']);
    assert.equal((await api(server, 'GET', 'sys/health')).status, 503);
    assert.equal((await api(server, 'GET', 'sys/health?sealedcode=299')).status, 299);
  });

  test('unseal counts a repeated share once', async () => {
    let status = await api(server, 'PUT', 'sys/unseal', { body: { key: keys[0] } });
    assert.equal(status.body.progress, 1);
    status = await api(server, 'PUT', 'sys/unseal', { body: { key: keysBase64[0] } });
    assert.equal(status.body.progress, 1);
    assert.equal(status.body.sealed, true);
    assert.equal(status.body.t, 3);
    assert.equal(status.body.n, 5);
  });

  test('unseal with a wrong share resets progress', async () => {
    await api(server, 'PUT', 'sys/unseal', { body: { key: keys[1] } });
    const forged = Buffer.from(keys[2], 'hex');
    forged[0] ^= 0xff;
    const response = await api(server, 'PUT', 'sys/unseal', { body: { key: forged.toString('hex') } });
    assert.equal(response.status, 400);
    assert.match(response.body.errors[0], /^invalid key shares: .*progress was reset/);
    const status = await api(server, 'GET', 'sys/seal-status');
    assert.equal(status.body.progress, 0);
    assert.equal(status.body.sealed, true);
  });

  test('unseal rejects a key that is not hex or base64', async () => {
    const response = await api(server, 'PUT', 'sys/unseal', { body: { key: 'not a key!' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid "key": must be a hex or base64 encoded key share']);
  });

  test('unseal reset discards progress', async () => {
    await api(server, 'PUT', 'sys/unseal', { body: { key: keys[0] } });
    const response = await api(server, 'PUT', 'sys/unseal', { body: { reset: true } });
    assert.equal(response.body.progress, 0);
  });

  test('threshold of distinct shares unseals', async () => {
    await api(server, 'PUT', 'sys/unseal', { body: { key: keys[4] } });
    await api(server, 'PUT', 'sys/unseal', { body: { key: keys[2] } });
    const response = await api(server, 'PUT', 'sys/unseal', { body: { key: keysBase64[0] } });
    assert.equal(response.status, 200);
    assert.equal(response.body.sealed, false);
    assert.equal(response.body.progress, 0);
    assert.equal(response.body.storage_type, 'inmem');

    const health = await api(server, 'GET', 'sys/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.sealed, false);
    const lookup = await api(server, 'GET', 'auth/token/lookup-self', { token: rootToken });
    assert.equal(lookup.status, 200);
    assert.deepEqual(lookup.body.data.policies, ['root']);
  });

  test('rekey replaces the shares and old shares stop working', async () => {
    const init = await api(server, 'PUT', 'sys/rekey/init', { body: { secret_shares: 2, secret_threshold: 2 } });
    assert.equal(init.status, 200);
    assert.equal(init.body.started, true);
    assert.equal(init.body.required, 3);
    const nonce = init.body.nonce;

    const badNonce = await api(server, 'PUT', 'sys/rekey/update', { body: { key: keys[0], nonce: 'wrong' } });
    assert.equal(badNonce.status, 400);
    assert.deepEqual(badNonce.body.errors, ['invalid "nonce" "wrong": it does not match the rekey in progress']);

    await api(server, 'PUT', 'sys/rekey/update', { body: { key: keys[0], nonce } });
    await api(server, 'PUT', 'sys/rekey/update', { body: { key: keys[1], nonce } });
    const done = await api(server, 'PUT', 'sys/rekey/update', { body: { key: keys[3], nonce } });
    assert.equal(done.status, 200);
    assert.equal(done.body.complete, true);
    assert.equal(done.body.keys.length, 2);
    const newKeys: string[] = done.body.keys;

    assert.equal((await api(server, 'PUT', 'sys/seal', { token: rootToken })).status, 204);
    const status = await api(server, 'GET', 'sys/seal-status');
    assert.equal(status.body.sealed, true);
    assert.equal(status.body.t, 2);
    assert.equal(status.body.n, 2);

    await api(server, 'PUT', 'sys/unseal', { body: { key: keys[0] } });
    const old = await api(server, 'PUT', 'sys/unseal', { body: { key: keys[1] } });
    assert.equal(old.status, 400);

    await api(server, 'PUT', 'sys/unseal', { body: { key: newKeys[0] } });
    const unsealed = await api(server, 'PUT', 'sys/unseal', { body: { key: newKeys[1] } });
    assert.equal(unsealed.body.sealed, false);
  });

  test('rotate adds a key term reported by key-status', async () => {
    const before = await api(server, 'GET', 'sys/key-status', { token: rootToken });
    assert.equal(before.body.data.term, 1);
    assert.equal((await api(server, 'PUT', 'sys/rotate', { token: rootToken })).status, 204);
    const afterRotate = await api(server, 'GET', 'sys/key-status', { token: rootToken });
    assert.equal(afterRotate.body.data.term, 2);
    assert.match(afterRotate.body.data.install_time, /^\d{4}-\d\d-\d\dT/);
  });
});

describe('single-share init', () => {
  test('1-of-1 init unseals with the one key', async () => {
    const server = await startConfiguredServer();
    try {
      const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      assert.equal(init.status, 200);
      assert.equal(init.body.keys.length, 1);
      const response = await api(server, 'PUT', 'sys/unseal', { body: { key: init.body.keys[0] } });
      assert.equal(response.body.sealed, false);
    } finally {
      await server.close();
    }
  });
});

describe('key share length', () => {
  let server: Awaited<ReturnType<typeof startConfiguredServer>>;
  let keys: string[];

  before(async () => {
    server = await startConfiguredServer();
    const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 3, secret_threshold: 2 } });
    keys = init.body.keys;
  });
  after(() => server.close());

  test('unseal rejects wrong-length share', async () => {
    assert.equal((await api(server, 'PUT', 'sys/unseal', { body: { key: keys[0] } })).body.progress, 1);

    // "zzzz" is valid base64 for 3 bytes, and a truncated hex share is 32 bytes.
    for (const [key, bytes] of [['zzzz', 3], [keys[1].slice(0, 64), 32]] as const) {
      const response = await api(server, 'PUT', 'sys/unseal', { body: { key } });
      assert.equal(response.status, 400);
      assert.deepEqual(response.body.errors, [
        `invalid "key": the key share is ${bytes} bytes but must be 33 bytes. Progress is unchanged, so submit the correct share`,
      ]);
    }
    const status = await api(server, 'GET', 'sys/seal-status');
    assert.equal(status.body.progress, 1);
    assert.equal(status.body.sealed, true);

    const unsealed = await api(server, 'PUT', 'sys/unseal', { body: { key: keys[1] } });
    assert.equal(unsealed.body.sealed, false);
  });

  test('hex-digit base64 share decodes', async () => {
    // The bytes d3 4d 34 encode as the base64 text "0000", which is also valid hex.
    const share = Buffer.from('d34d34'.repeat(11), 'hex');
    assert.match(share.toString('base64'), /^[0-9a-f]{44}$/);
    const start = await api(server, 'PUT', 'sys/rekey/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    const response = await api(server, 'PUT', 'sys/rekey/update', { body: { key: share.toString('base64'), nonce: start.body.nonce } });
    assert.equal(response.status, 200);
    assert.equal(response.body.progress, 1);
    assert.equal((await api(server, 'DELETE', 'sys/rekey/init')).status, 204);
  });
});
