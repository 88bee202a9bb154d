import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { silentLogger, type Storage } from '@coffer/sdk';
import { encodeRecord, entityKey, groupKey } from './load.js';
import { timestamp, type Entity, type EntityAlias } from './model.js';
import { IdentityStore } from './store.js';
import { loginAuth, makeGroup, openStore, putGroups, TEST_MOUNTS } from './test-support.js';

function makeEntity(name: string, fields: Partial<Entity> = {}): Entity {
  const now = timestamp();
  return { id: randomUUID(), name, policies: [], metadata: {}, disabled: false, aliases: [], mergedEntityIds: [], creationTime: now, lastUpdateTime: now, ...fields };
}

function makeAlias(entityId: string, name: string, lastUpdateTime: string, id = randomUUID()): EntityAlias {
  return { id, canonicalId: entityId, mountAccessor: 'auth_userpass_1', name, metadata: {}, customMetadata: {}, mergedFromCanonicalIds: [], creationTime: lastUpdateTime, lastUpdateTime };
}

test('store keeps records across a reopen', async () => {
  const { store, reopen } = await openStore();
  const login = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('alice', { metadata: { team: 'web' } }));
  const group = makeGroup({ name: 'web', policies: ['web-read'], memberEntityIds: [login.entityId] });
  await putGroups(store, group);

  const reopened = await reopen();
  const alias = reopened.records.entityAliasByFactors('auth_userpass_1', 'alice');
  assert.equal(alias?.canonicalId, login.entityId);
  assert.deepEqual(alias?.metadata, { team: 'web' });
  assert.deepEqual(reopened.records.groupsWithMemberEntity(login.entityId).map((found) => found.id), [group.id]);
  assert.deepEqual((await reopened.policiesFor(login.entityId)).identityPolicies, ['web-read']);
});

test('store encrypts records at rest', async () => {
  const { store, physical } = await openStore();
  const login = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('plaintext-alias-name'));

  const stored = await physical.get(entityKey(login.entityId));
  assert.ok(stored !== null);
  assert.equal(stored.value.includes(Buffer.from('plaintext-alias-name')), false);
});

test('store lookups ignore case', async () => {
  const { store } = await openStore();
  const login = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('Alice'));
  const entity = store.records.entity(login.entityId)!;

  assert.equal(store.records.entityAliasByFactors('auth_userpass_1', 'ALICE')?.canonicalId, login.entityId);
  assert.equal(store.records.entityByName(entity.name.toUpperCase())?.id, login.entityId);
  assert.equal(store.records.entityAliasByFactors('auth_ldap_1', 'alice'), undefined);
});

test('store serializes concurrent first logins', async () => {
  const { store } = await openStore();
  const logins = await Promise.all(Array.from({ length: 5 }, () => store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('bob'))));

  assert.equal(new Set(logins.map((login) => login.entityId)).size, 1);
  assert.equal(store.records.entities.size, 1);
});

test('store write fails cleanly on sealed barrier', async () => {
  const { store, barrier } = await openStore();
  const login = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('carol'));
  barrier.seal();

  await assert.rejects(putGroups(store, makeGroup({ name: 'never-stored', memberEntityIds: [login.entityId] })), {
    status: 500,
    message: 'identity store write failed; the server log has the cause',
  });
  assert.equal(store.records.groupByName('never-stored'), undefined);
  assert.equal(store.records.entity(login.entityId)?.id, login.entityId);
});

test('store clears cached policies on write', async () => {
  const { store } = await openStore();
  const login = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('dave'));
  assert.deepEqual((await store.policiesFor(login.entityId)).identityPolicies, []);

  await putGroups(store, makeGroup({ name: 'ops', policies: ['Ops-Admin'], memberEntityIds: [login.entityId] }));
  assert.deepEqual((await store.policiesFor(login.entityId)).identityPolicies, ['ops-admin']);
});

test('store reports a deleted entity as not found', async () => {
  const { store } = await openStore();
  const result = await store.policiesFor(randomUUID());
  assert.deepEqual(result, { identityPolicies: [], context: undefined, disabled: false, found: false });
});

test('load keeps metadata key named __proto__', async () => {
  const { barrier, reopen } = await openStore();
  const metadata = JSON.parse('{"__proto__": "x", "team": "web"}') as Record<string, string>;
  const entity = makeEntity('proto-keys', { metadata });
  entity.aliases = [{ ...makeAlias(entity.id, 'proto-user', timestamp()), customMetadata: metadata }];
  await barrier.put({ key: entityKey(entity.id), value: encodeRecord(entity) });

  const reopened = await reopen();
  const loaded = reopened.records.entity(entity.id);
  assert.equal(Object.hasOwn(loaded?.metadata ?? {}, '__proto__'), true);
  assert.deepEqual(Object.entries(loaded?.metadata ?? {}), [['__proto__', 'x'], ['team', 'web']]);
  assert.deepEqual(Object.entries(loaded?.aliases[0].customMetadata ?? {}), [['__proto__', 'x'], ['team', 'web']]);
});

