import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCofferError, silentLogger } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { plugin } from './index.js';
import { createHarness } from './test-support.js';

describe('pki backend', () => {
  test('plugin metadata', () => {
    assert.equal(plugin.kind, 'secrets');
    assert.equal(plugin.name, 'pki');
    assert.equal(plugin.sdkVersion, '0.1.0');
  });

  test('factory builds a working backend', async () => {
    const storage = new InmemStorage();
    const backend = await plugin.factory({
      storage,
      logger: silentLogger,
      system: { defaultLeaseTtl: () => 3600, maxLeaseTtl: () => 7200 },
      options: {},
      mountPoint: 'pki/',
    });
    const request = (operation: 'update' | 'read', path: string, data: Record<string, unknown>) =>
      backend.handleRequest({ id: 'req-1', operation, path, data, storage, mountPoint: 'pki/', mountType: 'pki', clientToken: 'salted', headers: {} });

    const root = await request('update', 'root/generate/internal', { common_name: 'Root', key_type: 'ec' });

    assert.equal(backend.backendType, 'logical');
    assert.match(String(root?.data?.certificate), /^-----BEGIN CERTIFICATE-----\n/);
    assert.deepEqual(backend.specialPaths(), { root: ['root'], unauthenticated: ['cert/*', 'ca/pem', 'ca_chain', 'ca', 'crl/pem', 'crl'] });
  });

  test('unknown path is unsupported', async () => {
    const harness = createHarness();

    await assert.rejects(harness.send('read', 'issuers'), (err: unknown) => {
      assert.ok(isCofferError(err));
      assert.equal(err.status, 404);
      assert.equal(err.message, 'unsupported path "issuers"');
      return true;
    });
  });

  test('help describes a path', async () => {
    const harness = createHarness();

    const response = await harness.backend.handleRequest({
      id: 'req-1',
      operation: 'help',
      path: 'issue/web',
      data: {},
      storage: new InmemStorage(),
      mountPoint: 'pki/',
      mountType: 'pki',
      clientToken: 'salted',
      headers: {},
    });

    const help = String(response?.data?.help);
    assert.match(help, /^## Issue a certificate and a new private key under a role\./);
    assert.match(help, /common_name \(string\)\n {4}Common name \(CN\) of the subject\./);
  });
});
