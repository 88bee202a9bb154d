import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { AuditHasher, HMAC_PREFIX } from './hmac.js';

const SALT = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');

function expected(value: string): string {
  return HMAC_PREFIX + createHmac('sha256', SALT).update(value).digest('hex');
}

test('hash is HMAC-SHA256 under the salt', () => {
  const hasher = new AuditHasher(SALT);
  assert.equal(hasher.hash('my-secret'), expected('my-secret'));
  assert.match(hasher.hash('my-secret'), /^hmac-sha256:[0-9a-f]{64}$/);
  assert.notEqual(new AuditHasher(Buffer.alloc(32, 1)).hash('my-secret'), hasher.hash('my-secret'));
});

test('hashData replaces strings at every depth', () => {
  const hasher = new AuditHasher(SALT);
  const data = {
    top: 'a',
    nested: { deeper: { deepest: 'b' } },
    list: ['c', ['d'], { inside: 'e' }],
  };
  assert.deepEqual(hasher.hashData(data, new Set()), {
    top: expected('a'),
    nested: { deeper: { deepest: expected('b') } },
    list: [expected('c'), [expected('d')], { inside: expected('e') }],
  });
  assert.equal(data.top, 'a', 'the input is not changed');
});

test('hashData keeps non-string types', () => {
  const hasher = new AuditHasher(SALT);
  const hashed = hasher.hashData({ count: 3, ratio: 0.5, enabled: false, nothing: null, list: [1, true, null] }, new Set());
  assert.deepEqual(hashed, { count: 3, ratio: 0.5, enabled: false, nothing: null, list: [1, true, null] });
});

test('hashData leaves exempt keys in clear at any depth', () => {
  const hasher = new AuditHasher(SALT);
  const hashed = hasher.hashData({ username: 'alice', password: 'pw', profile: { username: 'bob', tags: ['x'] }, username_list: ['c'] }, new Set(['username', 'tags']));
  assert.deepEqual(hashed, {
    username: 'alice',
    password: expected('pw'),
    profile: { username: 'bob', tags: ['x'] },
    username_list: [expected('c')],
  });
});

test('hashData encodes binary data and dates as clients see them', () => {
  const hasher = new AuditHasher(SALT);
  const when = new Date('2024-01-15T10:30:45.123Z');
  const hashed = hasher.hashData({ certificate: Buffer.from([1, 2, 3]), issued: when }, new Set());
  assert.deepEqual(hashed, { certificate: expected('AQID'), issued: '2024-01-15T10:30:45.123Z' });
});

test('hashToken caches per token', () => {
  const hasher = new AuditHasher(SALT);
  assert.equal(hasher.hashToken('hvs.token'), expected('hvs.token'));
  assert.equal(hasher.hashToken('hvs.token'), expected('hvs.token'));
  assert.equal(hasher.cachedTokens, 1);
  hasher.hashToken('accessor');
  assert.equal(hasher.cachedTokens, 2);
});

test('hashToken cache stays bounded', () => {
  const hasher = new AuditHasher(SALT);
  for (let index = 0; index < 5000; index += 1) hasher.hashToken(`token-${index}`);
  assert.equal(hasher.cachedTokens, 4096);
  assert.equal(hasher.hashToken('token-0'), expected('token-0'));
});

test('equal compares HMACs', () => {
  const hasher = new AuditHasher(SALT);
  assert.equal(AuditHasher.equal(hasher.hash('a'), expected('a')), true);
  assert.equal(AuditHasher.equal(hasher.hash('a'), expected('b')), false);
  assert.equal(AuditHasher.equal(hasher.hash('a'), 'short'), false);
});

test('hashData keeps __proto__ keys as members', () => {
  const hasher = new AuditHasher(SALT);
  const data = JSON.parse('{"__proto__":"top","nested":{"__proto__":{"inner":"deep"}}}') as Record<string, unknown>;
  const hashed = hasher.hashData(data, new Set());

  assert.equal(JSON.stringify(hashed), `{"__proto__":"${expected('top')}","nested":{"__proto__":{"inner":"${expected('deep')}"}}}`);
  assert.equal(Object.getPrototypeOf(hashed), Object.prototype);
  assert.equal(Object.getPrototypeOf(hashed.nested), Object.prototype);
});

test('hashData never calls a toJSON member', () => {
  const hasher = new AuditHasher(SALT);
  const hashed = hasher.hashData({ document: { toJSON: () => 'clear text', kept: 'value' } }, new Set());
  assert.equal(JSON.stringify(hashed), `{"document":{"kept":"${expected('value')}"}}`);
});

test('short data values that never repeat stop filling the value cache', () => {
  const hasher = new AuditHasher(SALT);
  // The first window of 1024 lookups admits every miss.
  for (let i = 0; i < 1024; i += 1) assert.equal(hasher.hashDataValue(`distinct-${i}`), expected(`distinct-${i}`));
  assert.equal(hasher.cachedValues, 1024);
  // With no hit in it, the next window admits one miss in 16.
  for (let i = 1024; i < 2048; i += 1) assert.equal(hasher.hashDataValue(`distinct-${i}`), expected(`distinct-${i}`));
  assert.equal(hasher.cachedValues, 1024 + 64);
});

test('a value that repeats still reaches the value cache while admission is sampled', () => {
  const hasher = new AuditHasher(SALT);
  for (let i = 0; i < 1024; i += 1) hasher.hashDataValue(`distinct-${i}`);
  const before = hasher.cachedValues;
  // Sixteen misses of one value at most, and it is cached.
  for (let i = 0; i < 16; i += 1) assert.equal(hasher.hashDataValue('hot-value'), expected('hot-value'));
  assert.equal(hasher.cachedValues, before + 1);
});

test('a window of mostly hits admits every miss again', () => {
  const hasher = new AuditHasher(SALT);
  for (let i = 0; i < 1024; i += 1) hasher.hashDataValue(`distinct-${i}`);
  // The next window samples misses; repeating a cached value fills it with hits.
  for (let i = 0; i < 1024; i += 1) hasher.hashDataValue('distinct-0');
  const before = hasher.cachedValues;
  for (let i = 0; i < 10; i += 1) hasher.hashDataValue(`fresh-${i}`);
  assert.equal(hasher.cachedValues, before + 10);
});