test('load drops entity left by interrupted merge', async () => {
  const { barrier, reopen } = await openStore();
  const absorbed = makeEntity('absorbed', { policies: ['old'] });
  const target = makeEntity('target', { mergedEntityIds: [absorbed.id] });
  await barrier.put({ key: entityKey(absorbed.id), value: encodeRecord(absorbed) });
  await barrier.put({ key: entityKey(target.id), value: encodeRecord(target) });

  const reopened = await reopen();
  assert.equal(reopened.records.entity(absorbed.id), undefined);
  assert.equal(await barrier.get(entityKey(absorbed.id)), null);
  assert.equal((await reopened.policiesFor(absorbed.id)).context?.id, target.id);
});

test('load moves members of interrupted merge', async () => {
  const { barrier, reopen } = await openStore();
  const absorbed = makeEntity('absorbed-member');
  const target = makeEntity('merge-target', { mergedEntityIds: [absorbed.id] });
  const solo = makeGroup({ name: 'absorbed-only', memberEntityIds: [absorbed.id] });
  const both = makeGroup({ name: 'both-members', memberEntityIds: [absorbed.id, target.id] });
  for (const entity of [absorbed, target]) await barrier.put({ key: entityKey(entity.id), value: encodeRecord(entity) });
  for (const group of [solo, both]) await barrier.put({ key: groupKey(group.id), value: encodeRecord(group) });

  const reopened = await reopen();
  assert.deepEqual(reopened.records.group(solo.id)?.memberEntityIds, [target.id]);
  assert.deepEqual(reopened.records.group(both.id)?.memberEntityIds, [target.id]);
  assert.deepEqual(reopened.records.groupsWithMemberEntity(target.id).map((group) => group.name).sort(), ['absorbed-only', 'both-members']);
});

test('load keeps later copy of moved alias', async () => {
  const { barrier, reopen } = await openStore();
  const aliasId = randomUUID();
  const from = makeEntity('from');
  const to = makeEntity('to');
  from.aliases = [makeAlias(from.id, 'erin', '2024-01-01T00:00:00.000Z', aliasId)];
  to.aliases = [makeAlias(to.id, 'erin', '2024-02-01T00:00:00.000Z', aliasId)];
  await barrier.put({ key: entityKey(from.id), value: encodeRecord(from) });
  await barrier.put({ key: entityKey(to.id), value: encodeRecord(to) });

  const reopened = await reopen();
  assert.equal(reopened.records.entityAlias(aliasId)?.canonicalId, to.id);
  assert.deepEqual(reopened.records.entity(from.id)?.aliases, []);
  assert.equal(reopened.records.entity(to.id)?.aliases.length, 1);
});

test('load drops members that no longer exist', async () => {
  const { barrier, store, reopen } = await openStore();
  const login = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('frank'));
  const child = makeGroup({ name: 'child' });
  const parent = makeGroup({ name: 'parent', memberEntityIds: [login.entityId, randomUUID()], memberGroupIds: [child.id, randomUUID()] });
  await barrier.put({ key: groupKey(child.id), value: encodeRecord(child) });
  await barrier.put({ key: groupKey(parent.id), value: encodeRecord(parent) });

  const reopened = await reopen();
  assert.deepEqual(reopened.records.group(parent.id)?.memberEntityIds, [login.entityId]);
  assert.deepEqual(reopened.records.group(parent.id)?.memberGroupIds, [child.id]);
});

test('load rejects a record that is not JSON', async () => {
  const { barrier, reopen } = await openStore();
  const id = randomUUID();
  await barrier.put({ key: entityKey(id), value: Buffer.from('{broken') });

  await assert.rejects(reopen(), { status: 500, message: `stored identity entity "${id}" is not valid JSON` });
});

test('store rejects writes after teardown', async () => {
  const { store, barrier } = await openStore();
  store.teardown();

  await assert.rejects(store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('after-teardown')), {
    status: 500,
    message: 'identity store is not loaded: the node is sealed or no longer active',
  });
  await assert.rejects(putGroups(store, makeGroup({ name: 'after-teardown' })), { status: 500 });
  assert.deepEqual(await barrier.list('sys/identity/entity/'), []);
  assert.deepEqual(await barrier.list('sys/identity/group/'), []);
});

test('failed write after teardown stays unloaded', async () => {
  const { barrier, store: seeded } = await openStore();
  const login = await seeded.resolveLogin('auth_userpass_1', 'userpass', loginAuth('stored-before'));
  let store: IdentityStore | undefined;
  // Storage whose writes fail after the node stepped down, while reads still work.
  const steppingDown: Storage = {
    get: (key) => barrier.get(key),
    list: (prefix) => barrier.list(prefix),
    delete: (key) => barrier.delete(key),
    async put() {
      store?.teardown();
      throw new Error('lost leadership');
    },
  };
  store = new IdentityStore(steppingDown, silentLogger, (accessor) => TEST_MOUNTS[accessor]);
  await store.setup();

  await assert.rejects(putGroups(store, makeGroup({ name: 'during-step-down' })), { status: 500 });
  assert.equal(store.records.entities.size, 0);
  assert.equal((await store.policiesFor(login.entityId)).found, false);
});

test('teardown forgets every record', async () => {
  const { store } = await openStore();
  const login = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('gina'));
  store.teardown();

  assert.equal(store.records.entities.size, 0);
  assert.equal((await store.policiesFor(login.entityId)).found, false);
});
