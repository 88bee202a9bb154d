import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, dataOf } from './test-support.js';

const VHOSTS = { '/': { configure: '^app\\.', write: '.*', read: '.*' }, orders: { configure: '', write: '^orders$', read: '^orders$' } };
const TOPICS = { orders: { 'amq.topic': { write: '^orders\\.', read: '.*' } } };

describe('roles', () => {
  test('write, read, list, delete', async () => {
    const harness = createHarness('tester');
    assert.equal(await harness.send('list', 'roles/'), null);

    assert.equal(await harness.send('update', 'roles/writer', { tags: 'management, policymaker', vhosts: JSON.stringify(VHOSTS), vhost_topics: JSON.stringify(TOPICS) }), null);
    assert.equal(await harness.send('update', 'roles/monitor', { tags: 'monitoring' }), null);

    assert.deepEqual(dataOf(await harness.send('read', 'roles/writer')), { tags: 'management,policymaker', vhosts: VHOSTS, vhost_topics: TOPICS });
    assert.deepEqual(dataOf(await harness.send('read', 'roles/monitor')), { tags: 'monitoring', vhosts: {}, vhost_topics: {} });
    assert.deepEqual(dataOf(await harness.send('list', 'roles/')), { keys: ['monitor', 'writer'] });

    assert.equal(await harness.send('delete', 'roles/writer'), null);
    assert.equal(await harness.send('read', 'roles/writer'), null);
    assert.deepEqual(dataOf(await harness.send('list', 'roles/')), { keys: ['monitor'] });
  });

  test('objects are accepted as well as JSON strings', async () => {
    const harness = createHarness('tester');
    await harness.send('update', 'roles/writer', { vhosts: VHOSTS, vhost_topics: TOPICS });
    assert.deepEqual(dataOf(await harness.send('read', 'roles/writer')), { tags: '', vhosts: VHOSTS, vhost_topics: TOPICS });
  });

  test('missing regular expressions grant nothing', async () => {
    const harness = createHarness('tester');
    await harness.send('update', 'roles/reader', { vhosts: { '/': { read: '.*' } }, vhost_topics: { '/': { 'amq.topic': {} } } });
    assert.deepEqual(dataOf(await harness.send('read', 'roles/reader')), {
      tags: '',
      vhosts: { '/': { configure: '', write: '', read: '.*' } },
      vhost_topics: { '/': { 'amq.topic': { write: '', read: '' } } },
    });
  });

  test('vhost named __proto__ is kept', async () => {
    const harness = createHarness('tester');
    const permission = '{"configure": "", "write": ".*", "read": ".*"}';
    await harness.send('update', 'roles/odd', {
      vhosts: `{"__proto__": ${permission}, "constructor": ${permission}}`,
      vhost_topics: '{"__proto__": {"__proto__": {"write": ".*", "read": ""}}}',
    });

    const role = dataOf(await harness.send('read', 'roles/odd'));
    assert.deepEqual(Object.keys(role.vhosts as object), ['__proto__', 'constructor']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(role.vhosts, '__proto__')?.value, { configure: '', write: '.*', read: '.*' });
    const topics = Object.getOwnPropertyDescriptor(role.vhost_topics, '__proto__')?.value as object;
    assert.deepEqual(Object.keys(topics), ['__proto__']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(topics, '__proto__')?.value, { write: '.*', read: '' });
  });

  test('write replaces the whole role', async () => {
    const harness = createHarness('tester');
    await harness.send('update', 'roles/writer', { tags: 'management', vhosts: VHOSTS });
    await harness.send('update', 'roles/writer', { tags: 'monitoring' });
    assert.deepEqual(dataOf(await harness.send('read', 'roles/writer')), { tags: 'monitoring', vhosts: {}, vhost_topics: {} });
  });

  test('invalid roles are rejected', async () => {
    const harness = createHarness('tester');
    await harness.send('update', 'roles/writer', { tags: 'management', vhosts: VHOSTS });
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'both tags and vhosts not specified'],
      [{ tags: ' , ', vhost_topics: TOPICS }, 'both tags and vhosts not specified'],
      [{ vhosts: '{"/": ' }, 'invalid field "vhosts": expected an object, got "{"/": "'],
      [{ vhosts: '["/"]' }, 'invalid field "vhosts": expected an object, got "["/"]"'],
      [{ vhosts: { '/': '.*' } }, 'invalid field "vhosts": vhost "/" must be an object {"configure": REGEXP, "write": REGEXP, "read": REGEXP}, got ".*"'],
      [{ vhosts: { '/': { confgure: '.*' } } }, 'invalid field "vhosts": vhost "/" has unknown key "confgure"; expected {"configure": REGEXP, "write": REGEXP, "read": REGEXP}'],
      [{ vhosts: { '/': { read: 5 } } }, 'invalid field "vhosts": vhost "/": "read" must be a string, got 5'],
      [{ vhosts: { '/': { write: '(' } } }, 'invalid field "vhosts": vhost "/": "write" is not a valid regular expression: /(/: Unterminated group'],
      [{ vhosts: { '': { read: '.*' } } }, 'invalid field "vhosts": a vhost name is empty'],
      [{ vhosts: { '..': { read: '.*' } } }, 'invalid field "vhosts": vhost ".." cannot be addressed through the RabbitMQ management API, which reads it as a path step'],
      [
        { tags: 'management', vhost_topics: { '.': { 'amq.topic': { read: '.*' } } } },
        'invalid field "vhost_topics": vhost "." cannot be addressed through the RabbitMQ management API, which reads it as a path step',
      ],
      [{ tags: 'management', vhost_topics: { '/': ['amq.topic'] } }, 'invalid field "vhost_topics": vhost "/" must map exchange names to {"write": ..., "read": ...}, got ["amq.topic"]'],
      [
        { tags: 'management', vhost_topics: { '/': { 'amq.topic': { write: '[' } } } },
        'invalid field "vhost_topics": vhost "/", exchange "amq.topic": "write" is not a valid regular expression: /[/: Unterminated character class',
      ],
      [
        { tags: 'management', vhost_topics: { '/': { 'amq.topic': { configure: '.*' } } } },
        'invalid field "vhost_topics": vhost "/", exchange "amq.topic" has unknown key "configure"; expected {"write": REGEXP, "read": REGEXP}',
      ],
      [{ tags: 'management', vhost_topics: { '/': { '': { read: '.*' } } } }, 'invalid field "vhost_topics": vhost "/" has an empty exchange name'],
      [{ tags: 'management', colour: 'red' }, 'unknown field "colour"'],
      [{ vhosts: `{"/": ${'['.repeat(20000)}${']'.repeat(20000)}}` }, 'invalid field "vhosts": JSON nesting is deeper than the limit of 500 levels'],
      [
        { tags: 'management', vhost_topics: `{"/": {"amq.topic": ${'['.repeat(20000)}${']'.repeat(20000)}}}` },
        'invalid field "vhost_topics": JSON nesting is deeper than the limit of 500 levels',
      ],
    ];
    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'roles/writer', data), message);
    }
    assert.deepEqual(dataOf(await harness.send('read', 'roles/writer')), { tags: 'management', vhosts: VHOSTS, vhost_topics: {} });
  });
});
