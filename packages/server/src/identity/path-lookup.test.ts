import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { startDevServer } from '../testing/api-client.js';
import { callerFor, createEntity, enableAuth, expectStatus, ROOT_TOKEN, type Caller } from './test-support.js';

describe('identity lookup API', () => {
  let server: RunningServer;
  let call: Caller;
  let accessor: string;
  let entityId: string;
  let entityAliasId: string;
  let groupId: string;
  let groupAliasId: string;

  before(async () => {
    server = await startDevServer(ROOT_TOKEN);
    call = callerFor(server);
    accessor = await enableAuth(call, 'userpass', 'userpass');
    entityId = await createEntity(call, { name: 'looked-up' });
    entityAliasId = (await call('POST', 'identity/entity-alias', { name: 'lookup-user', mount_accessor: accessor, canonical_id: entityId })).body.data.id;
    groupId = (await call('POST', 'identity/group', { name: 'looked-up-group', type: 'external' })).body.data.id;
    groupAliasId = (await call('POST', 'identity/group-alias', { name: 'lookup-group', mount_accessor: accessor, canonical_id: groupId })).body.data.id;
  });
  after(() => server.close());

  test('entity lookup by each criterion', async () => {
    const criteria = [{ id: entityId }, { name: 'LOOKED-UP' }, { alias_id: entityAliasId }, { alias_name: 'Lookup-User', alias_mount_accessor: accessor }];
    for (const criterion of criteria) {
      const response = await call('POST', 'identity/lookup/entity', criterion);
      expectStatus(response, 200, JSON.stringify(criterion));
      assert.equal(response.body.data.id, entityId);
      assert.equal(response.body.data.name, 'looked-up');
      assert.equal(response.body.data.aliases[0].id, entityAliasId);
    }
  });

  test('group lookup by each criterion', async () => {
    const criteria = [{ id: groupId }, { name: 'looked-up-group' }, { alias_id: groupAliasId }, { alias_name: 'lookup-group', alias_mount_accessor: accessor }];
    for (const criterion of criteria) {
      const response = await call('POST', 'identity/lookup/group', criterion);
      expectStatus(response, 200, JSON.stringify(criterion));
      assert.equal(response.body.data.id, groupId);
      assert.equal(response.body.data.alias.id, groupAliasId);
    }
  });

  test('lookup miss answers 204', async () => {
    expectStatus(await call('POST', 'identity/lookup/entity', { name: 'nobody' }), 204, 'entity miss');
    expectStatus(await call('POST', 'identity/lookup/group', { alias_name: 'nobody', alias_mount_accessor: accessor }), 204, 'group miss');
    expectStatus(await call('POST', 'identity/lookup/entity', { alias_id: groupAliasId }), 204, 'group alias is no entity alias');
  });

  test('lookup needs one criterion', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'query parameter not supplied: set one of "id", "name", "alias_id", or "alias_name" with "alias_mount_accessor"'],
      [{ id: entityId, name: 'looked-up' }, 'query parameter conflict; please supply distinct set of query parameters: got id, name'],
      [{ alias_name: 'lookup-user' }, "both 'alias_name' and 'alias_mount_accessor' needs to be set"],
      [{ alias_mount_accessor: accessor }, "both 'alias_name' and 'alias_mount_accessor' needs to be set"],
    ];
    for (const path of ['identity/lookup/entity', 'identity/lookup/group']) {
      for (const [body, message] of cases) {
        const response = await call('POST', path, body);
        expectStatus(response, 400, `${path} ${JSON.stringify(body)}`);
        assert.deepEqual(response.body.errors, [message]);
      }
    }
  });
});
