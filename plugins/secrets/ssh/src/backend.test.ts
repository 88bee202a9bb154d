import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { plugin } from './index.js';
import { assertRejects, createHarness } from './test-support.js';

describe('ssh backend', () => {
  test('plugin metadata', () => {
    assert.equal(plugin.kind, 'secrets');
    assert.equal(plugin.name, 'ssh');
    assert.equal(plugin.sdkVersion, '0.1.0');
  });

  test('factory builds a working backend', async () => {
    const storage = new InmemStorage();
    const backend = await plugin.factory({
      storage,
      logger: silentLogger,
      system: { defaultLeaseTtl: () => 60, maxLeaseTtl: () => 120 },
      options: {},
      mountPoint: 'ssh/',
    });
    const request = (operation: 'update' | 'read', path: string, data: Record<string, unknown>) =>
      backend.handleRequest({ id: 'req-1', operation, path, data, storage, mountPoint: 'ssh/', mountType: 'ssh', clientToken: 'salted', headers: {} });

    const configured = await request('update', 'config/ca', { key_type: 'ed25519' });

    assert.equal(backend.backendType, 'logical');
    assert.match(String(configured?.data?.public_key), /^ssh-ed25519 /);
    assert.deepEqual(backend.specialPaths().unauthenticated, ['public_key']);
  });

  test('unknown path is unsupported', async () => {
    const harness = createHarness();

    await assertRejects(harness.send('read', 'creds/otp'), 404, 'unsupported path "creds/otp"');
  });

  test('sign on a read is unsupported', async () => {
    const harness = createHarness();

    await assertRejects(harness.send('read', 'sign/dev'), 405, 'read operation not supported on path "sign/dev"');
  });

  test('help describes a path', async () => {
    const harness = createHarness();

    const response = await harness.backend.handleRequest({
      id: 'req-1',
      operation: 'help',
      path: 'sign/dev',
      data: {},
      storage: new InmemStorage(),
      mountPoint: 'ssh/',
      mountType: 'ssh',
      clientToken: 'salted',
      headers: {},
    });

    const help = String(response?.data?.help);
    assert.match(help, /^## Sign an SSH public key under a role\./);
    assert.match(help, /valid_principals \(string\)/);
  });
});
