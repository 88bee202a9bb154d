import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { plugin } from './index.js';
import { assertRejects, createHarness } from './test-support.js';

describe('userpass backend', () => {
  test('plugin metadata', () => {
    assert.equal(plugin.kind, 'auth');
    assert.equal(plugin.name, 'userpass');
    assert.equal(plugin.sdkVersion, '0.1.0');
  });

  test('factory makes a credential backend', async () => {
    const backend = await plugin.factory({
      storage: new InmemStorage(),
      logger: silentLogger,
      system: { defaultLeaseTtl: () => 60, maxLeaseTtl: () => 120 },
      options: {},
      mountPoint: 'auth/userpass/',
    });

    assert.equal(backend.backendType, 'credential');
    assert.deepEqual(backend.specialPaths(), { root: [], unauthenticated: ['login', 'login/*'] });
  });

  test('unknown path is unsupported', async () => {
    const harness = await createHarness();

    await assertRejects(harness.send('read', 'groups/x'), 404, 'unsupported path "groups/x"');
    await assertRejects(harness.send('read', 'login/alice'), 405, 'read operation not supported on path "login/alice"');
  });

  test('help names the paths', async () => {
    const harness = await createHarness();

    const help = await harness.backend.handleRequest({
      id: 'help',
      operation: 'help',
      path: 'login/alice',
      data: {},
      storage: new InmemStorage(),
      mountPoint: 'auth/userpass/',
      mountType: 'userpass',
      clientToken: '',
      headers: {},
    });

    assert.match(String(help?.data?.help), /^## Log in with a username and password\./);
  });
});
