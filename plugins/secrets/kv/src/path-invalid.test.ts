import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHarness, rawJson } from './test-support.js';

const HINT = (subcommand: string) =>
  'Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. ' +
  `If using the Vault CLI, use 'vault kv ${subcommand}' for this operation.`;

describe('invalid v2 path', () => {
  test('v1 style paths name the kv subcommand', async () => {
    const harness = createHarness('2');
    const cases: Array<['read' | 'update' | 'create' | 'patch' | 'delete' | 'list', string]> = [
      ['read', 'get'],
      ['update', 'put'],
      ['create', 'put'],
      ['patch', 'patch'],
      ['delete', 'delete'],
      ['list', 'list'],
    ];

    for (const [operation, subcommand] of cases) {
      const { status, body } = rawJson(await harness.send(operation, 'app/db', { any: 'field' }));
      assert.equal(status, 404);
      assert.equal(body.data, null);
      assert.deepEqual(body.warnings, [HINT(subcommand)]);
    }
    assert.equal((await harness.snapshot()).size, 0);
  });

  test('data path with trailing slash', async () => {
    const harness = createHarness('2');

    const { status, body } = rawJson(await harness.send('read', 'data/app/'));

    assert.equal(status, 404);
    assert.deepEqual(body.warnings, [HINT('get')]);
  });

  test('api roots warn about the root', async () => {
    const harness = createHarness('2');

    for (const path of ['data', 'data/', 'delete', 'undelete', 'destroy', 'subkeys']) {
      const { status, body } = rawJson(await harness.send('read', path));
      assert.equal(status, 404, path);
      assert.deepEqual(body.warnings, ['Non-listing operations on the root of a K/V v2 mount are not supported.'], path);
    }
  });

  test('envelope has Vault fields', async () => {
    const harness = createHarness('2');

    const { body } = rawJson(await harness.send('read', 'app'));

    assert.deepEqual(Object.keys(body), [
      'request_id',
      'lease_id',
      'renewable',
      'lease_duration',
      'data',
      'wrap_info',
      'warnings',
      'auth',
      'mount_type',
    ]);
    assert.equal(body.request_id, 'req-0001');
    assert.equal(body.mount_type, 'kv');
  });
});
