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
