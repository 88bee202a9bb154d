import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

describe('sys/health', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer();
  });
  after(() => server.close());

  test('health accepts every documented code', async () => {
    const query = 'standbyok=true&perfstandbyok=true&activecode=299&standbycode=298&drsecondarycode=297&haunhealthycode=296&performancestandbycode=295&removedcode=294&sealedcode=293&uninitcode=292';
    const response = await api(server, 'GET', `sys/health?${query}`);
    assert.equal(response.status, 299);
    assert.equal(response.body.sealed, false);
  });

  test('health rejects out-of-range new codes', async () => {
    for (const name of ['haunhealthycode', 'removedcode']) {
      const response = await api(server, 'GET', `sys/health?${name}=600`);
      assert.equal(response.status, 400, name);
      assert.deepEqual(response.body.errors, [`invalid "${name}" 600: must be an HTTP status code from 100 to 599`], name);
    }
  });
});
