// EntityInfo and GroupsForEntity over the wire: a real plugin process,
// written with the SDK, looks up entities through the host's SystemView.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, type ApiResponse } from '../testing/api-client.js';
import { registerNodePlugin, startPluginTestServer, type PluginTestServer } from './test-support.js';

interface GroupFacts {
  id: string;
  name: string;
  metadata: Record<string, string>;
}

/** Orders groups by ID, the order the host reports each part of the list in. */
function byId(groups: GroupFacts[]): GroupFacts[] {
  return [...groups].sort((a, b) => Number(a.id > b.id) - Number(a.id < b.id));
}

describe('plugin entity lookups', () => {
  let server: PluginTestServer;
  let userpass: string;
  let other: string;
  let entityId: string;
  let loginAliasId: string;
  let apiAliasId: string;
  let aliceToken: string;
  const groups: Record<string, GroupFacts> = {};
  const call = async (method: string, path: string, body?: unknown, token = server.token): Promise<ApiResponse> => api(server, method, path, { token, body });
  const expectStatus = (response: ApiResponse, status: number, what: string) => assert.equal(response.status, status, `${what}: ${JSON.stringify(response.body)}`);

  async function createGroup(name: string, body: Record<string, unknown>): Promise<void> {
    const metadata = { level: name };
    const created = await call('POST', 'identity/group', { name, metadata, ...body });
    expectStatus(created, 200, `create group ${name}`);
    groups[name] = { id: created.body.data.id as string, name, metadata };
  }

  before(async () => {
    server = await startPluginTestServer();
    await registerNodePlugin(server, 'secret', 'probe', 'secrets');
    expectStatus(await call('POST', 'sys/mounts/probe', { type: 'probe' }), 204, 'mount probe');
    expectStatus(await call('POST', 'sys/policies/acl/probe-reader', { policy: 'path "probe/identity" { capabilities = ["read"] }' }), 204, 'write policy');

    // Alice logs in once, which creates her entity with its userpass alias.
    expectStatus(await call('POST', 'sys/auth/userpass', { type: 'userpass' }), 204, 'enable userpass');
    expectStatus(await call('POST', 'sys/auth/other', { type: 'userpass' }), 204, 'enable other');
    const auths = (await call('GET', 'sys/auth')).body.data;
    userpass = auths['userpass/'].accessor as string;
    other = auths['other/'].accessor as string;
    expectStatus(await call('POST', 'auth/userpass/users/alice', { password: 'alice-password', token_policies: 'probe-reader' }), 204, 'create user');
    const login = await api(server, 'POST', 'auth/userpass/login/alice', { body: { password: 'alice-password' } });
    expectStatus(login, 200, 'login');
    aliceToken = login.body.auth.client_token as string;
    entityId = login.body.auth.entity_id as string;

    expectStatus(await call('POST', `identity/entity/id/${entityId}`, { name: 'alice', metadata: { team: 'payments', region: 'eu' } }), 204, 'update entity');
    const apiAlias = await call('POST', 'identity/entity-alias', { name: 'alice-other', mount_accessor: other, canonical_id: entityId, custom_metadata: { employee: '42' } });
    expectStatus(apiAlias, 200, 'create alias');
    apiAliasId = apiAlias.body.data.id as string;

    // An auth method sets alias metadata at login. Userpass sets none, so the test writes it to the store.
    await server.core.identity.write(() => {
      const entity = server.core.identity.records.entity(entityId)!;
      const aliases = entity.aliases.map((alias) => (alias.mountAccessor === userpass ? { ...alias, metadata: { source: 'login' } } : alias));
      return { changes: { putEntities: [{ ...entity, aliases }] }, result: undefined };
    });
    loginAliasId = server.core.identity.records.entity(entityId)!.aliases.find((alias) => alias.mountAccessor === userpass)!.id;

    // The groups ops and dev list alice, platform contains ops and org contains platform. Alice is not in sales.
    await createGroup('ops', { member_entity_ids: [entityId] });
    await createGroup('dev', { member_entity_ids: [entityId] });
    await createGroup('platform', { member_group_ids: [groups.ops.id] });
    await createGroup('org', { member_group_ids: [groups.platform.id] });
    await createGroup('sales', {});
  });
  after(() => server.close());

  test('entity and groups of the caller', async () => {
    const read = await call('GET', 'probe/identity', undefined, aliceToken);

    expectStatus(read, 200, 'read');
    assert.equal(read.body.data.entity_id, entityId);
    assert.deepEqual(read.body.data.entity, {
      id: entityId,
      name: 'alice',
      aliases: [
        { id: loginAliasId, mountAccessor: userpass, mountType: 'userpass', name: 'alice', metadata: { source: 'login' }, customMetadata: {} },
        { id: apiAliasId, mountAccessor: other, mountType: 'userpass', name: 'alice-other', metadata: {}, customMetadata: { employee: '42' } },
      ],
      metadata: { team: 'payments', region: 'eu' },
      disabled: false,
    });
    assert.deepEqual(read.body.data.groups, [...byId([groups.ops, groups.dev]), ...byId([groups.platform, groups.org])]);
  });

  test('unknown entity is empty', async () => {
    const read = await call('GET', 'probe/identity?entity_id=no-such-entity');

    expectStatus(read, 200, 'read');
    assert.equal(read.body.data.entity, null);
    assert.deepEqual(read.body.data.groups, []);
  });

  test('token without entity is empty', async () => {
    const read = await call('GET', 'probe/identity');

    expectStatus(read, 200, 'read');
    assert.equal(read.body.data.entity_id, '');
    assert.equal(read.body.data.entity, null);
    assert.deepEqual(read.body.data.groups, []);
  });

  test('disabled entity keeps its groups', async () => {
    expectStatus(await call('POST', `identity/entity/id/${entityId}`, { disabled: true }), 204, 'disable');
    try {
      const read = await call('GET', `probe/identity?entity_id=${entityId}`);

      expectStatus(read, 200, 'read');
      assert.equal(read.body.data.entity.disabled, true);
      assert.equal(read.body.data.entity.name, 'alice');
      assert.equal(read.body.data.groups.length, 4);
    } finally {
      expectStatus(await call('POST', `identity/entity/id/${entityId}`, { disabled: false }), 204, 'enable');
    }
  });
});
