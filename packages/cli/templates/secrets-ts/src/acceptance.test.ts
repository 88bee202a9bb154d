/**
 * Runs the built plugin (dist/index.js) under a real Coffer dev server:
 * registers it by SHA-256, mounts it and uses it over HTTP. Build first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './test-server.js';

describe('__NAME__ under a real server', () => {
  let coffer: TestServer;

  before(async () => {
    coffer = await startTestServer('secret', '__NAME__');
  });

  after(async () => {
    await coffer?.close();
  });

  test('mount and round-trip over HTTP', async () => {
    const mounted = await coffer.call('POST', 'sys/mounts/__NAME__', { type: '__NAME__' });
    assert.equal(mounted.status, 204, `${JSON.stringify(mounted.body)}\n${coffer.logLines.join('')}`);

    const written = await coffer.call('PUT', '__NAME__/items/first', { value: 'hello' });
    assert.equal(written.status, 204, JSON.stringify(written.body));
    const read = await coffer.call('GET', '__NAME__/items/first');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data, { value: 'hello', rotate_period: 0 });
  });

  test('lease renews and revokes', async () => {
    const leased = await coffer.call('GET', '__NAME__/lease/first');
    assert.equal(leased.status, 200, JSON.stringify(leased.body));
    assert.equal(leased.body.lease_duration, 3600);
    const revoked = await coffer.call('PUT', 'sys/leases/revoke', { lease_id: leased.body.lease_id });
    assert.equal(revoked.status, 204);
  });
});
