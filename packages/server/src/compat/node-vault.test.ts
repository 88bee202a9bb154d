import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import createClient from 'node-vault';
import type { RunningServer } from '../server.js';
import { startConfiguredServer, startDevServer } from '../testing/api-client.js';

const TOKEN = 'node-vault-root';

describe('node-vault client against a dev server', () => {
  let server: RunningServer;
  let vault: ReturnType<typeof createClient>;

  before(async () => {
    server = await startDevServer(TOKEN);
    vault = createClient({ apiVersion: 'v1', endpoint: server.address, token: TOKEN });
  });
  after(() => server.close());

  test('KV v2 write, read, list, metadata and delete', async () => {
    const written = await vault.write('secret/data/apps/web', { data: { password: 's3cret', port: 8080 } });
    assert.equal(written.data.version, 1);

    await vault.write('secret/data/apps/web', { data: { password: 'rotated' }, options: { cas: 1 } });
    const read = await vault.read('secret/data/apps/web');
    assert.deepEqual(read.data.data, { password: 'rotated' });
    assert.equal(read.data.metadata.version, 2);

    await vault.write('secret/data/apps/db/main', { data: { user: 'app' } });
    const listed = await vault.list('secret/metadata/apps');
    assert.deepEqual(listed.data.keys, ['db/', 'web']);

    const metadata = await vault.read('secret/metadata/apps/web');
    assert.equal(metadata.data.current_version, 2);
    assert.deepEqual(Object.keys(metadata.data.versions).sort(), ['1', '2']);

    await vault.delete('secret/data/apps/web');
    await assert.rejects(vault.read('secret/data/apps/web'), (err: any) => err.response.statusCode === 404);

    await vault.delete('secret/metadata/apps/web');
    await assert.rejects(vault.read('secret/metadata/apps/web'), (err: any) => err.response.statusCode === 404);
  });

  test('CAS mismatch surfaces as a 400', async () => {
    await vault.write('secret/data/cas-test', { data: { a: '1' } });
    await assert.rejects(
      vault.write('secret/data/cas-test', { data: { a: '2' }, options: { cas: 0 } }),
      (err: any) => err.response.statusCode === 400 && /check-and-set parameter did not match the current version/.test(err.message),
    );
  });

  test('token lookup-self', async () => {
    const self = await vault.tokenLookupSelf();
    assert.deepEqual(self.data.policies, ['root']);
  });

  test('mount, list and unmount an engine', async () => {
    await vault.mount({ mount_point: 'nv-kv', type: 'kv', description: 'from node-vault', options: { version: 2 } });
    const mounts = await vault.mounts();
    assert.equal(mounts.data['nv-kv/'].type, 'kv');
    assert.deepEqual(mounts.data['nv-kv/'].options, { version: '2' });
    await vault.unmount({ mount_point: 'nv-kv' });
    assert.equal((await vault.mounts()).data['nv-kv/'], undefined);
  });

  test('auth methods and logins at custom paths', async () => {
    await vault.enableAuth({ mount_point: 'nv-users', type: 'userpass', description: 'people' });
    assert.equal((await vault.auths()).data['nv-users/'].type, 'userpass');
    await vault.write('auth/nv-users/users/nora', { password: 'pw-nora-1', token_policies: 'default' });
    const login = await vault.userpassLogin({ username: 'nora', password: 'pw-nora-1', mount_point: 'nv-users' });
    assert.match(login.auth.client_token, /^hvs\./);
    // A login makes node-vault send the new token from then on.
    assert.equal(vault.token, login.auth.client_token);
    vault.token = TOKEN;

    await vault.enableAuth({ mount_point: 'nv-apps', type: 'approle' });
    await vault.addApproleRole({ role_name: 'ci', policies: 'default', mount_point: 'nv-apps' });
    const roleId = (await vault.getApproleRoleId({ role_name: 'ci', mount_point: 'nv-apps' })).data.role_id;
    const secretId = (await vault.getApproleRoleSecret({ role_name: 'ci', mount_point: 'nv-apps' })).data.secret_id;
    const appLogin = await vault.approleLogin({ role_id: roleId, secret_id: secretId, mount_point: 'nv-apps' });
    assert.deepEqual(appLogin.auth.policies, ['default']);
    vault.token = TOKEN;

    await vault.disableAuth({ mount_point: 'nv-users' });
    await vault.disableAuth({ mount_point: 'nv-apps' });
    assert.equal((await vault.auths()).data['nv-users/'], undefined);
  });

  test('policies through sys/policy', async () => {
    await vault.addPolicy({ name: 'nv-readers', rules: 'path "secret/data/*" {\n  capabilities = ["read"]\n}\n' });
    const policy = await vault.getPolicy({ name: 'nv-readers' });
    assert.equal(policy.rules, 'path "secret/data/*" {\n  capabilities = ["read"]\n}\n');
    assert.ok((await vault.policies()).policies.includes('nv-readers'));
    await vault.removePolicy({ name: 'nv-readers' });
    assert.equal((await vault.policies()).policies.includes('nv-readers'), false);
  });

  test('audit device enabled and disabled', async () => {
    await vault.enableAudit({ name: 'nv-null', type: 'file', description: 'discarded', options: { file_path: '/dev/null' } });
    assert.equal((await vault.audits()).data['nv-null/'].type, 'file');
    await vault.disableAudit({ name: 'nv-null' });
    assert.equal((await vault.audits()).data['nv-null/'], undefined);
  });

  test('transit commands', async () => {
    await vault.mount({ mount_point: 'transit', type: 'transit' });
    await vault.transitCreateKey({ name: 'nv-key' });
    const plaintext = Buffer.from('node-vault text').toString('base64');
    const encrypted = await vault.encryptData({ name: 'nv-key', plaintext });
    assert.match(encrypted.data.ciphertext, /^vault:v1:/);
    const decrypted = await vault.decryptData({ name: 'nv-key', ciphertext: encrypted.data.ciphertext });
    assert.equal(decrypted.data.plaintext, plaintext);
  });
});

describe('node-vault client initializing a server', () => {
  test('init, unseal and status', async () => {
    const server = await startConfiguredServer();
    try {
      const vault = createClient({ apiVersion: 'v1', endpoint: server.address });
      assert.deepEqual(await vault.initialized(), { initialized: false });
      const init = await vault.init({ secret_shares: 3, secret_threshold: 2 });
      vault.token = init.root_token;
      await vault.unseal({ secret_shares: 1, key: init.keys[0] });
      const unsealed = await vault.unseal({ secret_shares: 1, key: init.keys[2] });
      assert.equal(unsealed.sealed, false);
      const status = await vault.status();
      assert.equal(status.sealed, false);
      assert.equal(status.initialized, true);
    } finally {
      await server.close();
    }
  });
});
