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
