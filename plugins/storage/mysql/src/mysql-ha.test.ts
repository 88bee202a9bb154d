import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { runHaLockCases } from '@coffer/certify';
import { silentLogger } from '@coffer/sdk';
import { MysqlStorage, parseSettings, type LockTiming } from './index.js';
import { dropDatabase, runAdmin, testSettings, throwawayDatabaseName } from './testing.js';

const TIMING: LockTiming = { ttlMs: 2_000, renewIntervalMs: 500, retryIntervalMs: 100 };

const database = throwawayDatabaseName();
let count = 0;
after(async () => {
  await dropDatabase(database);
});

/** Opens two storages on one fresh lock table, like two servers on one database. */
async function twoContenders(): Promise<[MysqlStorage, MysqlStorage, string]> {
  count += 1;
  const lockTable = `locks_${process.pid}_${count}`;
  const settings = parseSettings(testSettings(database, { table: `kv_${process.pid}_${count}`, ha_enabled: 'true', lock_table: lockTable }));
  const first = await MysqlStorage.open(settings, silentLogger, { lockTiming: TIMING });
  const second = await MysqlStorage.open(settings, silentLogger, { lockTiming: TIMING });
  return [first, second, `\`${database}\`.\`${lockTable}\``];
}

runHaLockCases({
  name: 'mysql',
  contenders: async () => {
    const [first, second] = await twoContenders();
    return [first, second];
  },
  // Three renewals pass while the holder keeps the lock.
  holdMs: 3 * TIMING.renewIntervalMs,
  takeoverWithinMs: TIMING.ttlMs + 1_000,
});

describe('mysql ha lock', () => {
  test('row taken by another is lost', async () => {
    const [first, second, lockTable] = await twoContenders();
    const lockA = first.lockWith('core/lock', 'http://a:8200');
    try {
      const lostA = await lockA.lock(new AbortController().signal);
      // Another writer rewrites the row, as after an expiry this holder missed.
      await runAdmin(`UPDATE ${lockTable} SET ha_identity = 'someone-else'`);
      await new Promise((resolve) => setTimeout(resolve, TIMING.renewIntervalMs + 300));
      assert.equal(lostA?.aborted, true);
      assert.equal((lostA?.reason as Error).message, 'lock "core/lock" lost: the lock row expired or belongs to another contender');
    } finally {
      await lockA.unlock();
      await first.close();
      await second.close();
    }
  });

  test('expired row is taken over', async () => {
    const [first, second, lockTable] = await twoContenders();
    const lockB = second.lockWith('core/lock', 'http://b:8200');
    try {
      // A holder that died long ago left its row behind.
      await runAdmin(`INSERT INTO ${lockTable} VALUES ('core/lock', 'dead-holder', 'http://dead:8200', UTC_TIMESTAMP(6) - INTERVAL 1 SECOND)`);
      assert.deepEqual(await lockB.value(), { held: false, value: '' });
      const startedAt = Date.now();
      const lostB = await lockB.lock(new AbortController().signal);
      assert.equal(lostB?.aborted, false);
      assert.ok(Date.now() - startedAt < 1_000, 'an expired row is taken at the first attempt');
      assert.deepEqual(await first.lockWith('core/lock', 'x').value(), { held: true, value: 'http://b:8200' });
    } finally {
      await lockB.unlock();
      await first.close();
      await second.close();
    }
  });

  test('lockWith needs ha_enabled', async () => {
    const storage = await MysqlStorage.open(parseSettings(testSettings(database, { table: `kv_${process.pid}_plain` })), silentLogger);
    try {
      assert.equal(storage.haEnabled(), false);
      assert.throws(() => storage.lockWith('core/lock', 'a'), {
        message: 'storage "mysql": HA is not enabled; set "ha_enabled" to "true" to use locks',
      });
    } finally {
      await storage.close();
    }
  });
});
