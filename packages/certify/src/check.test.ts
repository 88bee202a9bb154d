import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { failureLines, runChecks, SkipCheck, skippableByDescription, suitePassed, type Check } from './check.js';

interface Context {
  description: { skip?: Record<string, string> };
  calls: string[];
}

const checks: Check<Context>[] = [
  { id: 'first', title: 'passes', required: true, run: async (context) => void context.calls.push('first') },
  { id: 'second', title: 'fails', required: true, run: async () => { throw new Error('second broke'); } },
  { id: 'third', title: 'skips itself', required: true, run: async () => { throw new SkipCheck('does not apply'); } },
  { id: 'fourth', title: 'optional failure', required: false, run: async () => { throw new Error('optional broke'); } },
];

describe('check runner', () => {
  test('runs every check after a failure', async () => {
    const context: Context = { description: {}, calls: [] };
    const result = await runChecks('demo', 'plugin', checks, context);
    assert.deepEqual(
      result.results.map((check) => [check.id, check.status, check.message]),
      [
        ['first', 'passed', undefined],
        ['second', 'failed', 'second broke'],
        ['third', 'skipped', 'does not apply'],
        ['fourth', 'failed', 'optional broke'],
      ],
    );
    assert.deepEqual(context.calls, ['first']);
  });

  test('failed required check fails the suite', async () => {
    const result = await runChecks('demo', 'plugin', checks, { description: {}, calls: [] });
    assert.equal(suitePassed(result), false);
    assert.deepEqual(failureLines(result), ['check "second" failed: second broke']);
  });

  test('optional failure and skips still pass', async () => {
    const result = await runChecks('demo', 'plugin', [checks[0]!, checks[2]!, checks[3]!], { description: {}, calls: [] });
    assert.equal(suitePassed(result), true);
    assert.equal(suitePassed(result, () => false), false, 'a caller can refuse skips');
  });

  test('description skip carries its reason', async () => {
    const wrapped = checks.map(skippableByDescription);
    const result = await runChecks('demo', 'plugin', wrapped, { description: { skip: { second: 'the engine has no such path' } }, calls: [] });
    assert.equal(result.results[1]!.status, 'skipped');
    assert.equal(result.results[1]!.message, 'skipped by the description: the engine has no such path');
  });
});
