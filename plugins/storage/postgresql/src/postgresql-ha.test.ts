import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
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

describe('postgresql ha lock', () => {
  test('second contender waits for unlock', async () => {
    const [first, second] = await twoContenders();
    const lockA = first.lockWith('core/lock', 'http://a:8200');
    const lockB = second.lockWith('core/lock', 'http://b:8200');
    try {
      const lostA = await lockA.lock(new AbortController().signal);
      assert.equal(lostA?.aborted, false);
      assert.deepEqual(await lockB.value(), { held: true, value: 'http://a:8200' });

      let acquiredB = false;
      const waitB = lockB.lock(new AbortController().signal).then((signal) => {
        acquiredB = true;
        return signal;
      });
      // Three renewals pass: A keeps the lock and B keeps waiting.
      await new Promise((resolve) => setTimeout(resolve, 3 * TIMING.renewIntervalMs));
      assert.equal(acquiredB, false);
      assert.equal(lostA?.aborted, false);

      const releasedAt = Date.now();
      await lockA.unlock();
      const lostB = await waitB;
      assert.equal(lostB?.aborted, false);
      assert.ok(Date.now() - releasedAt < 1_000, `B took ${Date.now() - releasedAt} ms after the release`);
      assert.deepEqual(await lockA.value(), { held: true, value: 'http://b:8200' });
      assert.equal(lostA?.aborted, false, 'an unlock is not a loss');
    } finally {
      await lockA.unlock();
      await lockB.unlock();
      await first.close();
      await second.close();
    }
  });

  test('takeover after holder stops renewing', async () => {
    const [first, second] = await twoContenders();
    const lockA = first.lockWith('core/lock', 'http://a:8200');
    const lockB = second.lockWith('core/lock', 'http://b:8200');
    try {
      const lostA = await lockA.lock(new AbortController().signal);
      let lostAt = 0;
      lostA?.addEventListener('abort', () => (lostAt = Date.now()));

      // Closing A's pool makes each renewal fail, as a holder cut off from the database.
      const stoppedAt = Date.now();
      await first.close();
      const lostB = await lockB.lock(new AbortController().signal);
      const tookOverAt = Date.now();

      assert.equal(lostB?.aborted, false);
      assert.equal(lostA?.aborted, true);
      assert.ok(lostAt > 0, 'the old holder learns of the loss');
      assert.ok(lostAt <= tookOverAt, 'the old holder learns of the loss before the new one acquires');
      assert.ok(tookOverAt - stoppedAt <= TIMING.ttlMs + 1_000, `takeover took ${tookOverAt - stoppedAt} ms`);
      assert.deepEqual(await lockB.value(), { held: true, value: 'http://b:8200' });
    } finally {
      await lockB.unlock();
      await second.close();
    }
  });

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

  test('abort stops the wait', async () => {
    const [first, second] = await twoContenders();
    const lockA = first.lockWith('core/lock', 'a');
    const lockB = second.lockWith('core/lock', 'b');
    try {
      await lockA.lock(new AbortController().signal);
      const abort = new AbortController();
      const waitB = lockB.lock(abort.signal);
      setTimeout(() => abort.abort(), 300);
      assert.equal(await waitB, undefined);
      assert.deepEqual(await lockB.value(), { held: true, value: 'a' });
    } finally {
      await lockA.unlock();
      await first.close();
      await second.close();
    }
  });

  test('value after release is empty', async () => {
    const [first, second] = await twoContenders();
    const lockA = first.lockWith('core/lock', 'a');
    try {
      assert.deepEqual(await lockA.value(), { held: false, value: '' });
      await lockA.lock(new AbortController().signal);
      await lockA.unlock();
      assert.deepEqual(await lockA.value(), { held: false, value: '' });
    } finally {
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
