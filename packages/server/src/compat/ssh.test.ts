/**
 * The ssh engine over HTTP, as Vault clients and sshd hosts use it:
 * the CA public key without a token, the token's display name in key IDs,
 * and Vault's error envelope.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const TOKEN = 'ssh-http-root';

describe('ssh engine over http', () => {
  let server: RunningServer;
  let caPublicKey: string;

  before(async () => {
    server = await startDevServer(TOKEN);
    assert.equal((await api(server, 'POST', 'sys/mounts/ssh', { token: TOKEN, body: { type: 'ssh' } })).status, 204);
    const configured = await api(server, 'POST', 'ssh/config/ca', { token: TOKEN, body: { key_type: 'ssh-ed25519' } });
    assert.equal(configured.status, 200);
    caPublicKey = configured.body.data.public_key;
  });
  after(() => server.close());

  test('public_key needs no token', async () => {
    const response = await fetch(`${server.address}/v1/ssh/public_key`);

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain');
    assert.equal(await response.text(), caPublicKey);
  });

  test('public_key without a ca is 404', async () => {
    assert.equal((await api(server, 'POST', 'sys/mounts/ssh-empty', { token: TOKEN, body: { type: 'ssh' } })).status, 204);

    const response = await fetch(`${server.address}/v1/ssh-empty/public_key`);

    assert.equal(response.status, 404);
  });

  test('config/ca needs a token', async () => {
    const response = await api(server, 'GET', 'ssh/config/ca');

    assert.equal(response.status, 403);
  });

  test('key id carries the display name', async () => {
    const publicKey = caPublicKey.trim();
    const hash = createHash('sha256').update(Buffer.from(publicKey.split(' ')[1]!, 'base64')).digest('hex');
    await api(server, 'POST', 'ssh/roles/dev', { token: TOKEN, body: { key_type: 'ca', allow_user_certificates: true, allowed_users: 'alice', key_id_format: '{{token_display_name}}:{{public_key_hash}}' } });

    const signed = await api(server, 'POST', 'ssh/sign/dev', { token: TOKEN, body: { public_key: publicKey, valid_principals: 'alice' } });

    assert.equal(signed.status, 200);
    assert.equal(signed.body.lease_id, '');
    const blob = Buffer.from(String(signed.body.data.signed_key).split(' ')[1]!, 'base64');
    // The key ID follows the type name, nonce, 32-byte key, serial and certificate type.
    const keyIdOffset = 4 + 32 + 4 + 32 + 4 + 32 + 8 + 4;
    const keyIdLength = blob.readUInt32BE(keyIdOffset);
    assert.equal(blob.subarray(keyIdOffset + 4, keyIdOffset + 4 + keyIdLength).toString(), `root:${hash}`);
  });

  test('rejected request uses the error envelope', async () => {
    const response = await api(server, 'POST', 'ssh/sign/dev', { token: TOKEN, body: { public_key: caPublicKey, valid_principals: 'root' } });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['root is not a valid value for valid_principals'] });
  });
});
