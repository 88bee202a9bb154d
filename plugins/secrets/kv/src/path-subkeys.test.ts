import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stripValues } from './path-subkeys.js';
import { assertRejects, createHarness, dataOf, rawJson } from './test-support.js';

const SECRET = {
  foo: 'abc',
  bar: { baz: 'def', empty: {}, deep: { deeper: { deepest: 1 } } },
  list: [1, 2, 3],
  nothing: null,
};

describe('subkeys', () => {
  test('replaces values with null', async () => {
    const harness = createHarness('2');
    const written = dataOf(await harness.send('update', 'data/app', { data: SECRET }));

    const result = dataOf(await harness.send('read', 'subkeys/app'));

    assert.deepEqual(result, {
      metadata: {
        created_time: written.created_time,
        custom_metadata: null,
        deletion_time: '',
        destroyed: false,
        version: 1,
      },
      subkeys: {
        foo: null,
        bar: { baz: null, empty: null, deep: { deeper: { deepest: null } } },
        list: null,
        nothing: null,
      },
    });
  });

  test('depth limits nesting', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'data/app', { data: SECRET });

    const depthOne = dataOf(await harness.send('read', 'subkeys/app', { depth: '1' }));
    const depthTwo = dataOf(await harness.send('read', 'subkeys/app', { depth: 2 }));

    assert.deepEqual(depthOne.subkeys, { foo: null, bar: null, list: null, nothing: null });
    assert.deepEqual(depthTwo.subkeys, { foo: null, bar: { baz: null, empty: null, deep: null }, list: null, nothing: null });
  });

  test('reads a chosen version', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'data/app', { data: { first: 1 } });
    await harness.send('update', 'data/app', { data: { second: 2 } });

    const result = dataOf(await harness.send('read', 'subkeys/app', { version: 1 }));

    assert.deepEqual(result.subkeys, { first: null });
    assert.equal((result.metadata as Record<string, unknown>).version, 1);
  });

  test('deleted version is 404 with metadata', async () => {
    const harness = createHarness('2');
    await harness.send('update', 'data/app', { data: SECRET });
    await harness.send('delete', 'data/app');

    const { status, body } = rawJson(await harness.send('read', 'subkeys/app'));

    assert.equal(status, 404);
    const data = body.data as Record<string, unknown>;
    assert.equal(data.subkeys, null);
    assert.equal((data.metadata as Record<string, unknown>).version, 1);
  });

  test('missing key is 404', async () => {
    const harness = createHarness('2');

    await assertRejects(harness.send('read', 'subkeys/app'), 404, 'secret "app" not found');
  });

  test('negative depth is rejected', async () => {
    const harness = createHarness('2');

    await assertRejects(
      harness.send('read', 'subkeys/app', { depth: -1 }),
      400,
      'invalid field "depth": -1 is negative: use 0 for no limit or a positive nesting level',
    );
  });

  test('stripValues leaves its input unchanged', () => {
    const input = { a: { b: 'secret' } };

    const stripped = stripValues(input, 0);

    assert.deepEqual(stripped, { a: { b: null } });
    assert.deepEqual(input, { a: { b: 'secret' } });
  });
});
