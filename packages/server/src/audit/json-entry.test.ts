import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringifyJson } from '@coffer/sdk';
import { deviceFormat, formatEntry } from './entry-format.js';
import { buildRequestEntry, buildResponseEntry, JsonBlockCache, parseFormatConfig, serializeJsonEntry, type FormatConfig } from './format.js';
import { AuditHasher } from './hmac.js';
import { auditTokenFields, type AuditResponseInput } from './input.js';
import { sampleInput } from './test-support.js';
import type { TokenEntry } from '../token/token-entry.js';

const SALT = Buffer.alloc(32, 9);
const NOW = new Date('2024-01-15T10:30:45.120Z');

/** A hasher that counts the HMACs it computes. */
class CountingHasher extends AuditHasher {
  count = 0;

  override hash(value: string): string {
    this.count += 1;
    return super.hash(value);
  }
}

/** Inputs that reach every branch of the entry builders. */
const CASES: Record<string, AuditResponseInput> = {
  'full request': sampleInput(),
  'denied, no token entry': sampleInput({ tokenEntry: undefined, error: 'permission denied', data: {}, wrapTtl: 60 }),
  'no data, no token': sampleInput({ data: null, token: '', tokenEntry: undefined, remotePort: 0 }),
  'odd data values': sampleInput({
    data: {
      when: new Date('2024-02-03T04:05:06.007Z'),
      binary: Buffer.from([1, 2, 3]),
      big: 12345678901234567890n,
      notANumber: Number.NaN,
      missing: undefined,
      callback: () => 1,
      holes: [1, undefined, 'text', () => 2, [true, null]],
      'quoted "key"\n': 'value with "quotes"',
      empty: {},
      emptyList: [],
    },
  }),
  'headers and exempt keys': sampleInput({
    headers: { 'x-forwarded-for': { values: ['10.0.0.1', '10.0.0.2'], hmac: false }, 'x-request-source': { values: ['batch', 'nightly'], hmac: true } },
    nonHmacRequestKeys: ['password', 'list'],
    nonHmacResponseKeys: ['name'],
    response: { data: { name: 'clear', secret: 'hashed', nested: { name: ['clear-too'] } } },
  }),
  'header values needing escapes': sampleInput({
    headers: JSON.parse('{"__proto__":{"values":["x"],"hmac":true},"x-note":{"values":["say \\"hi\\"","\\u00fc"],"hmac":false}}'),
  }),
  'response with lease and warnings': sampleInput({
    operation: 'read',
    response: { data: { username: 'v-user', password: 'v-pass', ttl: 3600 }, leaseId: 'database/creds/app/abc', warnings: ['first warning'] },
  }),
  'response issuing a token': sampleInput({
    response: {
      auth: {
        client_token: 'hvs.issued',
        accessor: 'issued-accessor',
        policies: ['default'],
        token_policies: ['default'],
        metadata: { user: 'alice' },
        lease_duration: 768,
        num_uses: 0,
        token_type: 'service',
        entity_id: 'entity-1',
      },
    },
  }),
  'wrapped response': sampleInput({
    response: {
      wrapInfo: { token: 'hvs.wrapping', accessor: 'wrap-accessor', ttl: 300, creation_time: '2024-01-15T10:30:45Z', creation_path: 'secret/data/app', wrapped_accessor: 'inner' },
    },
  }),
  'empty response data and warnings': sampleInput({ response: { data: {}, warnings: [] } }),
  'response data of undefined members': sampleInput({ response: { data: { gone: undefined } } }),
  'path needing escapes': sampleInput({ path: 'secret/data/"odd"\n\u2028ü\\', remoteAddress: '::1', mountPoint: 'sé cret/' }),
  'backend error': sampleInput({ error: 'check-and-set parameter did not match the current version' }),
  'list response': sampleInput({ operation: 'list', response: { data: { keys: ['a', 'b/'], key_info: { a: { owner: 'x' } } } } }),
  '__proto__ keys from a JSON body': sampleInput({
    data: JSON.parse('{"__proto__":"hidden","nested":{"__proto__":{"inner":"value"}}}'),
    response: { data: JSON.parse('{"__proto__":"only member"}') },
  }),
  'own toJSON function': sampleInput({ data: { document: { toJSON: () => 'clear text', kept: 'value' } } }),
  // Under log_raw and hmac_accessor off these go out in clear, so they must be escaped.
  'token and accessor needing escapes': sampleInput({ token: 'hvs."quoted"\\\n', tokenEntry: { ...sampleInput().tokenEntry!, accessor: 'acc"ess\u2028or' } }),
  'remaining uses': sampleInput({ tokenEntry: { ...sampleInput().tokenEntry!, remainingUses: 3, metadata: null, entityId: 'entity-7' } }),
};

