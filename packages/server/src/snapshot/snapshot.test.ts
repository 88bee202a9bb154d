import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createThrowawayDatabase, type ThrowawayDatabase } from '@coffer/storage-postgresql/testing';
import { etcdUnavailableReason, startTestEtcd, type TestEtcd } from '@coffer/storage-etcd/testing';
import { api, startConfiguredServer } from '../testing/api-client.js';
import { SNAPSHOT_MAGIC } from './format.js';

type TestServer = Awaited<ReturnType<typeof startConfiguredServer>>;

interface Keys {
  keys: string[];
  root: string;
}

async function initialize(server: TestServer): Promise<Keys> {
  const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 3, secret_threshold: 2 } });
  assert.equal(init.status, 200, JSON.stringify(init.body));
  await unseal(server, init.body.keys_base64);
  return { keys: init.body.keys_base64, root: init.body.root_token };
}

async function unseal(server: TestServer, keys: string[]): Promise<void> {
  for (const key of keys.slice(0, 2)) {
    const response = await api(server, 'PUT', 'sys/unseal', { body: { key } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
  }
  assert.equal((await api(server, 'GET', 'sys/seal-status')).body.sealed, false);
}

/** Fetches the snapshot as bytes; `api` would parse the body as JSON. */
async function saveSnapshot(server: TestServer, token: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const response = await fetch(`${server.address}/v1/sys/storage/snapshot`, { headers: { 'X-Vault-Token': token } });
  return { status: response.status, type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
}

function restore(server: TestServer, token: string, bytes: Buffer, force = false) {
  return api(server, 'POST', force ? 'sys/storage/snapshot-force' : 'sys/storage/snapshot', { token, body: { snapshot: bytes.toString('base64') } });
}

/** The secrets the source server holds, written through the API and read back after each restore. */
const SECRETS: Record<string, Record<string, string>> = {
  'app/db': { username: 'app', password: 'correct horse battery staple' },
  'app/api/key': { value: 'k'.repeat(300_000) },
  'team/ünïcode/ключ': { note: 'keys with unicode survive' },
};

async function writeSource(server: TestServer, root: string): Promise<void> {
  const mount = await api(server, 'POST', 'sys/mounts/secret', { token: root, body: { type: 'kv', options: { version: '2' } } });
  assert.equal(mount.status, 204, JSON.stringify(mount.body));
  const v1 = await api(server, 'POST', 'sys/mounts/plain', { token: root, body: { type: 'kv' } });
  assert.equal(v1.status, 204, JSON.stringify(v1.body));
  for (const [path, data] of Object.entries(SECRETS)) {
    assert.equal((await api(server, 'POST', `secret/data/${path}`, { token: root, body: { data } })).status, 200);
    assert.equal((await api(server, 'POST', `plain/${path}`, { token: root, body: data })).status, 204);
  }
  const policy = await api(server, 'PUT', 'sys/policies/acl/reader', { token: root, body: { policy: 'path "secret/*" { capabilities = ["read"] }' } });
  assert.equal(policy.status, 204);
}

async function checkSecrets(server: TestServer, root: string): Promise<void> {
  for (const [path, data] of Object.entries(SECRETS)) {
    const v2 = await api(server, 'GET', `secret/data/${path}`, { token: root });
    assert.equal(v2.status, 200, `secret/data/${path}: ${JSON.stringify(v2.body)}`);
    assert.deepEqual(v2.body.data.data, data, `secret/data/${path}`);
    const v1 = await api(server, 'GET', `plain/${path}`, { token: root });
    assert.equal(v1.status, 200, `plain/${path}`);
    assert.deepEqual(v1.body.data, data, `plain/${path}`);
  }
  const policy = await api(server, 'GET', 'sys/policies/acl/reader', { token: root });
  assert.equal(policy.status, 200);
}

describe('storage snapshot', () => {
  let source: TestServer;
  let sourceKeys: Keys;
  let snapshot: Buffer;

  before(async () => {
    source = await startConfiguredServer('storage "sqlite" {\n  path = "$DIR/coffer.db"\n}');
    sourceKeys = await initialize(source);
    await writeSource(source, sourceKeys.root);
    const saved = await saveSnapshot(source, sourceKeys.root);
    assert.equal(saved.status, 200, saved.bytes.toString());
    snapshot = saved.bytes;
  });
  after(async () => {
    await source?.close();
  });

  test('save returns the framed file', () => {
    assert.deepEqual(snapshot.subarray(0, SNAPSHOT_MAGIC.length), SNAPSHOT_MAGIC);
    assert.ok(snapshot.length > 300_000, `snapshot of ${snapshot.length} bytes`);
    // Values are stored encrypted, so no secret appears in the file.
    assert.equal(snapshot.includes('correct horse battery staple'), false);
  });

  test('save needs sudo', async () => {
    const policy = 'path "sys/storage/snapshot" { capabilities = ["read", "update"] }';
    const sudoPolicy = 'path "sys/storage/snapshot" { capabilities = ["read", "update", "sudo"] }';
    for (const [name, text] of [['snap-plain', policy], ['snap-sudo', sudoPolicy]]) {
      assert.equal((await api(source, 'PUT', `sys/policies/acl/${name}`, { token: sourceKeys.root, body: { policy: text } })).status, 204);
    }
    const plain = await api(source, 'POST', 'auth/token/create', { token: sourceKeys.root, body: { policies: ['snap-plain'] } });
    const sudo = await api(source, 'POST', 'auth/token/create', { token: sourceKeys.root, body: { policies: ['snap-sudo'] } });
    const denied = await saveSnapshot(source, plain.body.auth.client_token);
    assert.equal(denied.status, 403);
    assert.deepEqual(JSON.parse(denied.bytes.toString()), { errors: ['permission denied'] });
    const restoreDenied = await restore(source, plain.body.auth.client_token, snapshot);
    assert.equal(restoreDenied.status, 403);
    const allowed = await saveSnapshot(source, sudo.body.auth.client_token);
    assert.equal(allowed.status, 200);
    assert.equal(allowed.type, 'application/octet-stream');
  });

  test('damaged snapshot changes nothing', async () => {
    const cases: Array<[Buffer, RegExp]> = [
      [snapshot.subarray(0, snapshot.length - 100), /^invalid snapshot: the SHA-256 checksum does not match, so the \d+-byte file is truncated or damaged$/],
      [Buffer.from('not a snapshot at all, just some text that is long enough'), /^invalid snapshot: the data does not start with a Coffer snapshot header/],
    ];
    const flipped = Buffer.from(snapshot);
    flipped[200] ^= 0xff;
    cases.push([flipped, /checksum does not match/]);
    for (const [bytes, message] of cases) {
      const response = await restore(source, sourceKeys.root, bytes);
      assert.equal(response.status, 400);
      assert.match(response.body.errors[0], message);
    }
    const notBase64 = await api(source, 'POST', 'sys/storage/snapshot', { token: sourceKeys.root, body: { snapshot: '%%%' } });
    assert.equal(notBase64.status, 400);
    assert.deepEqual(notBase64.body.errors, ['invalid "snapshot": it is not base64; send the snapshot file base64-encoded']);
    const missing = await api(source, 'POST', 'sys/storage/snapshot', { token: sourceKeys.root, body: {} });
    assert.deepEqual(missing.body.errors, ['missing required field "snapshot": send the snapshot file base64-encoded']);
    assert.equal((await api(source, 'GET', 'sys/seal-status')).body.sealed, false);
    await checkSecrets(source, sourceKeys.root);
  });

  test('same cluster restore rolls back', async () => {
    // Runs last against the source: it seals the server and unseals it again.
    const changed = await api(source, 'POST', 'plain/app/db', { token: sourceKeys.root, body: { username: 'changed' } });
    assert.equal(changed.status, 204);
    assert.equal((await api(source, 'POST', 'plain/later', { token: sourceKeys.root, body: { a: 'b' } })).status, 204);
    assert.equal((await api(source, 'DELETE', 'plain/team/ünïcode/ключ', { token: sourceKeys.root })).status, 204);

    const restored = await restore(source, sourceKeys.root, snapshot);
    assert.equal(restored.status, 204, JSON.stringify(restored.body));
    assert.equal((await api(source, 'GET', 'sys/seal-status')).body.sealed, true);
    await unseal(source, sourceKeys.keys);
    await checkSecrets(source, sourceKeys.root);
    assert.equal((await api(source, 'GET', 'plain/later', { token: sourceKeys.root })).status, 404);
  });

  describe('into postgresql', () => {
    let database: ThrowawayDatabase;
    let target: TestServer;
    before(async () => {
      database = await createThrowawayDatabase();
      target = await startConfiguredServer(`storage "postgresql" {\n  connection_url = "${database.url}"\n}`);
    });
    after(async () => {
      await target?.close();
      await database?.drop();
    });

    test('restores and unseals with source keys', async () => {
      await restoreIntoOtherCluster(target, snapshot, sourceKeys);
    });
  });

  describe('into etcd', () => {
    const unavailable = etcdUnavailableReason();
    const skip = unavailable !== null && (process.env.CI ?? '') === '' ? unavailable : undefined;
    let etcd: TestEtcd;
    let target: TestServer;
    before(async () => {
      if (skip !== undefined) return;
      assert.equal(unavailable, null, `CI is set, so etcd must be installed: ${unavailable}`);
      etcd = await startTestEtcd();
      target = await startConfiguredServer(`storage "etcd" {\n  address = "${etcd.address}"\n  path = "/coffer/"\n}`);
    });
    after(async () => {
      await target?.close();
      await etcd?.stop();
    });

    test('restores and unseals with source keys', { skip }, async () => {
      await restoreIntoOtherCluster(target, snapshot, sourceKeys);
    });
  });
});

/**
 * Initializes `target` as a cluster of its own, checks that a plain restore
 * of the other cluster's snapshot is refused, force-restores it, and checks
 * that only the source's keys unseal it and every secret reads back.
 */
async function restoreIntoOtherCluster(target: TestServer, snapshot: Buffer, source: Keys): Promise<void> {
  const own = await initialize(target);

  const refused = await restore(target, own.root, snapshot);
  assert.equal(refused.status, 400);
  assert.match(refused.body.errors[0], /^snapshot was taken on cluster "[^"]+", but this server is cluster "[^"]+"; restore it with sys\/storage\/snapshot-force/);
  assert.equal((await api(target, 'GET', 'sys/seal-status')).body.sealed, false);

  const forced = await restore(target, own.root, snapshot, true);
  assert.equal(forced.status, 204, JSON.stringify(forced.body));
  const status = (await api(target, 'GET', 'sys/seal-status')).body;
  assert.equal(status.sealed, true);
  assert.equal(status.t, 2);
  assert.equal(status.n, 3);

  const wrongKey = await api(target, 'PUT', 'sys/unseal', { body: { key: own.keys[0] } });
  assert.equal(wrongKey.status, 200);
  const wrongSecond = await api(target, 'PUT', 'sys/unseal', { body: { key: own.keys[1] } });
  assert.equal(wrongSecond.status, 400, 'the target cluster\'s own keys must not unseal the restored storage');
  await api(target, 'PUT', 'sys/unseal', { body: { reset: true } });

  await unseal(target, source.keys);
  await checkSecrets(target, source.root);
  assert.equal((await api(target, 'GET', 'auth/token/lookup-self', { token: own.root })).status, 403, 'the target\'s old root token is gone');
}
