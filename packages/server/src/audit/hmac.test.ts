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

test('hash matches createHmac at every length', () => {
  const hasher = new AuditHasher(SALT);
  // Multi-byte characters, and a lone surrogate, which UTF-8 encoding replaces.
  const alphabet = ['a', 'é', '€', '😀', '\ud800', '"', '\n'];
  for (let length = 0; length <= 1100; length += 1) {
    let value = '';
    for (let i = 0; value.length < length; i += 1) value += alphabet[(i * 7 + length) % alphabet.length];
    assert.equal(hasher.hash(value), expected(value), `value of length ${value.length}`);
  }
  // Around the one-shot limit of 16,384 UTF-16 units, with 3 UTF-8 bytes per unit at most.
  for (const length of [16_383, 16_384, 16_385]) {
    assert.equal(hasher.hash('€'.repeat(length)), expected('€'.repeat(length)), `value of length ${length}`);
  }
  assert.equal(hasher.hash('x'.repeat(100_000)), expected('x'.repeat(100_000)));
});

test('hash passes RFC 4231 vectors', () => {
  // Test case 2: a key shorter than a block.
  assert.equal(new AuditHasher(Buffer.from('Jefe')).hash('what do ya want for nothing?'), `${HMAC_PREFIX}5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843`);
  // Test case 6: a 131-byte key, which HMAC replaces by its digest.
  const longKey = new AuditHasher(Buffer.alloc(131, 0xaa));
  assert.equal(longKey.hash('Test Using Larger Than Block-Size Key - Hash Key First'), `${HMAC_PREFIX}60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54`);
});

test('hash keeps no value bytes', () => {
  const hasher = new AuditHasher(SALT);
  hasher.hash('my-secret-value');
  const inner = (hasher as unknown as { innerInput: Buffer }).innerInput;
  assert.equal(inner.indexOf('my-secret-value'), -1);
  assert.ok(inner.subarray(64).every((byte) => byte === 0));
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
  // Two generations of 4096: after 10,000 tokens, the old one contains 4096 and the young one the last 1808.
  for (let index = 0; index < 10_000; index += 1) hasher.hashToken(`token-${index}`);
  assert.equal(hasher.cachedTokens, 5904);
  assert.equal(hasher.hashToken('token-0'), expected('token-0'));
});

test('hashToken keeps the last 4096 tokens', () => {
  const hasher = new RecordingHasher(SALT);
  // Cycling through 4096 tokens in order, each is hashed once, then found in one of the generations.
  for (let round = 0; round < 3; round += 1) {
    for (let index = 0; index < 4096; index += 1) hasher.hashToken(`token-${index}`);
  }
  assert.equal(hasher.hashed.length, 4096);
});

test('hashToken skips caching long tokens', () => {
  const hasher = new RecordingHasher(SALT);
  const long = 't'.repeat(2049);
  assert.equal(hasher.hashToken(long), expected(long));
  assert.equal(hasher.hashToken(long), expected(long));
  assert.equal(hasher.cachedTokens, 0);
  assert.equal(hasher.hashed.length, 2);
});

test('hashToken keeps a hot token', () => {
  const hasher = new RecordingHasher(SALT);
  hasher.hashToken('hot-token');
  for (let index = 0; index < 10_000; index += 1) {
    hasher.hashToken(`token-${index}`);
    if (index % 1000 === 0) hasher.hashToken('hot-token');
  }
  assert.equal(hasher.hashed.filter((value) => value === 'hot-token').length, 1);
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

test('unrepeated values stop filling cache', () => {
  const hasher = new AuditHasher(SALT);
  // The first window of 1024 lookups admits every miss.
  for (let i = 0; i < 1024; i += 1) assert.equal(hasher.hashDataValue(`distinct-${i}`), expected(`distinct-${i}`));
  assert.equal(hasher.cachedValues, 1024);
  // With no hit in it, the next window admits a miss with a chance of 1 in
  // 16. That is 64 of 1024 on average, and outside these bounds about once in 10^13 runs.
  for (let i = 1024; i < 2048; i += 1) assert.equal(hasher.hashDataValue(`distinct-${i}`), expected(`distinct-${i}`));
  const admitted = hasher.cachedValues - 1024;
  assert.ok(admitted > 0, `${admitted} of 1024 misses admitted`);
  assert.ok(admitted < 128, `${admitted} of 1024 misses admitted`);
});

test('repeated value cached while sampling', () => {
  const hasher = new AuditHasher(SALT);
  for (let i = 0; i < 1024; i += 1) hasher.hashDataValue(`distinct-${i}`);
  const before = hasher.cachedValues;
  // Each miss admits it with a chance of 1 in 16, so 600 misses leave it out about once in 10^16 runs.
  for (let i = 0; i < 600; i += 1) assert.equal(hasher.hashDataValue('hot-value'), expected('hot-value'));
  assert.equal(hasher.cachedValues, before + 1);
});

test('mostly hits restore full admission', () => {
  const hasher = new AuditHasher(SALT);
  for (let i = 0; i < 1024; i += 1) hasher.hashDataValue(`distinct-${i}`);
  // The next window samples misses, and repeating a cached value fills it with hits.
  for (let i = 0; i < 1024; i += 1) hasher.hashDataValue('distinct-0');
  const before = hasher.cachedValues;
  for (let i = 0; i < 10; i += 1) hasher.hashDataValue(`fresh-${i}`);
  assert.equal(hasher.cachedValues, before + 10);
});

/** A hasher that records each value it computes an HMAC of. */
class RecordingHasher extends AuditHasher {
  readonly hashed: string[] = [];

  override hash(value: string): string {
    this.hashed.push(value);
    return super.hash(value);
  }
}

test('sampled admission caches an alternating value', () => {
  const hasher = new RecordingHasher(SALT);
  // A window of values that never repeat turns sampling on.
  for (let i = 0; i < 1024; i += 1) hasher.hashDataValue(`distinct-${i}`);

  // Each request hashes one recurring value and one new one. The recurring
  // value is then every other miss, which admitting every 16th miss never picks.
  for (let i = 0; i < 2000; i += 1) {
    assert.equal(hasher.hashDataValue('hot-value'), expected('hot-value'));
    hasher.hashDataValue(`fresh-${i}`);
  }

  hasher.hashed.length = 0;
  assert.equal(hasher.hashDataValue('hot-value'), expected('hot-value'));
  assert.deepEqual(hasher.hashed, [], 'the recurring value was hashed again');
});