const CONFIGS: Record<string, FormatConfig> = {
  default: parseFormatConfig({}),
  'log_raw': parseFormatConfig({ log_raw: 'true' }),
  'hmac_accessor off': parseFormatConfig({ hmac_accessor: 'false' }),
  'elide_list_responses': parseFormatConfig({ elide_list_responses: 'true' }),
};

describe('json entry serializer', () => {
  for (const [configName, config] of Object.entries(CONFIGS)) {
    for (const [caseName, input] of Object.entries(CASES)) {
      test(`${caseName}, ${configName}: same text as the entry object`, () => {
        const hasher = new AuditHasher(SALT);
        const cache = new JsonBlockCache();
        // A raw entry writes a bigint as its digits, as stringifyJson does.
        const expectedRequest = stringifyJson(buildRequestEntry(input, hasher, config, NOW));
        const expectedResponse = stringifyJson(buildResponseEntry(input, hasher, config, NOW));

        assert.equal(serializeJsonEntry('request', input, NOW, hasher, config, cache), expectedRequest);
        // The second call takes the blocks from the cache.
        assert.equal(serializeJsonEntry('response', input, NOW, hasher, config, cache), expectedResponse);
      });
    }
  }

  test('formatEntry adds prefix and newline', () => {
    const format = deviceFormat(SALT, { prefix: '@cee: ' });
    const input = sampleInput();
    const line = formatEntry('request', input, NOW, format).toString('utf8');
    assert.equal(line, `@cee: ${JSON.stringify(buildRequestEntry(input, new AuditHasher(SALT), format.config, NOW))}\n`);
  });

  test('response entry reuses request blocks', () => {
    const hasher = new CountingHasher(SALT);
    const config = parseFormatConfig({});
    const cache = new JsonBlockCache();
    // Values over 128 characters skip the value cache, so each serialization of the data shows in the count.
    const input = sampleInput({ data: { document: 'd'.repeat(200) }, tokenEntry: undefined, token: undefined });

    serializeJsonEntry('request', input, NOW, hasher, config, cache);
    assert.equal(hasher.count, 1);
    serializeJsonEntry('response', input, NOW, hasher, config, cache);
    assert.equal(hasher.count, 1, 'the same input object reuses the request block');
    serializeJsonEntry('response', { ...input }, NOW, hasher, config, cache);
    assert.equal(hasher.count, 2, 'a copy of the input is serialized again');
    serializeJsonEntry('response', input, NOW, hasher, config, new JsonBlockCache());
    assert.equal(hasher.count, 3, 'another device serializes its own blocks');
  });

  test('changed input fields rebuild cached blocks', () => {
    const hasher = new AuditHasher(SALT);
    const config = parseFormatConfig({});
    const cache = new JsonBlockCache();
    const input = sampleInput();
    serializeJsonEntry('request', input, NOW, hasher, config, cache);

    input.operation = 'create';
    input.data = { other: 'value' };
    input.token = 'hvs.another-token';
    const text = serializeJsonEntry('response', input, NOW, hasher, config, cache);
    assert.equal(text, JSON.stringify(buildResponseEntry(input, hasher, config, NOW)));
  });

  test('request tail follows its inputs', () => {
    const hasher = new AuditHasher(SALT);
    const config = parseFormatConfig({});
    const cache = new JsonBlockCache();
    const variants: Array<Partial<AuditResponseInput>> = [
      {},
      { operation: 'create' },
      { remoteAddress: '10.0.0.7' },
      { remoteAddress: undefined },
      { remotePort: 40123 },
      { wrapTtl: 300 },
      { mountAccessor: 'kv_other', mountPoint: 'other/', mountType: 'kv' },
      {},
    ];
    for (const [index, variant] of variants.entries()) {
      // A new input object each time, so only the device cache can carry text over.
      const input = sampleInput({ requestId: `request-${index}`, ...variant });
      assert.equal(serializeJsonEntry('request', input, NOW, hasher, config, cache), JSON.stringify(buildRequestEntry(input, hasher, config, NOW)), `variant ${index}`);
    }
  });

  test('response mount members follow their inputs', () => {
    const hasher = new AuditHasher(SALT);
    const config = parseFormatConfig({});
    const cache = new JsonBlockCache();
    const variants: Array<Partial<AuditResponseInput>> = [
      {},
      { mountAccessor: 'kv_other', mountPoint: 'other/', mountType: 'kv' },
      { mountAccessor: 'kv_other', mountPoint: 'moved "other"/', mountType: 'kv' },
      { mountAccessor: 'kv_other', mountPoint: 'moved "other"/', mountType: 'kv-v2' },
      { mountAccessor: undefined, mountPoint: undefined, mountType: undefined },
      {},
    ];
    for (const [index, variant] of variants.entries()) {
      const input = sampleInput({ requestId: `request-${index}`, ...variant });
      assert.equal(serializeJsonEntry('response', input, NOW, hasher, config, cache), JSON.stringify(buildResponseEntry(input, hasher, config, NOW)), `variant ${index}`);
    }
  });

  test('request tail right after cache fills', () => {
    const hasher = new AuditHasher(SALT);
    const config = parseFormatConfig({});
    const cache = new JsonBlockCache();
    for (let i = 0; i < 1030; i += 1) serializeJsonEntry('request', sampleInput({ path: `secret/data/item-${i}` }), NOW, hasher, config, cache);
    assert.ok(cache.requestTails.size <= 1024, `${cache.requestTails.size} paths kept`);

    for (const path of ['secret/data/item-0', 'secret/data/item-1029']) {
      const input = sampleInput({ path, remoteAddress: '192.0.2.1' });
      assert.equal(serializeJsonEntry('request', input, NOW, hasher, config, cache), JSON.stringify(buildRequestEntry(input, hasher, config, NOW)));
    }
  });

  test('long paths skip tail cache', () => {
    const hasher = new AuditHasher(SALT);
    const config = parseFormatConfig({});
    const cache = new JsonBlockCache();
    // A path as long as an HTTP request line allows. Its route need not exist, because unrouted requests are audited too.
    const path = `missing/${'a'.repeat(16000)}`;
    const input = sampleInput({ path, error: 'no handler for route' });

    assert.equal(serializeJsonEntry('request', input, NOW, hasher, config, cache), JSON.stringify(buildRequestEntry(input, hasher, config, NOW)));
    assert.equal(cache.requestTails.size, 0);
  });

  test('auth block follows the token fields', () => {
    const hasher = new AuditHasher(SALT);
    const config = parseFormatConfig({});
    const cache = new JsonBlockCache();
    const fields = sampleInput().tokenEntry!;
    const first = sampleInput({ tokenEntry: fields, requestId: 'first' });
    const second = sampleInput({ tokenEntry: fields, requestId: 'second', token: 'hvs.same-fields-other-token' });

    serializeJsonEntry('request', first, NOW, hasher, config, cache);
    const text = serializeJsonEntry('request', second, NOW, hasher, config, cache);
    assert.equal(text, JSON.stringify(buildRequestEntry(second, hasher, config, NOW)));
  });

  test('short data values are hashed once', () => {
    const hasher = new CountingHasher(SALT);
    const short = 's'.repeat(128);
    const long = 'l'.repeat(129);

    assert.equal(hasher.hashDataValue(short), hasher.hash(short));
    const afterFirst = hasher.count;
    hasher.hashDataValue(short);
    assert.equal(hasher.count, afterFirst);

    hasher.hashDataValue(long);
    hasher.hashDataValue(long);
    assert.equal(hasher.count, afterFirst + 2);
  });

  test('hashDataJson matches the hashed copy', () => {
    const hasher = new AuditHasher(SALT);
    const exempt = new Set(['password']);
    for (const input of Object.values(CASES)) {
      const data = input.data ?? {};
      assert.equal(hasher.hashDataJson(data, exempt), JSON.stringify(hasher.hashData(data, exempt)));
    }
  });
});

