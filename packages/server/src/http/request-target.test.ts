import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRequestTarget } from './request-target.js';

function assertSameAsUrl(target: string): void {
  const expected = new URL(target, 'http://coffer');
  const actual = parseRequestTarget(target);
  assert.equal(actual.pathname, expected.pathname, `pathname of ${JSON.stringify(target)}`);
  assert.deepEqual([...actual.searchParams], [...expected.searchParams], `query of ${JSON.stringify(target)}`);
}

describe('parseRequestTarget', () => {
  test('matches URL on edge cases', () => {
    const targets = [
      '/v1/transit/encrypt/bench',
      '/v1/secret/data/a.b@c-d_e/',
      '/v1/a/./b',
      '/v1/a/../b',
      '/v1/a/.',
      '/v1/.hidden',
      '/v1/a/b.',
      '/v1//a',
      '//v1/a',
      '/v1/a?list=true&help=1',
      '/v1/a?',
      '/v1/a#fragment',
      '/v1/a%2Fb',
      '/v1/a/%2e%2e/b',
      '/v1/a\\b',
      '/v1/caf\u00e9',
      '/v1/a b',
      '/v1/a"b<c>',
      '/v1/a{b}`c',
      '/v1/',
      '/v1',
      '/v2/a',
      '/',
      'http://other/v1/a',
    ];
    for (const target of targets) assertSameAsUrl(target);
  });

  test('matches URL on generated targets', () => {
    const pieces = ['/', 'a', 'Z', '9', '_', '-', '.', '..', '@', '%2e', '%', '?', '#', '=', '&', '\\', ' ', ':', '~', '\u00e9'];
    const visit = (target: string, depth: number): void => {
      assertSameAsUrl(target);
      if (depth === 0) return;
      for (const piece of pieces) visit(target + piece, depth - 1);
    };
    visit('/v1/', 4);
  });

  test('long invalid target is fast', () => {
    const target = `/v1/${'a'.repeat(100_000)}!`;
    const started = process.hrtime.bigint();
    assertSameAsUrl(target);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(elapsedMs < 1000, `took ${elapsedMs} ms`);
  });
});
