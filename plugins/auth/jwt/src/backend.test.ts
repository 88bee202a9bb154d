import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { plugin } from './index.js';
import { assertRejects, createHarness } from './test-support.js';

describe('jwt backend', () => {
  test('plugin metadata', () => {
    assert.equal(plugin.kind, 'auth');
    assert.equal(plugin.name, 'jwt');
    assert.equal(plugin.sdkVersion, '0.1.0');
  });

  test('factory makes a credential backend', async () => {
    const backend = await plugin.factory({
      storage: new InmemStorage(),
      logger: silentLogger,
      system: { defaultLeaseTtl: () => 60, maxLeaseTtl: () => 120 },
      options: {},
      mountPoint: 'auth/jwt/',
    });

    assert.equal(backend.backendType, 'credential');
    assert.deepEqual(backend.specialPaths(), { root: [], unauthenticated: ['login', 'oidc/auth_url', 'oidc/callback'] });
  });

  test('unknown path is unsupported', async () => {
    const harness = await createHarness();

    await assertRejects(harness.send('read', 'groups/x'), 404, 'unsupported path "groups/x"');
    await assertRejects(harness.send('read', 'login'), 405, 'read operation not supported on path "login"');
    await assertRejects(harness.send('update', 'oidc/callback'), 405, 'update operation not supported on path "oidc/callback"');
  });
});
