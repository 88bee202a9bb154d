import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startServerIn } from '../testing/api-client.js';

const STORAGE = 'storage "sqlite" {\n  path = "$DIR/coffer.db"\n}';

test('tokens and their tree survive a restart', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'coffer-restart-test-'));
  let server: RunningServer | undefined;
  try {
    server = await startServerIn(directory, STORAGE);
    const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    const root = init.body.root_token;
    const key = init.body.keys[0];
    await api(server, 'PUT', 'sys/unseal', { body: { key } });
    const policy = 'path "cubbyhole/*" { capabilities = ["read"] }\npath "auth/token/create" { capabilities = ["update"] }';
    await api(server, 'PUT', 'sys/policies/acl/reader', { token: root, body: { policy } });
    const parent = (await api(server, 'POST', 'auth/token/create', { token: root, body: { policies: ['reader'], ttl: '1h' } })).body.auth;
    const child = (await api(server, 'POST', 'auth/token/create', { token: parent.client_token, body: { ttl: '30m' } })).body.auth;
    const short = (await api(server, 'POST', 'auth/token/create', { token: root, body: { policies: ['reader'], ttl: '2s' } })).body.auth;
    await server.close();
    server = undefined;

    // Let the short token expire while the server is down.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    server = await startServerIn(directory, STORAGE);
    assert.equal((await api(server, 'GET', 'auth/token/lookup-self', { token: root })).status, 503);
    await api(server, 'PUT', 'sys/unseal', { body: { key } });

    const parentLookup = await api(server, 'GET', 'auth/token/lookup-self', { token: parent.client_token });
    assert.equal(parentLookup.status, 200);
    assert.ok(parentLookup.body.data.ttl > 3500, `ttl ${parentLookup.body.data.ttl}`);
    assert.ok(parentLookup.body.data.ttl <= 3600, `ttl ${parentLookup.body.data.ttl}`);
    assert.equal((await api(server, 'GET', 'auth/token/lookup-self', { token: short.client_token })).status, 403);
    const expired = await api(server, 'POST', 'auth/token/lookup-accessor', { token: root, body: { accessor: short.accessor } });
    assert.equal(expired.status, 400, 'an expired token is revoked at unseal');

    await api(server, 'POST', 'auth/token/revoke', { token: root, body: { token: parent.client_token } });
    assert.equal((await api(server, 'GET', 'auth/token/lookup-self', { token: child.client_token })).status, 403);
  } finally {
    await server?.close();
    await rm(directory, { recursive: true, force: true });
  }
});
