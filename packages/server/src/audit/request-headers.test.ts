import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { silentLogger } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { Barrier } from '../barrier/barrier.js';
import { AuditBroker } from './broker.js';
import { deviceFormat, formatEntry } from './entry-format.js';
import { buildRequestEntry, buildResponseEntry, parseFormatConfig } from './format.js';
import { AuditHasher } from './hmac.js';
import { AUDITED_HEADERS_KEY, AuditedRequestHeaders } from './request-headers.js';
import { sampleInput, unsealedBarrier } from './test-support.js';

const SALT = Buffer.alloc(32, 5);
const NOW = new Date('2024-01-15T10:30:45Z');

describe('audited request headers', () => {
  test('pick matches names in any case', async () => {
    const headers = new AuditedRequestHeaders(await unsealedBarrier());
    await headers.set('X-Forwarded-For', false);
    await headers.set('x-request-id', true);
    const picked = headers.pick(['X-REQUEST-ID', 'r-1', 'Host', 'example', 'x-forwarded-for', '10.0.0.1', 'X-Forwarded-For', '10.0.0.2, 10.0.0.3']);
    assert.deepEqual(picked, {
      'x-forwarded-for': { values: ['10.0.0.1', '10.0.0.2, 10.0.0.3'], hmac: false },
      'x-request-id': { values: ['r-1'], hmac: true },
    });
    assert.deepEqual(Object.keys(picked!), ['x-forwarded-for', 'x-request-id']);
    assert.equal(headers.pick(['Host', 'example']), undefined, 'none of them');
  });

  test('pick leaves out the token header', async () => {
    const headers = new AuditedRequestHeaders(await unsealedBarrier());
    await headers.set('X-Vault-Token', false);
    await headers.set('Authorization', false);
    assert.equal(headers.pick(['X-Vault-Token', 'hvs.secret']), undefined);
    // The token came from Authorization, so its Bearer values are left out and the others kept.
    assert.deepEqual(headers.pick(['Authorization', 'Bearer hvs.secret', 'Authorization', 'Basic abc']), {
      authorization: { values: ['Basic abc'], hmac: false },
    });
    assert.equal(headers.pick(['Authorization', 'Bearer hvs.secret']), undefined);
    // The token came from X-Vault-Token, so Authorization is another header, kept as in Vault.
    assert.deepEqual(headers.pick(['X-Vault-Token', 'hvs.secret', 'Authorization', 'Bearer other']), {
      authorization: { values: ['Bearer other'], hmac: false },
    });
  });

  test('changes ignore the name case', async () => {
    const barrier = await unsealedBarrier();
    const headers = new AuditedRequestHeaders(barrier);
    assert.equal(headers.configured, false);
    await headers.set('X-Forwarded-For', true);
    await headers.set('x-forwarded-FOR', false);
    assert.equal(headers.configured, true);
    assert.deepEqual(headers.get('X-FORWARDED-FOR'), { hmac: false });
    assert.deepEqual(headers.all(), { 'x-forwarded-for': { hmac: false } });
    await headers.remove('X-Forwarded-For');
    assert.equal(headers.configured, false);
    assert.deepEqual(headers.all(), {});
    assert.deepEqual(JSON.parse((await barrier.get(AUDITED_HEADERS_KEY))!.value.toString()), {});
  });

  test('configuration stored encrypted, loaded again', async () => {
    const physical = new InmemStorage();
    const barrier = new Barrier(physical);
    const rootKey = randomBytes(32);
    await barrier.initialize(rootKey);
    await barrier.unseal(rootKey);
    const headers = new AuditedRequestHeaders(barrier);
    await headers.set('X-B', true);
    await headers.set('X-A', false);
    assert.equal((await barrier.get(AUDITED_HEADERS_KEY))!.value.toString(), '{"x-a":{"hmac":false},"x-b":{"hmac":true}}');
    // Below the barrier, the entry is ciphertext.
    const encrypted = await physical.get(AUDITED_HEADERS_KEY);
    assert.ok(encrypted !== null);
    assert.equal(encrypted.value.includes('x-a'), false);

    const loaded = new AuditedRequestHeaders(barrier);
    await loaded.load();
    assert.deepEqual(loaded.all(), { 'x-a': { hmac: false }, 'x-b': { hmac: true } });
    loaded.clear();
    assert.equal(loaded.configured, false);
  });

  test('load lowercases names, rejects malformed', async () => {
    const barrier = await unsealedBarrier();
    await barrier.put({ key: AUDITED_HEADERS_KEY, value: Buffer.from('{"X-Forwarded-For":{"hmac":true}}') });
    const headers = new AuditedRequestHeaders(barrier);
    await headers.load();
    assert.deepEqual(headers.all(), { 'x-forwarded-for': { hmac: true } });

    await barrier.put({ key: AUDITED_HEADERS_KEY, value: Buffer.from('{"x-a":{"hmac":"yes"}}') });
    await assert.rejects(headers.load(), /audited request headers at "sys\/audited-headers-config\/audited-headers" are malformed: header "x-a" has no boolean "hmac"/);
  });

  test('failed write changes nothing', async () => {
    const barrier = await unsealedBarrier();
    const headers = new AuditedRequestHeaders(barrier);
    await headers.set('X-Kept', false);
    barrier.put = async () => {
      throw new Error('disk full');
    };
    await assert.rejects(headers.set('X-Lost', true), /disk full/);
    await assert.rejects(headers.remove('X-Kept'), /disk full/);
    assert.deepEqual(headers.all(), { 'x-kept': { hmac: false } });
  });

  test('concurrent changes all apply', async () => {
    const barrier = await unsealedBarrier();
    const headers = new AuditedRequestHeaders(barrier);
    await Promise.all(['X-1', 'X-2', 'X-3', 'X-4'].map((name) => headers.set(name, false)));
    assert.deepEqual(Object.keys(headers.all()), ['x-1', 'x-2', 'x-3', 'x-4']);
    const reloaded = new AuditedRequestHeaders(barrier);
    await reloaded.load();
    assert.deepEqual(reloaded.all(), headers.all());
  });

  test('broker loads at setup, clears at teardown', async () => {
    const barrier = await unsealedBarrier();
    await barrier.put({ key: AUDITED_HEADERS_KEY, value: Buffer.from('{"x-a":{"hmac":true}}') });
    const broker = new AuditBroker(barrier, silentLogger);
    await broker.setup();
    assert.deepEqual(broker.requestHeaders.all(), { 'x-a': { hmac: true } });
    await broker.teardown();
    assert.equal(broker.requestHeaders.configured, false);
    await broker.setup();
    assert.deepEqual(broker.requestHeaders.all(), { 'x-a': { hmac: true } });
    await broker.teardown();
  });
});

