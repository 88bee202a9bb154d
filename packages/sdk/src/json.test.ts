import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holdsUnsafeNumber, parseJson, parseJsonExact, stringifyJson } from './json.js';

/** A small seeded generator, so a failing case can be run again. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRING_PIECES = ['a', 'Z', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '\u2028', '😀', '\ud800', '__proto__', '0', '12345678901234567890'];
const KEYS = ['a', 'b', '__proto__', 'constructor', '0', '1', '10', '', 'toString', 'é'];

function randomString(random: () => number): string {
  let text = '';
  const length = Math.floor(random() * 6);
  for (let i = 0; i < length; i += 1) text += STRING_PIECES[Math.floor(random() * STRING_PIECES.length)];
  return text;
}

function randomNumber(random: () => number, big: boolean): number | bigint {
  switch (Math.floor(random() * 7)) {
    case 0:
      return Math.floor(random() * 1000) - 500;
    case 1:
      return (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
    case 2:
      return Number.MAX_SAFE_INTEGER * (random() < 0.5 ? 1 : -1);
    case 3:
      // -0 is written as 0, so it cannot come back from a round trip.
      return random() < 0.5 && !big ? -0 : 1e21;
    default: {
      const digits = String(Math.floor(random() * 9) + 1) + Array.from({ length: 15 + Math.floor(random() * 10) }, () => Math.floor(random() * 10)).join('');
      return BigInt(random() < 0.5 ? `-${digits}` : digits);
    }
  }
}

/** Builds a JSON value. `big` decides whether unsafe integers appear as bigints or as rounded numbers. */
function randomValue(random: () => number, depth: number, big: boolean): unknown {
  const kind = Math.floor(random() * (depth > 3 ? 5 : 7));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
    case 3: {
      const number = randomNumber(random, big);
      if (typeof number === 'bigint' && (!big || (number <= BigInt(Number.MAX_SAFE_INTEGER) && number >= -BigInt(Number.MAX_SAFE_INTEGER)))) return Number(number);
      return number;
    }
    case 4:
      return randomString(random);
    case 5:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1, big));
    default: {
      const object: Record<string, unknown> = {};
      const count = Math.floor(random() * 5);
      for (let i = 0; i < count; i += 1) {
        Object.defineProperty(object, KEYS[Math.floor(random() * KEYS.length)], { value: randomValue(random, depth + 1, big), enumerable: true, writable: true, configurable: true });
      }
      return object;
    }
  }
}

const SPACES: (string | number | undefined)[] = [undefined, 0, 2, '\t', ' \n'];

/** Asserts two parsed values are equal, own keys and their order included. */
function assertSameJson(actual: unknown, expected: unknown, context: string): void {
  assert.deepStrictEqual(actual, expected, context);
  if (expected !== null && typeof expected === 'object') {
    assert.deepStrictEqual(Object.keys(actual as object), Object.keys(expected), context);
    for (const key of Object.keys(expected)) assertSameJson((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], context);
  }
}

/**
 * Returns what parseJsonExact should make of JSON.stringify's text: a double
 * past the safe range but below 1e21 is written as digits, which read back
 * as a bigint of those digits.
 */
function exactReading(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) > Number.MAX_SAFE_INTEGER && Math.abs(value) < 1e21 ? BigInt(String(value)) : value;
  if (value === null || typeof value !== 'object') return value;
  for (const [key, item] of Object.entries(value)) (value as Record<string, unknown>)[key] = exactReading(item);
  return value;
}

test('parseJsonExact matches JSON.parse on generated texts', () => {
  const random = randomSource(1);
  for (let i = 0; i < 3000; i += 1) {
    const text = JSON.stringify(randomValue(random, 0, false), null, SPACES[i % SPACES.length]);
    assertSameJson(parseJsonExact(text), exactReading(JSON.parse(text)), text);
  }
});

