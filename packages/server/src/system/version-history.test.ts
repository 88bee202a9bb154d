import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { COFFER_VERSION } from '../version.js';
import { recordVersion, VERSION_HISTORY_PREFIX } from './version-history.js';

const ROOT = 'root-history-token';

describe('sys/version-history', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(ROOT);
  });
  after(() => server.close());

  test('the running version is recorded', async () => {
    const response = await api(server, 'LIST', 'sys/version-history', { token: ROOT });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data.keys, [COFFER_VERSION]);
    const info = response.body.data.key_info[COFFER_VERSION];
    assert.match(info.timestamp_installed, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(info.previous_version, null);
    assert.equal(info.build_date, null);
  });

  test('a later version names the one before', async () => {
    const first = await api(server, 'LIST', 'sys/version-history', { token: ROOT });
    await recordVersion(server.core.barrier, '9.9.9', new Date(Date.now() + 60_000));
    // Recording a version again keeps its first time.
    await recordVersion(server.core.barrier, COFFER_VERSION, new Date(Date.now() + 120_000));

    const response = await api(server, 'GET', 'sys/version-history?list=true', { token: ROOT });
    assert.deepEqual(response.body.data.keys, [COFFER_VERSION, '9.9.9']);
    assert.equal(response.body.data.key_info[COFFER_VERSION].timestamp_installed, first.body.data.key_info[COFFER_VERSION].timestamp_installed);
    assert.equal(response.body.data.key_info['9.9.9'].previous_version, COFFER_VERSION);
    await server.core.barrier.delete(`${VERSION_HISTORY_PREFIX}9.9.9`);
  });

  test('versions within one second keep order', async () => {
    // 2.0.0 is installed first, so an order by version name would put it last.
    await recordVersion(server.core.barrier, '2.0.0', new Date('2100-01-01T00:00:00.100Z'));
    await recordVersion(server.core.barrier, '1.0.0', new Date('2100-01-01T00:00:00.900Z'));

    const response = await api(server, 'LIST', 'sys/version-history', { token: ROOT });
    assert.deepEqual(response.body.data.keys, [COFFER_VERSION, '2.0.0', '1.0.0']);
    assert.equal(response.body.data.key_info['1.0.0'].previous_version, '2.0.0');
    assert.equal(response.body.data.key_info['1.0.0'].timestamp_installed, '2100-01-01T00:00:00Z');
    await server.core.barrier.delete(`${VERSION_HISTORY_PREFIX}2.0.0`);
    await server.core.barrier.delete(`${VERSION_HISTORY_PREFIX}1.0.0`);
  });

  test('a malformed entry is an error', async () => {
    await server.core.barrier.put({ key: `${VERSION_HISTORY_PREFIX}0.0.1`, value: Buffer.from('not json') });
    const response = await api(server, 'LIST', 'sys/version-history', { token: ROOT });
    assert.equal(response.status, 500);

    await server.core.barrier.put({ key: `${VERSION_HISTORY_PREFIX}0.0.1`, value: Buffer.from('{"timestamp_installed":"yesterday"}') });
    const badTime = await api(server, 'LIST', 'sys/version-history', { token: ROOT });
    assert.equal(badTime.status, 500);
    assert.deepEqual(badTime.body.errors, ['version history entry "0.0.1" is malformed']);
    await server.core.barrier.delete(`${VERSION_HISTORY_PREFIX}0.0.1`);
  });

  test('a token needs list on the path', async () => {
    const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } });
    const response = await api(server, 'LIST', 'sys/version-history', { token: created.body.auth.client_token });
    assert.equal(response.status, 403);
  });
});