describe('audited request headers in entries', () => {
  const input = sampleInput({
    headers: {
      'x-forwarded-for': { values: ['10.0.0.1', '10.0.0.2'], hmac: false },
      'x-request-id': { values: ['req-1', 'req-2'], hmac: true },
    },
  });

  test('hmac headers hashed, others in clear', () => {
    const hasher = new AuditHasher(SALT);
    const request = buildRequestEntry(input, hasher, parseFormatConfig({}), NOW);
    const expected = { 'x-forwarded-for': ['10.0.0.1', '10.0.0.2'], 'x-request-id': [hasher.hash('req-1'), hasher.hash('req-2')] };
    assert.deepEqual(request.request.headers, expected);
    assert.deepEqual(buildResponseEntry(input, hasher, parseFormatConfig({}), NOW).request.headers, expected);
  });

  test('log_raw keeps hmac headers hashed', () => {
    const hasher = new AuditHasher(SALT);
    const request = buildRequestEntry(input, hasher, parseFormatConfig({ log_raw: 'true' }), NOW);
    assert.deepEqual(request.request.headers, { 'x-forwarded-for': ['10.0.0.1', '10.0.0.2'], 'x-request-id': [hasher.hash('req-1'), hasher.hash('req-2')] });
    assert.equal(request.request.client_token, input.token, 'the rest is raw');
  });

  test('structured clone gives the same entries', () => {
    const local = sampleInput({ headers: input.headers });
    const cloned = structuredClone(local);
    for (const kind of ['request', 'response'] as const) {
      assert.equal(formatEntry(kind, cloned, NOW, deviceFormat(SALT, {})).toString(), formatEntry(kind, local, NOW, deviceFormat(SALT, {})).toString());
    }
  });

  test('no headers block without headers', () => {
    const request = buildRequestEntry(sampleInput(), new AuditHasher(SALT), parseFormatConfig({}), NOW);
    assert.equal('headers' in request.request, false);
  });
});
