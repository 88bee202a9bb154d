import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyMergePatch } from './json.js';

// Cases from the examples in RFC 7396, appendix A.
const RFC_CASES: Array<[unknown, unknown, unknown]> = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

describe('applyMergePatch', () => {
  test('matches the RFC 7396 examples', () => {
    for (const [target, patch, expected] of RFC_CASES) {
      assert.deepEqual(applyMergePatch(target, patch), expected, JSON.stringify({ target, patch }));
    }
  });

  test('leaves its inputs unchanged', () => {
    const target = { a: { b: 1 } };
    const patch = { a: { c: 2 } };

    applyMergePatch(target, patch);

    assert.deepEqual(target, { a: { b: 1 } });
    assert.deepEqual(patch, { a: { c: 2 } });
  });

  test('__proto__ key stays an own key', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;

    const result = applyMergePatch({}, patch) as Record<string, unknown>;

    assert.deepEqual(Object.keys(result), ['__proto__']);
    assert.equal(Object.getPrototypeOf(result), Object.prototype);
    assert.equal((result as { polluted?: boolean }).polluted, undefined);
  });
});
