import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { KeyedLock } from './keyed-lock.js';

describe('KeyedLock', () => {
  test('runs tasks on one key in order', async () => {
    const locks = new KeyedLock();
    const events: string[] = [];
    const task = (name: string) => async () => {
      events.push(`${name} start`);
      await tick();
      events.push(`${name} end`);
      return name;
    };

    const results = await Promise.all([locks.run('k', task('a')), locks.run('k', task('b')), locks.run('k', task('c'))]);

    assert.deepEqual(results, ['a', 'b', 'c']);
    assert.deepEqual(events, ['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
    assert.equal(locks.size, 0);
  });

  test('different keys overlap', async () => {
    const locks = new KeyedLock();
    const events: string[] = [];
    const task = (name: string) => async () => {
      events.push(`${name} start`);
      await tick();
      events.push(`${name} end`);
    };

    await Promise.all([locks.run('x', task('x')), locks.run('y', task('y'))]);

    assert.deepEqual(events, ['x start', 'y start', 'x end', 'y end']);
  });

  test('failed task releases the key', async () => {
    const locks = new KeyedLock();

    await assert.rejects(
      locks.run('k', async () => {
        throw new Error('boom');
      }),
      { message: 'boom' },
    );

    assert.equal(await locks.run('k', async () => 'next'), 'next');
    assert.equal(locks.size, 0);
  });
});
