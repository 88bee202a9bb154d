/**
 * Automatic rotation of identity token keys across a restart. Vault's
 * shortest rotation period is one minute, so this test runs for about as
 * long. It has its own file so that it can run beside the other tests.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import type { RunningServer } from '../server.js';
import { api, startServerIn } from '../testing/api-client.js';
import { expectStatus } from './test-support.js';

const STORAGE = 'storage "sqlite" {\n  path = "$DIR/coffer.db"\n}';
const POLL_INTERVAL_MS = 1000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function jwksKids(server: RunningServer): Promise<string[]> {
  const response = await api(server, 'GET', 'identity/oidc/.well-known/keys');
  expectStatus(response, 200, 'jwks');
  return (response.body.keys as { kid: string }[]).map((key) => key.kid);
}

/** Polls the JWKS until `done` accepts it or `timeoutMs` passes; returns the last key IDs. */
async function waitForKids(server: RunningServer, done: (kids: string[]) => boolean, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let kids = await jwksKids(server);
  while (!done(kids) && Date.now() < deadline) {
    await sleep(POLL_INTERVAL_MS);
    kids = await jwksKids(server);
  }
  return kids;
}

test('key rotates on schedule after restart', { timeout: 240_000 }, async () => {
  const directory = await mkdtemp(join(tmpdir(), 'coffer-oidc-rotation-'));
  let server: RunningServer | undefined;
  try {
    server = await startServerIn(directory, STORAGE);
    const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    const root = init.body.root_token as string;
    const unsealKey = init.body.keys[0] as string;
    expectStatus(await api(server, 'PUT', 'sys/unseal', { body: { key: unsealKey } }), 200, 'unseal');
    const call = (method: string, path: string, body?: unknown) => api(server!, method, path, { token: root, ...(body !== undefined ? { body } : {}) });

    expectStatus(await call('POST', 'sys/auth/userpass', { type: 'userpass' }), 204, 'userpass');
    expectStatus(await call('PUT', 'sys/policies/acl/oidc-user', { policy: 'path "identity/oidc/token/*" {\n  capabilities = ["read"]\n}\n' }), 204, 'policy');
    expectStatus(await call('POST', 'auth/userpass/users/scheduled', { password: 'pass-word-1', token_policies: 'oidc-user' }), 204, 'user');
    const userToken = (await call('POST', 'auth/userpass/login/scheduled', { password: 'pass-word-1' })).body.auth.client_token as string;
    expectStatus(await call('POST', 'identity/oidc/key/scheduled', { algorithm: 'ES256', rotation_period: '1m', verification_ttl: '5s', allowed_client_ids: '*' }), 204, 'key');
    expectStatus(await call('POST', 'identity/oidc/role/scheduled', { key: 'scheduled', ttl: '5s' }), 204, 'role');
    const issue = async (): Promise<string> => {
      const response = await api(server!, 'GET', 'identity/oidc/token/scheduled', { token: userToken });
      expectStatus(response, 200, 'token');
      return decodeProtectedHeader(response.body.data.token).kid!;
    };
    const firstKid = await issue();
    const initial = await jwksKids(server);
    expectStatus(await call('POST', 'identity/oidc/config', { issuer: 'https://coffer.example.com:8200' }), 200, 'issuer');
    assert.equal(initial.length, 2, 'signing key and next key');

    // The rotation falls due while the next server runs, from the time stored with the key.
    await server.close();
    server = undefined;
    server = await startServerIn(directory, STORAGE);
    expectStatus(await api(server, 'PUT', 'sys/unseal', { body: { key: unsealKey } }), 200, 'unseal after restart');
    assert.deepEqual((await jwksKids(server)).sort(), [...initial].sort(), 'same keys after restart');
    assert.deepEqual((await call('GET', 'identity/oidc/config')).body.data, { issuer: 'https://coffer.example.com:8200' });
    assert.equal((await call('GET', 'identity/oidc/role/scheduled')).body.data.ttl, 5);
    assert.equal(await issue(), firstKid, 'no rotation before the period ends');

    const rotated = await waitForKids(server, (kids) => kids.length === 3, 90_000);
    assert.equal(rotated.length, 3, `a new next key after the rotation period: ${rotated.join(', ')}`);
    const secondKid = await issue();
    assert.notEqual(secondKid, firstKid);
    assert.ok(initial.includes(secondKid), 'the former next key signs');
    assert.ok(rotated.includes(firstKid), 'the retired key is still published');

    const expired = await waitForKids(server, (kids) => !kids.includes(firstKid), 30_000);
    assert.equal(expired.includes(firstKid), false, 'the retired key is gone after its verification_ttl');
    assert.equal(expired.length, 2);
  } finally {
    await server?.close();
    await rm(directory, { recursive: true, force: true });
  }
});
