import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { stringifyJson } from './json-text.js';

const LONG = 'QUJD'.repeat(400);

function assertSameAsStringify(value: unknown, label: string): void {
  assert.equal(stringifyJson(value), JSON.stringify(value), label);
}

class Point {
  constructor(
    readonly x: number,
    readonly y: string,
  ) {}
}

describe('stringifyJson', () => {
  test('transit envelope with long ciphertext', () => {
    const envelope = {
      request_id: 'b0c5e6f2-0000-4000-8000-000000000000',
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: { ciphertext: `vault:v1:${randomBytes(4124).toString('base64')}`, key_version: 1 },
      wrap_info: null,
      warnings: null,
      auth: null,
      mount_type: 'transit',
    };
    assertSameAsStringify(envelope, 'envelope');
  });

  test('long strings that need escaping', () => {
    const cases: Array<[string, string]> = [
      ['quote', `${LONG}"`],
      ['backslash', `${LONG}\\`],
      ['backslash and n', `${LONG}\\n${LONG}`],
      ['backslash and u', `${LONG}\\u0041`],
      ['quote in middle', `${LONG}"${LONG}`],
      ['newline', `${LONG}\n`],
      ['nul', `\u0000${LONG}`],
      ['unit separator', `${LONG}\u001f`],
      ['delete', `${LONG}\u007f`],
      ['latin-1', `${LONG}\u00e9`],
      ['lone surrogate', `${LONG}\ud800`],
      ['surrogate pair', `${LONG}\ud83d\ude00`],
      ['line separator', `${LONG}\u2028`],
    ];
    for (const [label, text] of cases) {
      assertSameAsStringify(text, label);
      assertSameAsStringify({ data: { value: text } }, `${label} nested`);
    }
  });

  test('values JSON.stringify treats specially', () => {
    const cases: Array<[string, unknown]> = [
      ['undefined property', { a: undefined, long: LONG }],
      ['function property', { a: () => 1, long: LONG }],
      ['symbol property', { a: Symbol('s'), long: LONG }],
      ['undefined element', [undefined, LONG]],
      ['function element', [() => 1, LONG]],
      ['non-finite numbers', { a: NaN, b: Infinity, c: -0, d: 1e21, e: 0.1, long: LONG }],
      ['integer-like keys', { b: 1, 2: 'two', a: LONG, 1: 'one' }],
      ['escaped key', { 'k"e\\y\n': LONG }],
      ['null prototype', Object.assign(Object.create(null) as object, { a: LONG })],
      ['date', { at: new Date(0), long: LONG }],
      ['buffer', { bytes: Buffer.from('abc'), long: LONG }],
      ['class instance', { point: new Point(1, 'y'), long: LONG }],
      ['toJSON method', { custom: { toJSON: (key: string) => `key ${key}` }, long: LONG }],
      ['array with toJSON', Object.assign([LONG], { toJSON: () => 'replaced' })],
      ['map and set', { map: new Map([[1, 2]]), set: new Set([1]), long: LONG }],
      ['empty containers', { a: {}, b: [], long: LONG }],
      ['nested arrays', [[[LONG, 1, null, true, false]]]],
      ['short strings only', { a: 'x"y', b: ['\u0001'] }],
      ['primitives', LONG],
      ['null', null],
    ];
    for (const [label, value] of cases) assertSameAsStringify(value, label);
  });

  test('deep nesting falls back', () => {
    let value: unknown = LONG;
    for (let i = 0; i < 200; i++) value = { inner: value };
    assertSameAsStringify(value, 'deep');
  });

  test('cycle throws as JSON.stringify does', () => {
    const cyclic: Record<string, unknown> = { long: LONG };
    cyclic.self = cyclic;
    assert.throws(() => stringifyJson(cyclic), TypeError);
  });

  test('bigint is written as digits', () => {
    assert.equal(stringifyJson({ long: LONG, big: 12345678901234567890n }), `{"long":"${LONG}","big":12345678901234567890}`);
    assert.equal(stringifyJson({ short: 'x', big: -98765432109876543210n }), '{"short":"x","big":-98765432109876543210}');
  });
});

describe('stringifyJson on shared references', () => {
  test('cycle without long string throws', () => {
    const cyclic: Record<string, unknown> = { short: 'x' };
    cyclic.left = cyclic;
    cyclic.right = cyclic;
    assert.throws(() => stringifyJson(cyclic), TypeError);
  });

  test('shared object is written twice', () => {
    const shared = { long: LONG };
    assertSameAsStringify({ a: shared, b: shared }, 'shared');
  });
});