test('parseJsonExact rejects what JSON.parse rejects', () => {
  const random = randomSource(2);
  const alphabet = ['{', '}', '[', ']', ',', ':', '"', '\\', 'u', '0', '1', '9', '-', '+', '.', 'e', 'E', ' ', '\n', '\r', '\t', '\f', 't', 'n', 'a', '\u0001', 'é'];
  for (let i = 0; i < 5000; i += 1) {
    let text = JSON.stringify(randomValue(random, 0, false));
    // Damage the text at a few places, or write a short random one.
    if (i % 3 === 0) {
      text = Array.from({ length: Math.floor(random() * 8) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    } else {
      for (let edits = 1 + Math.floor(random() * 2); edits > 0; edits -= 1) {
        const at = Math.floor(random() * (text.length + 1));
        const cut = random() < 0.5 ? 1 : 0;
        text = text.slice(0, at) + (random() < 0.7 ? alphabet[Math.floor(random() * alphabet.length)] : '') + text.slice(at + cut);
      }
    }
    let expected: unknown;
    let expectedError: Error | undefined;
    try {
      expected = JSON.parse(text);
    } catch (err) {
      expectedError = err as Error;
    }
    if (expectedError === undefined) {
      if (/\d{16}/.test(text)) continue;
      assertSameJson(parseJsonExact(text), expected, text);
    } else {
      assert.throws(() => parseJsonExact(text), { name: 'SyntaxError', message: expectedError.message }, text);
    }
  }
});

test('parseJsonExact reads unsafe integers as bigints', () => {
  assert.deepStrictEqual(parseJsonExact('{"id":12345678901234567890,"neg":-98765432109876543210}'), { id: 12345678901234567890n, neg: -98765432109876543210n });
  assert.deepStrictEqual(parseJsonExact('[9007199254740991,-9007199254740991,9007199254740992,-9007199254740992]'), [9007199254740991, -9007199254740991, 9007199254740992n, -9007199254740992n]);
  // A fraction or an exponent makes it a double, as JSON.parse has it.
  assert.deepStrictEqual(parseJsonExact('[12345678901234567890.0,12345678901234567890e0,1e400,-0]'), [12345678901234567000, 12345678901234567000, Infinity, -0]);
  assert.deepStrictEqual(parseJsonExact('"12345678901234567890"'), '12345678901234567890');
});

test('parseJsonExact keeps __proto__ and last duplicates', () => {
  const parsed = parseJsonExact('{"__proto__":{"x":1},"a":1,"b":2,"a":12345678901234567890}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  assert.deepStrictEqual(Object.keys(parsed), ['__proto__', 'a', 'b']);
  assert.deepStrictEqual(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value, { x: 1 });
  assert.equal(parsed.a, 12345678901234567890n);
});

test('parseJsonExact parses very deep nesting', () => {
  const depth = 100_000;
  const text = `${'['.repeat(depth)}12345678901234567890${']'.repeat(depth)}`;
  let value = parseJsonExact(text);
  for (let i = 0; i < depth; i += 1) value = (value as unknown[])[0];
  assert.equal(value, 12345678901234567890n);
});

test('parseJson parses again only for unsafe numbers', () => {
  assert.equal(holdsUnsafeNumber(JSON.parse('{"a":[9007199254740991,-9007199254740991]}')), false);
  assert.equal(holdsUnsafeNumber(JSON.parse('{"a":[{"b":9007199254740993}]}')), true);
  assert.equal(holdsUnsafeNumber(JSON.parse('-12345678901234567890')), true);
  assert.equal(holdsUnsafeNumber(JSON.parse('{"a":"12345678901234567890"}')), false);
  assert.deepStrictEqual(parseJson('{"a":"12345678901234567890"}'), { a: '12345678901234567890' });
  assert.deepStrictEqual(parseJson('{"a":1e300}'), { a: 1e300 });
  assert.deepStrictEqual(parseJson('{"a":123456789012345}'), { a: 123456789012345 });
  assert.deepStrictEqual(parseJson('{"a":12345678901234567890}'), { a: 12345678901234567890n });
  assert.throws(() => parseJson('{"a":12345678901234567890'), { name: 'SyntaxError', message: /JSON/ });
});

test('stringifyJson matches JSON.stringify without bigints', () => {
  const random = randomSource(3);
  for (let i = 0; i < 3000; i += 1) {
    const value = randomValue(random, 0, false);
    const space = SPACES[i % SPACES.length];
    assert.equal(stringifyJson(value, space), JSON.stringify(value, null, space));
  }
});

test('stringifyJson writes bigints as digits', () => {
  const random = randomSource(4);
  for (let i = 0; i < 3000; i += 1) {
    const value = randomValue(random, 0, true);
    const space = SPACES[i % SPACES.length];
    const text = stringifyJson(value, space) as string;
    assertSameJson(parseJsonExact(text), exactReading(value), text);
  }
  assert.equal(stringifyJson({ id: 12345678901234567890n, list: [-98765432109876543210n, Object(5n)] }), '{"id":12345678901234567890,"list":[-98765432109876543210,5]}');
  assert.equal(stringifyJson({ a: 12345678901234567890n }, 2), '{\n  "a": 12345678901234567890\n}');
});

test('stringifyJson handles toJSON, boxes and cycles', () => {
  const value = {
    date: new Date(0),
    boxed: [Object('s'), Object(1), Object(false)],
    skipped: undefined,
    fn: () => 1,
    list: [undefined, () => 1, Symbol('s'), NaN, -0, 1n],
    custom: { toJSON: (key: string) => `key ${key}` },
  };
  assert.equal(
    stringifyJson(value),
    '{"date":"1970-01-01T00:00:00.000Z","boxed":["s",1,false],"list":[null,null,null,null,0,1],"custom":"key custom"}',
  );
  assert.equal(stringifyJson(undefined), undefined);
  const cycle: Record<string, unknown> = { n: 1n };
  cycle.self = cycle;
  assert.throws(() => stringifyJson(cycle), { name: 'TypeError', message: 'converting circular structure to JSON' });
});
