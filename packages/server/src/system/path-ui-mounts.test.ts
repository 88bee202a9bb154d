import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const TOKEN = 'root-test-token';

describe('sys/internal/ui/mounts listing', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(TOKEN);
    const created = [
      await api(server, 'POST', 'sys/mounts/public', { token: TOKEN, body: { type: 'kv', description: 'open docs', config: { listing_visibility: 'unauth' } } }),
      await api(server, 'POST', 'sys/mounts/hidden', { token: TOKEN, body: { type: 'kv', config: { listing_visibility: 'hidden' } } }),
      await api(server, 'POST', 'sys/auth/userpass', { token: TOKEN, body: { type: 'userpass', description: 'people' } }),
      await api(server, 'POST', 'sys/auth/approle', { token: TOKEN, body: { type: 'approle', config: { listing_visibility: 'unauth' } } }),
    ];
    assert.deepEqual(created.map((response) => response.status), [204, 204, 204, 204]);
  });
  after(() => server.close());

  test('root sees every mount', async () => {
    const response = await api(server, 'GET', 'sys/internal/ui/mounts', { token: TOKEN });
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body.data.secret).sort(), ['cubbyhole/', 'hidden/', 'identity/', 'public/', 'secret/', 'sys/']);
    assert.deepEqual(Object.keys(response.body.data.auth).sort(), ['approle/', 'token/', 'userpass/']);

    const listed = await api(server, 'GET', 'sys/mounts', { token: TOKEN });
    assert.deepEqual(response.body.data.secret['secret/'], listed.body.data['secret/']);
    assert.deepEqual(response.body.data.secret['public/'], listed.body.data['public/']);
    const auth = await api(server, 'GET', 'sys/auth', { token: TOKEN });
    assert.deepEqual(response.body.data.auth['userpass/'], auth.body.data['userpass/']);
    assert.equal(response.body.data.auth['token/'].type, 'token');
    assert.equal(response.body.data.auth['token/'].accessor, auth.body.data['token/'].accessor);
  });

  test('without a token only unauth mounts', async () => {
    const response = await api(server, 'GET', 'sys/internal/ui/mounts');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, {
      secret: { 'public/': { type: 'kv', description: 'open docs', options: null } },
      auth: { 'approle/': { type: 'approle', description: '', options: null } },
    });
  });

  test('policy limits the listing', async () => {
    const policy = 'path "secret/data/app/*" {\n  capabilities = ["read"]\n}\npath "auth/userpass/login/*" {\n  capabilities = ["update"]\n}\n';
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/ui-reader', { token: TOKEN, body: { policy } })).status, 204);
    const created = await api(server, 'POST', 'auth/token/create', { token: TOKEN, body: { policies: ['ui-reader'], no_default_policy: true } });
    const reader = created.body.auth.client_token;

    const response = await api(server, 'GET', 'sys/internal/ui/mounts', { token: reader });
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body.data.secret).sort(), ['public/', 'secret/']);
    assert.deepEqual(Object.keys(response.body.data.auth).sort(), ['approle/', 'userpass/']);
    // An authenticated caller gets the full entry, unauth mounts included.
    assert.equal(response.body.data.secret['secret/'].type, 'kv');
    assert.deepEqual(response.body.data.secret['secret/'].options, { version: '2' });
    assert.equal(typeof response.body.data.secret['public/'].accessor, 'string');
    assert.equal(response.body.data.secret['public/'].config.listing_visibility, 'unauth');
  });

  test('denied mount stays hidden', async () => {
    const policy = 'path "secret/*" {\n  capabilities = ["deny"]\n}\npath "hidden/*" {\n  capabilities = ["list"]\n}\n';
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/ui-denied', { token: TOKEN, body: { policy } })).status, 204);
    const created = await api(server, 'POST', 'auth/token/create', { token: TOKEN, body: { policies: ['ui-denied'], no_default_policy: true } });

    const response = await api(server, 'GET', 'sys/internal/ui/mounts', { token: created.body.auth.client_token });
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body.data.secret).sort(), ['hidden/', 'public/']);
  });

  test('invalid token denied', async () => {
    const response = await api(server, 'GET', 'sys/internal/ui/mounts', { token: 'not-a-token' });
    assert.equal(response.status, 403);
    assert.deepEqual(response.body.errors, ['permission denied']);
  });

  test('use-limited token keeps its uses', async () => {
    const created = await api(server, 'POST', 'auth/token/create', { token: TOKEN, body: { policies: ['default'], num_uses: 2 } });
    const limited = created.body.auth.client_token;
    for (let i = 0; i < 3; i += 1) {
      assert.equal((await api(server, 'GET', 'sys/internal/ui/mounts', { token: limited })).status, 200);
    }
    // Both uses are left for other requests, and the token ends after them.
    assert.equal((await api(server, 'GET', 'auth/token/lookup-self', { token: limited })).status, 200);
    assert.equal((await api(server, 'GET', 'auth/token/lookup-self', { token: limited })).status, 200);
    assert.equal((await api(server, 'GET', 'auth/token/lookup-self', { token: limited })).status, 403);
  });

  test('write method not allowed', async () => {
    const response = await api(server, 'POST', 'sys/internal/ui/mounts', { token: TOKEN, body: {} });
    assert.equal(response.status, 405);
  });
});
