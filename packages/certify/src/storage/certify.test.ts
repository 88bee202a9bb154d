import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runStorageSuite } from './certify.js';
import type { StorageCase } from './suite.js';

const MODULE = new URL('./fixtures/map-plugin.js', import.meta.url).href;
const HA_CHECK = 'ha-lock-one-holder-at-a-time-released-on-close';
const HA_LOCK_CASES = ['second-contender-waits-for-unlock', 'takeover-after-holder-stops-renewing', 'abort-stops-the-wait', 'value-after-release-is-empty'];

describe('storage certify run', () => {
  test('conforming plugin passes', { timeout: 60_000 }, async () => {
    const { suite } = await runStorageSuite('map', MODULE, { settings: {}, persistent: false });
    const failed = suite.results.filter((check) => check.status === 'failed');
    assert.deepEqual(failed, []);
    assert.ok(suite.results.length >= 20, `only ${suite.results.length} checks reported`);
    const ha = suite.results.find((check) => check.id === HA_CHECK);
    assert.equal(ha?.status, 'skipped');
    assert.equal(ha?.message, 'the plugin does not claim HA (certify { storage { ha = true } } is not set)');
    for (const id of HA_LOCK_CASES) {
      const check = suite.results.find((result) => result.id === id);
      assert.equal(check?.status, 'skipped', id);
      assert.equal(check?.message, 'the plugin does not claim HA (certify { storage { ha = true } } is not set)', id);
    }
    const persistence = suite.results.find((check) => check.id === 'entries-survive-close-and-reopen');
    assert.equal(persistence?.status, 'skipped');
    assert.equal(persistence?.message, '"map" keeps nothing across close (persistent: false)');
  });

  test('HA claim without a lock fails', { timeout: 60_000 }, async () => {
    const { suite } = await runStorageSuite('map', MODULE, { settings: {}, persistent: false, ha: true, skip: { 'concurrent writers': 'not needed here' } });
    const ha = suite.results.find((check) => check.id === HA_CHECK);
    assert.equal(ha?.status, 'failed');
    assert.equal(ha?.message, 'the plugin claims HA, but its storage does not implement HaStorage with haEnabled() true; set the settings that enable HA');
    for (const id of HA_LOCK_CASES) {
      const check = suite.results.find((result) => result.id === id);
      assert.equal(check?.status, 'failed', id);
      assert.equal(check?.message, 'the plugin claims HA, but its storage does not implement HaStorage with haEnabled() true; set the settings that enable HA', id);
    }
    const skipped = suite.results.find((check) => check.id === 'hundreds-of-concurrent-puts-and-deletes-all-land');
    assert.equal(skipped?.status, 'skipped');
    assert.equal(skipped?.message, 'not needed here');
  });

  test('postgresql HA lock passes', { timeout: 60_000 }, async () => {
    // The built-in postgresql backend implements HaStorage in-process; the repository layout puts its build here.
    const postgresql = new URL('../../../../plugins/storage/postgresql/dist/', import.meta.url);
    // Typed here rather than imported: the postgresql backend builds after
    // this package, because its own tests use the certify suite.
    const testing = (await import(new URL('testing.js', postgresql).href)) as {
      createThrowawayDatabase(): Promise<{ url: string; drop(): Promise<void> }>;
    };
    const database = await testing.createThrowawayDatabase();
    // Every case would share the one database, so only the HA check and metadata run here; the backend's own tests run the rest.
    const cases: StorageCase[] = ['missing key', 'round trip', 'overwrite', 'delete', 'delete missing', 'key characters', 'key and folder', 'invalid keys', 'empty value', 'large value', 'binary value', 'value copies', 'list depths', 'list empty', 'list order', 'folder removal', 'concurrent writers'];
    const skip = Object.fromEntries(cases.map((name) => [name, 'this run checks the HA lock only']));
    try {
      const settings = { connection_url: database.url, ha_enabled: 'true', ha_lock_ttl: '5s' };
      const { suite } = await runStorageSuite('postgresql', new URL('index.js', postgresql).href, { settings, persistent: false, ha: true, skip });
      const ha = suite.results.find((check) => check.id === HA_CHECK);
      assert.equal(ha?.status, 'passed', ha?.message);
      for (const id of HA_LOCK_CASES) assert.equal(suite.results.find((result) => result.id === id)?.status, 'passed', id);
      assert.deepEqual(suite.results.filter((check) => check.status === 'failed'), []);
    } finally {
      await database.drop();
    }
  });

  test('missing module fails to load', async () => {
    const { suite } = await runStorageSuite('gone', new URL('./fixtures/absent.js', import.meta.url).href, { settings: {}, persistent: false });
    assert.equal(suite.results[0]!.id, 'load');
    assert.equal(suite.results[0]!.status, 'failed');
    assert.match(suite.results[0]!.message!, /^Cannot find module '.*\/fixtures\/absent\.js'/);
  });
});
