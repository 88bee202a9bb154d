import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { silentLogger } from '@coffer/sdk';
import { EtcdStorage, lockKeyFor, parseSettings, type LockTiming } from './index.js';
import { etcdUnavailableReason, startTestEtcd, type TestEtcd } from './testing.js';

const TIMING: LockTiming = { ttlMs: 2_000, renewIntervalMs: 500, retryIntervalMs: 100 };
const unavailable = etcdUnavailableReason();

if (unavailable !== null && process.env.CI !== undefined && process.env.CI !== '') {
  test('etcd is installed', () => assert.fail(unavailable));
} else if (unavailable !== null) {
  test('etcd ha lock', { skip: unavailable }, () => undefined);
} else {
  declareTests();
}

function declareTests(): void {
  let server: Promise<TestEtcd> | undefined;
  let prefixCount = 0;
  after(async () => {
    if (server !== undefined) await (await server).stop();
  });

  /** Opens two storages on one fresh prefix, like two servers on one etcd. */
  async function twoContenders(): Promise<[EtcdStorage, EtcdStorage, string]> {
    const etcd = await (server ??= startTestEtcd());
    prefixCount += 1;
    const settings = parseSettings({ address: etcd.address, path: `/ha-test-${prefixCount}/`, ha_enabled: 'true' });
    const first = await EtcdStorage.open(settings, silentLogger, { lockTiming: TIMING });
    const second = await EtcdStorage.open(settings, silentLogger, { lockTiming: TIMING });
    return [first, second, etcd.address];
  }

  describe('etcd ha lock', () => {
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
        // Past a whole TTL: the keep-alives hold the lease, so B keeps waiting.
        await new Promise((resolve) => setTimeout(resolve, TIMING.ttlMs + 1_000));
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

        // Closing A's client makes each keep-alive fail, as a holder cut off from etcd.
        const stoppedAt = Date.now();
        await first.close();
        const lostB = await lockB.lock(new AbortController().signal);
        const tookOverAt = Date.now();

        assert.equal(lostB?.aborted, false);
        assert.equal(lostA?.aborted, true);
        assert.ok(lostAt > 0, 'the old holder learns of the loss');
        assert.ok(lostAt <= tookOverAt, 'the old holder learns of the loss before the new one acquires');
        // etcd checks lease expiry about every 500 ms, on top of the TTL.
        assert.ok(tookOverAt - stoppedAt <= TIMING.ttlMs + 1_500, `takeover took ${tookOverAt - stoppedAt} ms`);
        assert.deepEqual(await lockB.value(), { held: true, value: 'http://b:8200' });
      } finally {
        await lockB.unlock();
        await second.close();
      }
    });

    test('revoked lease is lost', async () => {
      const [first, second, address] = await twoContenders();
      const lockA = first.lockWith('core/lock', 'a');
      const client = new Etcd3({ hosts: address });
      try {
        const lostA = await lockA.lock(new AbortController().signal);
        // An operator revokes every lease, as `etcdctl lease revoke` would.
        for (const lease of (await client.leaseClient.leaseLeases({})).leases) await client.leaseClient.leaseRevoke({ ID: lease.ID });
        await new Promise((resolve) => setTimeout(resolve, TIMING.renewIntervalMs + 500));
        assert.equal(lostA?.aborted, true);
        assert.match((lostA?.reason as Error).message, /^lock "\/ha-test-\d+-ha\/core\/lock" lost: /);
        assert.deepEqual(await lockA.value(), { held: false, value: '' });
      } finally {
        client.close();
        await lockA.unlock();
        await first.close();
        await second.close();
      }
    });

    test('lock key stays out of listings', async () => {
      const [first, second] = await twoContenders();
      const lockA = first.lockWith('core/lock', 'a');
      try {
        await first.put({ key: 'core/keyring', value: Buffer.from('k') });
        await lockA.lock(new AbortController().signal);
        assert.deepEqual(await first.list(''), ['core/']);
        assert.deepEqual(await first.list('core/'), ['keyring']);
        assert.equal(lockKeyFor('/vault/', 'core/lock'), '/vault-ha/core/lock');
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

    test('lockWith needs ha_enabled', async () => {
      const etcd = await (server ??= startTestEtcd());
      const storage = await EtcdStorage.open(parseSettings({ address: etcd.address, path: '/ha-plain/' }), silentLogger);
      try {
        assert.equal(storage.haEnabled(), false);
        assert.throws(() => storage.lockWith('core/lock', 'a'), { message: 'storage "etcd": HA is not enabled; set "ha_enabled" to "true" to use locks' });
      } finally {
        await storage.close();
      }
    });
  });
}
