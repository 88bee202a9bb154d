import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SystemView } from '@coffer/sdk';
import type { RunningServer } from '../server.js';
import { startDevServer } from '../testing/api-client.js';
import { entityInfo, groupsForEntity } from './entity-info.js';
import { callerFor, createEntity, enableAuth, expectStatus, loginAuth, makeGroup, openStore, putGroups, ROOT_TOKEN, type Caller } from './test-support.js';

/**
 * Opens a store with alice logged in through userpass, her entity named and
 * given metadata, a second alias on a mount that no longer exists, and
 * groups: dev and ops list her, platform contains ops, org contains
 * platform and, through a stored cycle, ops contains org. sales is unrelated.
 */
async function aliceStore() {
  const { store } = await openStore();
  const { entityId } = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('alice', { metadata: { region: 'eu' } }));
  await store.write(() => {
    const entity = store.records.entity(entityId)!;
    const login = { ...entity.aliases[0], customMetadata: { employee: '42' } };
    const orphan = { ...login, id: 'alias-orphan', mountAccessor: 'auth_gone_1', name: 'alice-old', metadata: {}, customMetadata: {} };
    return { changes: { putEntities: [{ ...entity, name: 'alice-entity', policies: ['secret-policy'], metadata: { team: 'payments' }, aliases: [login, orphan] }] }, result: undefined };
  });
  const aliasId = store.records.entity(entityId)!.aliases[0].id;
  await putGroups(
    store,
    makeGroup({ id: 'group-a', name: 'dev', memberEntityIds: [entityId], policies: ['dev-policy'] }),
    makeGroup({ id: 'group-b', name: 'ops', memberEntityIds: [entityId], memberGroupIds: ['group-d'], metadata: { zone: 'west' } }),
    makeGroup({ id: 'group-c', name: 'platform', memberGroupIds: ['group-b'] }),
    makeGroup({ id: 'group-d', name: 'org', memberGroupIds: ['group-c'], metadata: { tier: 'top' } }),
    makeGroup({ id: 'group-e', name: 'sales' }),
  );
  return { store, entityId, aliasId };
}

describe('entityInfo', () => {
  test('returns entity with aliases', async () => {
    const { store, entityId, aliasId } = await aliceStore();

    assert.deepEqual(entityInfo(store, entityId), {
      id: entityId,
      name: 'alice-entity',
      aliases: [
        { id: aliasId, mountAccessor: 'auth_userpass_1', mountType: 'userpass', name: 'alice', metadata: { region: 'eu' }, customMetadata: { employee: '42' } },
        { id: 'alias-orphan', mountAccessor: 'auth_gone_1', mountType: '', name: 'alice-old', metadata: {}, customMetadata: {} },
      ],
      metadata: { team: 'payments' },
      disabled: false,
    });
  });

  test('unknown or empty ID is undefined', async () => {
    const { store } = await aliceStore();

    assert.equal(entityInfo(store, 'no-such-entity'), undefined);
    assert.equal(entityInfo(store, ''), undefined);
  });

  test('disabled entity is returned', async () => {
    const { store, entityId } = await aliceStore();
    await store.write(() => ({ changes: { putEntities: [{ ...store.records.entity(entityId)!, disabled: true }] }, result: undefined }));

    assert.equal(entityInfo(store, entityId)?.disabled, true);
    assert.equal(groupsForEntity(store, entityId).length, 4);
  });

  test('merged ID answers as target', async () => {
    const { store, entityId } = await aliceStore();
    const { entityId: bobId } = await store.resolveLogin('auth_ldap_1', 'ldap', loginAuth('bob'));
    await store.write(() => {
      const bob = store.records.entity(bobId)!;
      return { changes: { putEntities: [{ ...bob, mergedEntityIds: [entityId] }], deleteEntityIds: [entityId] }, result: undefined };
    });

    assert.equal(entityInfo(store, entityId)?.id, bobId);
    assert.deepEqual(groupsForEntity(store, entityId), groupsForEntity(store, bobId));
  });
});

describe('groupsForEntity', () => {
  test('direct groups, then inherited ones', async () => {
    const { store, entityId } = await aliceStore();

    assert.deepEqual(groupsForEntity(store, entityId), [
      { id: 'group-a', name: 'dev', metadata: {} },
      { id: 'group-b', name: 'ops', metadata: { zone: 'west' } },
      { id: 'group-c', name: 'platform', metadata: {} },
      { id: 'group-d', name: 'org', metadata: { tier: 'top' } },
    ]);
  });

  test('unknown or empty ID is empty', async () => {
    const { store } = await aliceStore();

    assert.deepEqual(groupsForEntity(store, 'no-such-entity'), []);
    assert.deepEqual(groupsForEntity(store, ''), []);
  });
});

/** The system view that the server hands to in-process backends of a mount. */
describe('mounted backend system view', () => {
  let server: RunningServer;
  let call: Caller;

  before(async () => {
    server = await startDevServer(ROOT_TOKEN);
    call = callerFor(server);
  });
  after(() => server.close());

  function mountSystemView(path: string): SystemView {
    const secrets = server.core.mounts.find(path);
    if (secrets !== undefined) return server.core.mounts.systemView(secrets);
    const auth = server.core.authMounts.find(path.replace(/^auth\//, ''));
    assert.ok(auth !== undefined, `no mount at ${path}`);
    return server.core.authMounts.systemView(auth);
  }

  test('lookups match the identity API', async () => {
    const userpass = await enableAuth(call, 'userpass', 'userpass');
    expectStatus(await call('POST', 'sys/mounts/kv-probe', { type: 'kv' }), 204, 'mount kv');
    const entityId = await createEntity(call, { name: 'carol', metadata: { team: 'infra' }, policies: ['carol-policy'] });
    const alias = await call('POST', 'identity/entity-alias', { name: 'carol', mount_accessor: userpass, canonical_id: entityId, custom_metadata: { desk: '7' } });
    expectStatus(alias, 200, 'create alias');
    const child = await call('POST', 'identity/group', { name: 'child', member_entity_ids: [entityId], metadata: { kind: 'team' } });
    expectStatus(child, 200, 'create child group');
    const parent = await call('POST', 'identity/group', { name: 'parent', member_group_ids: [child.body.data.id] });
    expectStatus(parent, 200, 'create parent group');

    for (const path of ['kv-probe/', 'auth/userpass/']) {
      const system = mountSystemView(path);

      assert.deepEqual(await system.entityInfo?.(entityId), {
        id: entityId,
        name: 'carol',
        aliases: [{ id: alias.body.data.id, mountAccessor: userpass, mountType: 'userpass', name: 'carol', metadata: {}, customMetadata: { desk: '7' } }],
        metadata: { team: 'infra' },
        disabled: false,
      }, path);
      assert.deepEqual(await system.groupsForEntity?.(entityId), [
        { id: child.body.data.id, name: 'child', metadata: { kind: 'team' } },
        { id: parent.body.data.id, name: 'parent', metadata: {} },
      ], path);
      assert.equal(await system.entityInfo?.('no-such-entity'), undefined, path);
      assert.deepEqual(await system.groupsForEntity?.('no-such-entity'), [], path);
    }
  });
});
