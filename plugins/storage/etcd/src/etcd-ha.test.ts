import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { runHaLockCases } from '@coffer/certify';
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

  runHaLockCases({
    name: 'etcd',
    contenders: async () => {
      const [first, second] = await twoContenders();
      return [first, second];
    },
    // Past a whole TTL: the keep-alives hold the lease.
    holdMs: TIMING.ttlMs + 1_000,
    // etcd checks lease expiry about every 500 ms, on top of the TTL.
    takeoverWithinMs: TIMING.ttlMs + 1_500,
  });

  describe('etcd ha lock', () => {
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