describe('audit token fields', () => {
  const entry: TokenEntry = {
    saltedId: 'salted',
    accessor: 'accessor-1',
    parent: '',
    policies: ['default', 'app'],
    path: 'auth/token/create',
    meta: { team: 'payments' },
    displayName: 'token-app',
    numUses: 0,
    creationTime: 1705314645,
    creationTtl: 3600,
    expireTime: 0,
    lastRenewalTime: 0,
    explicitMaxTtl: 0,
    period: 0,
    renewable: true,
    type: 'service',
    role: '',
    entityId: '',
    cubbyholeId: 'cubby',
    boundCidrs: [],
  };

  test('one object per unchanged entry', () => {
    const first = auditTokenFields(entry);
    assert.equal(auditTokenFields(entry), first);
    assert.equal(first.issueTime, '2024-01-15T10:30:45Z');
  });

  test('a spent use gives new fields', () => {
    const limited = { ...entry, numUses: 3 };
    const before = auditTokenFields(limited);
    limited.numUses = 2;
    const after = auditTokenFields(limited);
    assert.notEqual(after, before);
    assert.equal(before.remainingUses, 3);
    assert.equal(after.remainingUses, 2);
  });

  test('a new creation time gives new fields', () => {
    const reissued = { ...entry };
    const before = auditTokenFields(reissued);
    reissued.creationTime += 60;
    const after = auditTokenFields(reissued);
    assert.notEqual(after, before);
    assert.equal(after.issueTime, '2024-01-15T10:31:45Z');
  });
});
