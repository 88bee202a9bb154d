import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness } from './test-support.js';

const VALID = { host: '127.0.0.1', secret: 'shared-secret' };

describe('config', () => {
  test('defaults read without the secret', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('read', 'config'), null);

    await harness.send('update', 'config', VALID);
    const read = await harness.send('read', 'config');

    assert.deepEqual(read?.data, {
      host: '127.0.0.1',
      port: 1812,
      unregistered_user_policies: [],
      dial_timeout: 10,
      read_timeout: 10,
      nas_port: 10,
      nas_identifier: '',
      token_ttl: 0,
      token_max_ttl: 0,
      token_explicit_max_ttl: 0,
      token_period: 0,
      token_policies: [],
      policies: [],
      token_bound_cidrs: [],
      token_no_default_policy: false,
      token_num_uses: 0,
      token_type: 'default',
    });
    assert.equal(JSON.stringify(read).includes('shared-secret'), false);
  });

  test('write sets every field', async () => {
    const harness = createHarness();
    await harness.send('update', 'config', {
      ...VALID,
      port: 11812,
      unregistered_user_policies: 'Guest, web,guest',
      dial_timeout: '2s',
      read_timeout: 3,
      nas_port: 4294967295,
      nas_identifier: 'coffer-1',
      token_policies: 'base',
      token_ttl: '20m',
    });
    const data = (await harness.send('read', 'config'))?.data;

    assert.equal(data?.port, 11812);
    assert.deepEqual(data?.unregistered_user_policies, ['guest', 'web']);
    assert.equal(data?.dial_timeout, 2);
    assert.equal(data?.read_timeout, 3);
    assert.equal(data?.nas_port, 4294967295);
    assert.equal(data?.nas_identifier, 'coffer-1');
    assert.deepEqual(data?.token_policies, ['base']);
    assert.equal(data?.token_ttl, 1200);
  });

  test('update keeps unset fields', async () => {
    const harness = createHarness();
    await harness.send('update', 'config', { ...VALID, port: 1645, nas_identifier: 'first' });
    await harness.send('update', 'config', { read_timeout: 5 });
    const data = (await harness.send('read', 'config'))?.data;

    assert.equal(data?.host, '127.0.0.1');
    assert.equal(data?.port, 1645);
    assert.equal(data?.nas_identifier, 'first');
    assert.equal(data?.read_timeout, 5);
  });

  test('invalid fields rejected unchanged', async () => {
    const harness = createHarness();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ secret: 's' }, 'config parameter `host` cannot be empty'],
      [{ host: '  ', secret: 's' }, 'config parameter `host` cannot be empty'],
      [{ host: '127.0.0.1' }, 'config parameter `secret` cannot be empty'],
      [{ ...VALID, port: 0 }, 'invalid "port" 0: must be between 1 and 65535'],
      [{ ...VALID, port: 70000 }, 'invalid "port" 70000: must be between 1 and 65535'],
      [{ ...VALID, dial_timeout: 0 }, 'invalid "dial_timeout" 0: must be a positive number of seconds'],
      [{ ...VALID, read_timeout: -1 }, 'invalid field "read_timeout": expected a duration such as 30, "30s", "90m" or "1h", got number -1'],
      [{ ...VALID, read_timeout: '0s' }, 'invalid "read_timeout" 0: must be a positive number of seconds'],
      [{ ...VALID, nas_port: -2 }, 'invalid "nas_port" -2: must be between 0 and 4294967295'],
      [{ ...VALID, nas_identifier: 'x'.repeat(254) }, 'invalid "nas_identifier": longer than 253 bytes, the maximum of a RADIUS attribute'],
      [{ ...VALID, token_type: 'odd' }, 'invalid "token_type" "odd": must be one of service, batch, default, default-service, default-batch'],
      [{ ...VALID, unregistered_user_policies: 'web,root' }, 'root policy cannot be granted by an auth method: remove "root" from "unregistered_user_policies"'],
    ];
    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'config', data), message);
    }

    await harness.send('update', 'config', VALID);
    await assertRejectedUnchanged(harness, () => harness.send('update', 'config', { secret: '' }), 'config parameter `secret` cannot be empty');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'config', { port: 'many' }), 'invalid field "port": expected an integer, got "many"');
  });
});

describe('users', () => {
  test('write, read, list and delete', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('list', 'users/'), null);

    await harness.send('update', 'users/Alice', { policies: 'Web, ops,web' });
    await harness.send('update', 'users/bob', { token_policies: ['db'] });

    assert.deepEqual((await harness.send('read', 'users/alice'))?.data, { policies: ['ops', 'web'] });
    assert.deepEqual((await harness.send('read', 'users/BOB'))?.data, { policies: ['db'] });
    assert.deepEqual((await harness.send('list', 'users/'))?.data, { keys: ['alice', 'bob'] });

    await harness.send('delete', 'users/ALICE');
    assert.equal(await harness.send('read', 'users/alice'), null);
    assert.deepEqual((await harness.send('list', 'users'))?.data, { keys: ['bob'] });
  });

  test('root policy rejected unchanged', async () => {
    const harness = createHarness();
    await harness.send('update', 'users/alice', { policies: 'web' });

    await assertRejectedUnchanged(harness, () => harness.send('update', 'users/alice', { policies: 'root' }), 'root policy cannot be granted by an auth method: remove "root" from "policies"');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'users/bob', { token_policies: 'ops, Root' }), 'root policy cannot be granted by an auth method: remove "root" from "token_policies"');
    assert.deepEqual((await harness.send('read', 'users/alice'))?.data, { policies: ['web'] });
  });
});
