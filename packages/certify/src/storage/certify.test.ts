import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runStorageSuite } from './certify.js';

const MODULE = new URL('./fixtures/map-plugin.js', import.meta.url).href;
const HA_CHECK = 'ha-lock-one-holder-at-a-time-released-on-close';

describe('storage certify run', () => {
  test('conforming plugin passes', { timeout: 60_000 }, async () => {
    const { suite } = await runStorageSuite('map', MODULE, { settings: {}, persistent: false });
    const failed = suite.results.filter((check) => check.status === 'failed');
    assert.deepEqual(failed, []);
    assert.ok(suite.results.length >= 20, `only ${suite.results.length} checks reported`);
    const ha = suite.results.find((check) => check.id === HA_CHECK);
    assert.equal(ha?.status, 'skipped');
    assert.equal(ha?.message, 'the plugin does not claim HA (certify { storage { ha = true } } is not set)');
    const persistence = suite.results.find((check) => check.id === 'entries-survive-close-and-reopen');
    assert.equal(persistence?.status, 'skipped');
  });

  test('HA claim without a lock fails', { timeout: 60_000 }, async () => {
    const { suite } = await runStorageSuite('map', MODULE, { settings: {}, persistent: false, ha: true, skip: { 'concurrent writers': 'not needed here' } });
    const ha = suite.results.find((check) => check.id === HA_CHECK);
    assert.equal(ha?.status, 'failed');
    assert.equal(ha?.message, 'the plugin claims HA, but its storage does not implement HaStorage with haEnabled() true; set the settings that enable HA');
    const skipped = suite.results.find((check) => check.id === 'hundreds-of-concurrent-puts-and-deletes-all-land');
    assert.equal(skipped?.status, 'skipped');
    assert.equal(skipped?.message, 'not needed here');
  });

  test('missing module fails to load', async () => {
    const { suite } = await runStorageSuite('gone', new URL('./fixtures/absent.js', import.meta.url).href, { settings: {}, persistent: false });
    assert.equal(suite.results[0]!.id, 'load');
    assert.equal(suite.results[0]!.status, 'failed');
    assert.match(suite.results[0]!.message!, /^Cannot find module '.*\/fixtures\/absent\.js'/);
  });
});
