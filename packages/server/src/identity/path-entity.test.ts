import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { startDevServer } from '../testing/api-client.js';
import { callerFor, createEntity, enableAuth, expectStatus, ROOT_TOKEN, type Caller } from './test-support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('identity entity API', () => {
  let server: RunningServer;
  let call: Caller;
  let userpassAccessor: string;
  let otherAccessor: string;

  before(async () => {
    server = await startDevServer(ROOT_TOKEN);
    call = callerFor(server);
    userpassAccessor = await enableAuth(call, 'userpass', 'userpass');
    otherAccessor = await enableAuth(call, 'userpass-other', 'userpass');
  });
  after(() => server.close());

  test('entity create returns id and name', async () => {
    const response = await call('POST', 'identity/entity', { name: 'create-alice', policies: ['p1', 'p2'], metadata: { team: 'web' } });
    expectStatus(response, 200, 'create');
    assert.match(response.body.data.id, UUID);
    assert.equal(response.body.data.name, 'create-alice');
    assert.equal(response.body.data.aliases, null);
  });

  test('entity read has Vault shape', async () => {
    const id = await createEntity(call, { name: 'read-shape', policies: ['p1'], metadata: { team: 'web' } });
    const response = await call('GET', `identity/entity/id/${id}`);
    expectStatus(response, 200, 'read');

    const data = response.body.data;
    assert.deepEqual(Object.keys(data).sort(), [
      'aliases',
      'creation_time',
      'direct_group_ids',
      'disabled',
      'group_ids',
      'id',
      'inherited_group_ids',
      'last_update_time',
      'merged_entity_ids',
      'metadata',
      'name',
      'namespace_id',
      'policies',
    ]);

    assert.equal(data.id, id);
    assert.equal(data.name, 'read-shape');
    assert.deepEqual(data.policies, ['p1']);
    assert.deepEqual(data.metadata, { team: 'web' });
    assert.equal(data.disabled, false);
    assert.deepEqual(data.aliases, []);
    assert.deepEqual(data.direct_group_ids, []);
    assert.deepEqual(data.group_ids, []);
    assert.deepEqual(data.inherited_group_ids, []);
    assert.equal(data.merged_entity_ids, null);
    assert.equal(data.namespace_id, 'root');
    assert.match(data.creation_time, RFC3339);
    assert.equal(data.last_update_time, data.creation_time);
  });

  test('entity generated name has Vault form', async () => {
    const response = await call('POST', 'identity/entity', {});
    expectStatus(response, 200, 'create');
    assert.match(response.body.data.name, /^entity_[0-9a-f]{8}$/);
  });

  test('entity update answers 204 and keeps unset fields', async () => {
    const id = await createEntity(call, { name: 'update-keep', policies: ['p1'], metadata: { team: 'web' } });
    expectStatus(await call('POST', `identity/entity/id/${id}`, { policies: 'p3,p4' }), 204, 'update');

    const data = (await call('GET', `identity/entity/id/${id}`)).body.data;
    assert.deepEqual(data.policies, ['p3', 'p4']);
    assert.deepEqual(data.metadata, { team: 'web' });
    assert.equal(data.name, 'update-keep');
  });

  test('entity by name creates then updates', async () => {
    const created = await call('POST', 'identity/entity/name/by-name-bob', { policies: ['x'] });
    expectStatus(created, 200, 'create by name');
    assert.equal(created.body.data.name, 'by-name-bob');
    expectStatus(await call('POST', 'identity/entity/name/by-name-bob', { disabled: true }), 204, 'update by name');

    const read = await call('GET', 'identity/entity/name/BY-NAME-BOB');
    expectStatus(read, 200, 'read by name');
    assert.equal(read.body.data.id, created.body.data.id);
    assert.equal(read.body.data.disabled, true);
    assert.deepEqual(read.body.data.policies, ['x']);
  });

  test('entity post with existing name updates it', async () => {
    const id = await createEntity(call, { name: 'existing-name' });
    expectStatus(await call('POST', 'identity/entity', { name: 'existing-name', metadata: 'team=ops' }), 204, 'update through name');
    assert.deepEqual((await call('GET', `identity/entity/id/${id}`)).body.data.metadata, { team: 'ops' });
  });

  test('entity rename to taken name is rejected', async () => {
    const first = await createEntity(call, { name: 'taken-one' });
    const second = await createEntity(call, { name: 'taken-two' });
    const response = await call('POST', `identity/entity/id/${second}`, { name: 'TAKEN-ONE' });
    expectStatus(response, 400, 'rename');
    assert.deepEqual(response.body.errors, [`entity name is already in use: "TAKEN-ONE" names entity "${first}"; choose another name`]);
    assert.equal((await call('GET', `identity/entity/id/${second}`)).body.data.name, 'taken-two');
  });

  test('entity with unknown id is rejected', async () => {
    const id = randomUUID();
    const response = await call('POST', 'identity/entity', { id, policies: ['p'] });
    expectStatus(response, 400, 'update unknown');
    assert.deepEqual(response.body.errors, [`entity not found from id "${id}": list entity IDs at identity/entity/id`]);
  });

  test('entity policies cannot contain root', async () => {
    const before = (await call('LIST', 'identity/entity/name')).body.data.keys as string[];
    const response = await call('POST', 'identity/entity', { name: 'root-holder', policies: ['default', ' Root '] });
    expectStatus(response, 400, 'root policy');
    assert.deepEqual(response.body.errors, ['invalid "policies": policies cannot contain root']);
    assert.deepEqual((await call('LIST', 'identity/entity/name')).body.data.keys, before);
  });

  test('entity metadata is validated', async () => {
    const badKey = await call('POST', 'identity/entity', { name: 'bad-meta', metadata: { 'bad key': 'v' } });
    expectStatus(badKey, 400, 'bad key');
    assert.deepEqual(badKey.body.errors, ['invalid "metadata" key "bad key": use letters, digits, "=", "/", "+", "_" and "-"']);

    const reserved = await call('POST', 'identity/entity', { name: 'bad-meta', metadata: { 'vault-x': 'v' } });
    expectStatus(reserved, 400, 'reserved key');
    assert.deepEqual(reserved.body.errors, ['invalid "metadata" key "vault-x": the prefix "vault-" is reserved']);

    const notMap = await call('POST', 'identity/entity', { name: 'bad-meta', metadata: 42 });
    expectStatus(notMap, 400, 'not a map');
    assert.match(notMap.body.errors[0], /^invalid field "metadata": expected an object of strings/);
    expectStatus(await call('GET', 'identity/entity/name/bad-meta'), 404, 'nothing created');
  });

  test('entity name with control character', async () => {
    const response = await call('POST', 'identity/entity', { name: 'bad\nname' });
    expectStatus(response, 400, 'control character');
    assert.deepEqual(response.body.errors, ['invalid "name" "bad\\nname": names cannot contain control characters']);
  });

  test('entity unknown field is rejected', async () => {
    const response = await call('POST', 'identity/entity', { name: 'unknown-field', colour: 'blue' });
    expectStatus(response, 400, 'unknown field');
    assert.deepEqual(response.body.errors, ['unknown field "colour"']);
  });

  test('entity lists by id and by name', async () => {
    const id = await createEntity(call, { name: 'listed-entity' });
    expectStatus(await call('POST', 'identity/entity-alias', { name: 'listed', mount_accessor: userpassAccessor, canonical_id: id }), 200, 'alias');

    const byId = await call('LIST', 'identity/entity/id');
    expectStatus(byId, 200, 'list ids');
    assert.ok(byId.body.data.keys.includes(id));
    assert.equal(byId.body.data.key_info[id].name, 'listed-entity');
    assert.deepEqual(byId.body.data.key_info[id].aliases.map((alias: { name: string; mount_path: string; mount_type: string }) => [alias.name, alias.mount_path, alias.mount_type]), [
      ['listed', 'auth/userpass/', 'userpass'],
    ]);

    const byName = await call('GET', 'identity/entity/name?list=true');
    expectStatus(byName, 200, 'list names');
    assert.ok(byName.body.data.keys.includes('listed-entity'));
    assert.equal(byName.body.data.key_info[id].name, 'listed-entity');
  });

  test('entity delete removes aliases and memberships', async () => {
    const id = await createEntity(call, { name: 'to-delete' });
    const alias = await call('POST', 'identity/entity-alias', { name: 'doomed', mount_accessor: userpassAccessor, canonical_id: id });
    expectStatus(alias, 200, 'alias');
    const group = await call('POST', 'identity/group', { name: 'holds-doomed', member_entity_ids: [id] });
    expectStatus(group, 200, 'group');

    expectStatus(await call('DELETE', `identity/entity/id/${id}`), 204, 'delete');
    expectStatus(await call('GET', `identity/entity/id/${id}`), 404, 'entity gone');
    expectStatus(await call('GET', `identity/entity-alias/id/${alias.body.data.id}`), 404, 'alias gone');
    assert.deepEqual((await call('GET', `identity/group/id/${group.body.data.id}`)).body.data.member_entity_ids, []);
    expectStatus(await call('DELETE', `identity/entity/id/${id}`), 204, 'delete again');
  });

  test('entity delete by name', async () => {
    await createEntity(call, { name: 'delete-by-name' });
    expectStatus(await call('DELETE', 'identity/entity/name/Delete-By-Name'), 204, 'delete');
    expectStatus(await call('GET', 'identity/entity/name/delete-by-name'), 404, 'gone');
  });

  test('entity batch delete', async () => {
    const missing = await call('POST', 'identity/entity/batch-delete', {});
    expectStatus(missing, 400, 'no ids');
    assert.deepEqual(missing.body.errors, ['missing entity ids to delete: set "entity_ids" to a list of entity IDs']);

    const first = await createEntity(call, { name: 'batch-one' });
    const second = await createEntity(call, { name: 'batch-two' });
    const kept = await createEntity(call, { name: 'batch-kept' });
    expectStatus(await call('POST', 'identity/entity/batch-delete', { entity_ids: [first, second, randomUUID()] }), 204, 'batch delete');
    expectStatus(await call('GET', `identity/entity/id/${first}`), 404, 'first gone');
    expectStatus(await call('GET', `identity/entity/id/${second}`), 404, 'second gone');
    expectStatus(await call('GET', `identity/entity/id/${kept}`), 200, 'kept');
  });

  test('entity merge moves aliases and groups', async () => {
    const to = await createEntity(call, { name: 'merge-to', policies: ['to-policy'] });
    const from = await createEntity(call, { name: 'merge-from', policies: ['from-policy'] });
    expectStatus(await call('POST', 'identity/entity-alias', { name: 'merge-a', mount_accessor: userpassAccessor, canonical_id: to }), 200, 'to alias');
    const fromAlias = await call('POST', 'identity/entity-alias', { name: 'merge-b', mount_accessor: otherAccessor, canonical_id: from });
    const group = await call('POST', 'identity/group', { name: 'merge-group', member_entity_ids: [from] });

    expectStatus(await call('POST', 'identity/entity/merge', { to_entity_id: to, from_entity_ids: [from] }), 204, 'merge');
    expectStatus(await call('GET', `identity/entity/id/${from}`), 404, 'from gone');
    const data = (await call('GET', `identity/entity/id/${to}`)).body.data;
    assert.deepEqual(data.merged_entity_ids, [from]);
    assert.deepEqual(data.policies, ['to-policy']);
    assert.deepEqual(data.aliases.map((alias: { name: string }) => alias.name).sort(), ['merge-a', 'merge-b']);
    const moved = (await call('GET', `identity/entity-alias/id/${fromAlias.body.data.id}`)).body.data;
    assert.equal(moved.canonical_id, to);
    assert.deepEqual(moved.merged_from_canonical_ids, [from]);
    assert.deepEqual(data.direct_group_ids, [group.body.data.id]);
  });

  test('entity merge conflict needs alias to keep', async () => {
    const to = await createEntity(call, { name: 'clash-to' });
    const from = await createEntity(call, { name: 'clash-from' });
    const toAlias = (await call('POST', 'identity/entity-alias', { name: 'clash-a', mount_accessor: userpassAccessor, canonical_id: to })).body.data.id;
    const fromAlias = (await call('POST', 'identity/entity-alias', { name: 'clash-b', mount_accessor: userpassAccessor, canonical_id: from })).body.data.id;

    const rejected = await call('POST', 'identity/entity/merge', { to_entity_id: to, from_entity_ids: [from] });
    expectStatus(rejected, 400, 'clash');
    assert.match(rejected.body.errors[0], /^toEntity and at least one fromEntity have aliases with the same mount accessor/);
    assert.ok(rejected.body.errors[0].includes(`conflicting toEntity alias ID: ${toAlias}, conflicting fromEntity alias ID: ${fromAlias}`));
    expectStatus(await call('GET', `identity/entity/id/${from}`), 200, 'from still there');

    expectStatus(await call('POST', 'identity/entity/merge', { to_entity_id: to, from_entity_ids: [from], conflicting_alias_ids_to_keep: [fromAlias] }), 204, 'merge');
    const aliases = (await call('GET', `identity/entity/id/${to}`)).body.data.aliases as { id: string }[];
    assert.deepEqual(aliases.map((alias) => alias.id), [fromAlias]);
    expectStatus(await call('GET', `identity/entity-alias/id/${toAlias}`), 404, 'dropped alias');
  });

  test('entity merge checks its input', async () => {
    const to = await createEntity(call, { name: 'merge-check' });
    const unknown = randomUUID();
    const cases: [Record<string, unknown>, string][] = [
      [{ from_entity_ids: [to] }, 'missing entity id to merge to: set "to_entity_id"'],
      [{ to_entity_id: to }, 'missing entity ids to merge from: set "from_entity_ids"'],
      [{ to_entity_id: unknown, from_entity_ids: [to] }, `entity id to merge to is invalid: no entity has the ID "${unknown}"`],
      [{ to_entity_id: to, from_entity_ids: [unknown] }, `entity id to merge from is invalid: no entity has the ID "${unknown}"`],
      [{ to_entity_id: to, from_entity_ids: [to] }, `to_entity_id should not be present in from_entity_ids: remove "${to}" from "from_entity_ids"`],
    ];
    for (const [body, message] of cases) {
      const response = await call('POST', 'identity/entity/merge', body);
      expectStatus(response, 400, JSON.stringify(body));
      assert.deepEqual(response.body.errors, [message]);
    }
  });

  test('entity API needs a token', async () => {
    const response = await callerFor(server, '')('GET', 'identity/entity/id?list=true');
    expectStatus(response, 403, 'no token');
    assert.deepEqual(response.body.errors, ['permission denied']);
  });
});
