import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { runHaLockCases } from '@coffer/certify';
import { silentLogger } from '@coffer/sdk';
import { parseSettings, PostgresqlStorage, type LockTiming } from './index.js';
import { createThrowawayDatabase, runAdmin, type ThrowawayDatabase } from './testing.js';

const TIMING: LockTiming = { ttlMs: 2_000, renewIntervalMs: 500, retryIntervalMs: 100 };

let database: Promise<ThrowawayDatabase> | undefined;
let count = 0;
after(async () => {
  if (database !== undefined) await (await database).drop();
});

/** Opens two storages on one fresh lock table, like two servers on one database. */
async function twoContenders(): Promise<[PostgresqlStorage, PostgresqlStorage, string]> {
  const db = await (database ??= createThrowawayDatabase());
  count += 1;
  const settings = parseSettings({
    connection_url: db.url,
    table: `kv_${process.pid}_${count}`,
    ha_enabled: 'true',
    ha_table: `locks_${process.pid}_${count}`,
  });
  const first = await PostgresqlStorage.open(settings, silentLogger, { lockTiming: TIMING });
  const second = await PostgresqlStorage.open(settings, silentLogger, { lockTiming: TIMING });
  return [first, second, db.url];
}

runHaLockCases({
  name: 'postgresql',
  contenders: async () => {
    const [first, second] = await twoContenders();
    return [first, second];
  },
  // Three renewals pass while the holder keeps the lock.
  holdMs: 3 * TIMING.renewIntervalMs,
  takeoverWithinMs: TIMING.ttlMs + 1_000,
});

describe('postgresql ha lock', () => {
  test('row taken by another is lost', async () => {
    const [first, second, url] = await twoContenders();
    const lockA = first.lockWith('core/lock', 'http://a:8200');
    try {
      const lostA = await lockA.lock(new AbortController().signal);
      // Another writer rewrites the row, as after an expiry this holder missed.
      await runAdmin(url, `UPDATE locks_${process.pid}_${count} SET ha_identity = 'someone-else'`);
      await new Promise((resolve) => setTimeout(resolve, TIMING.renewIntervalMs + 300));
      assert.equal(lostA?.aborted, true);
      assert.match(String((lostA?.reason as Error).message), /lock "core\/lock" lost: the lock row expired or belongs to another contender/);
    } finally {
      await lockA.unlock();
      await first.close();
      await second.close();
    }
  });

  test('lockWith needs ha_enabled', async () => {
    const db = await (database ??= createThrowawayDatabase());
    const storage = await PostgresqlStorage.open(parseSettings({ connection_url: db.url, table: `kv_${process.pid}_plain` }), silentLogger);
    try {
      assert.equal(storage.haEnabled(), false);
      assert.throws(() => storage.lockWith('core/lock', 'a'), {
        message: 'storage "postgresql": HA is not enabled; set "ha_enabled" to "true" to use locks',
      });
    } finally {
      await storage.close();
    }
  });
});
