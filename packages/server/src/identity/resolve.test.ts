import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { planEntityMerge } from './merge.js';
import { timestamp } from './model.js';
import { loginAuth, makeGroup, openStore, putGroups } from './test-support.js';

test('login creates entity with alias', async () => {
  const { store } = await openStore();
  const login = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('alice', { metadata: { region: 'eu' } }));

  const entity = store.records.entity(login.entityId)!;
  assert.match(entity.name, /^entity_[0-9a-f]{8}$/);
  assert.match(entity.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(entity.aliases.length, 1);
  assert.equal(entity.aliases[0].name, 'alice');
  assert.equal(entity.aliases[0].mountAccessor, 'auth_userpass_1');
  assert.deepEqual(entity.aliases[0].metadata, { region: 'eu' });
  assert.deepEqual(login.identityPolicies, []);
});

test('login reuses entity and refreshes metadata', async () => {
  const { store } = await openStore();
  const first = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('alice', { metadata: { region: 'eu' } }));
  const second = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('alice', { metadata: { region: 'us' } }));

  assert.equal(second.entityId, first.entityId);
  assert.equal(store.records.entities.size, 1);
  assert.deepEqual(store.records.entityAliasByFactors('auth_userpass_1', 'alice')?.metadata, { region: 'us' });
});

test('login on another mount creates another entity', async () => {
  const { store } = await openStore();
  const userpass = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('alice'));
  const ldap = await store.resolveLogin('auth_ldap_1', 'ldap', loginAuth('alice'));
  assert.notEqual(ldap.entityId, userpass.entityId);
});

test('login without alias gets no entity', async () => {
  const { store } = await openStore();
  const login = await store.resolveLogin('auth_userpass_1', 'userpass', { policies: ['default'] });
  assert.deepEqual(login, { entityId: '', identityPolicies: [] });
  assert.equal(store.records.entities.size, 0);
});

test('login with empty alias name fails', async () => {
  const { store } = await openStore();
  await assert.rejects(store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('')), {
    status: 500,
    message: 'the auth method at accessor "auth_userpass_1" returned an alias with an empty name',
  });
});

test('login of disabled entity is denied', async () => {
  const { store } = await openStore();
  const login = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('mallory'));
  const entity = store.records.entity(login.entityId)!;
  await store.write(() => ({ changes: { putEntities: [{ ...entity, disabled: true }] }, result: undefined }));

  await assert.rejects(store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('mallory')), { status: 403, message: 'permission denied' });
  assert.equal((await store.policiesFor(login.entityId)).disabled, true);
});

test('identity policies include inherited groups', async () => {
  const { store } = await openStore();
  const login = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('alice'));
  const entity = store.records.entity(login.entityId)!;
  await store.write(() => ({ changes: { putEntities: [{ ...entity, policies: ['own'] }] }, result: undefined }));
  const team = makeGroup({ name: 'team', policies: ['team-read'], memberEntityIds: [login.entityId] });
  const department = makeGroup({ name: 'department', policies: ['dept-read', 'team-read'], memberGroupIds: [team.id] });
  const company = makeGroup({ name: 'company', policies: ['company-read'], memberGroupIds: [department.id] });
  const unrelated = makeGroup({ name: 'unrelated', policies: ['secret-admin'] });
  await putGroups(store, team, department, company, unrelated);

  const result = await store.policiesFor(login.entityId);
  assert.deepEqual(result.identityPolicies, ['company-read', 'dept-read', 'own', 'team-read']);
  assert.deepEqual(result.context?.groups.map((group) => group.name).sort(), ['company', 'department', 'team']);
});

test('policies survive a stored group cycle', async () => {
  const { store } = await openStore();
  const login = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('alice'));
  const first = makeGroup({ name: 'first', policies: ['p1'], memberEntityIds: [login.entityId] });
  const second = makeGroup({ name: 'second', policies: ['p2'], memberGroupIds: [first.id] });
  first.memberGroupIds = [second.id];
  await putGroups(store, first, second);

  assert.deepEqual((await store.policiesFor(login.entityId)).identityPolicies, ['p1', 'p2']);
});

test('group aliases set external memberships', async () => {
  const { store } = await openStore();
  const now = timestamp();
  const external = (name: string, accessor: string) => {
    const group = makeGroup({ name, type: 'external', policies: [`${name}-policy`] });
    group.alias = { id: randomUUID(), canonicalId: group.id, mountAccessor: accessor, name, creationTime: now, lastUpdateTime: now };
    return group;
  };
  const admins = external('admins', 'auth_ldap_1');
  const devs = external('devs', 'auth_ldap_1');
  const otherMount = external('userpass-admins', 'auth_userpass_1');
  await putGroups(store, admins, devs, otherMount);

  const first = await store.resolveLogin('auth_ldap_1', 'ldap', loginAuth('alice', { groups: ['admins', 'DEVS', 'unknown'] }));
  assert.deepEqual(first.identityPolicies, ['admins-policy', 'devs-policy']);
  await putGroups(store, { ...otherMount, memberEntityIds: [first.entityId] });

  const second = await store.resolveLogin('auth_ldap_1', 'ldap', loginAuth('alice', { groups: ['devs'] }));
  assert.deepEqual(second.identityPolicies, ['devs-policy', 'userpass-admins-policy']);
  assert.deepEqual(store.records.group(admins.id)?.memberEntityIds, []);

  const third = await store.resolveLogin('auth_ldap_1', 'ldap', loginAuth('alice'));
  assert.deepEqual(third.identityPolicies, ['devs-policy', 'userpass-admins-policy']);
});

test('context carries entity facts for templates', async () => {
  const { store } = await openStore();
  const login = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('alice', { metadata: { region: 'eu' } }));
  const entity = store.records.entity(login.entityId)!;
  await store.write(() => ({ changes: { putEntities: [{ ...entity, name: 'alice-entity', metadata: { team: 'web' } }] }, result: undefined }));

  const context = (await store.policiesFor(login.entityId)).context!;
  assert.equal(context.id, login.entityId);
  assert.equal(context.name, 'alice-entity');
  assert.deepEqual(context.metadata, { team: 'web' });
  assert.deepEqual(context.aliases, [
    { id: entity.aliases[0].id, mountAccessor: 'auth_userpass_1', name: 'alice', metadata: { region: 'eu' }, customMetadata: {} },
  ]);
});

test('merged entity ID resolves to target', async () => {
  const { store } = await openStore();
  const from = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('alice'));
  const to = await store.resolveLogin('auth_ldap_1', 'ldap', loginAuth('alice'));
  const group = makeGroup({ name: 'readers', policies: ['read'], memberEntityIds: [from.entityId] });
  await putGroups(store, group);

  await store.write(() => planEntityMerge(store.records, to.entityId, [from.entityId], []));
  const merged = await store.policiesFor(from.entityId);
  assert.equal(merged.context?.id, to.entityId);
  assert.deepEqual(merged.identityPolicies, ['read']);
  assert.deepEqual(store.records.group(group.id)?.memberEntityIds, [to.entityId]);
  assert.equal(store.records.entityAliasByFactors('auth_userpass_1', 'alice')?.canonicalId, to.entityId);
});
