import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { startDevServer } from '../testing/api-client.js';
import { callerFor, createEntity, expectStatus, ROOT_TOKEN, type Caller } from './test-support.js';

describe('identity group API', () => {
  let server: RunningServer;
  let call: Caller;

  before(async () => {
    server = await startDevServer(ROOT_TOKEN);
    call = callerFor(server);
  });
  after(() => server.close());

  async function createGroup(body: Record<string, unknown>): Promise<string> {
    const response = await call('POST', 'identity/group', body);
    expectStatus(response, 200, 'create group');
    return response.body.data.id as string;
  }

  test('group create and read have Vault shape', async () => {
    const member = await createEntity(call, { name: 'group-member' });
    const response = await call('POST', 'identity/group', { name: 'shape', policies: ['gp1', 'gp2'], metadata: { hello: 'world' }, member_entity_ids: [member] });
    expectStatus(response, 200, 'create');
    const id = response.body.data.id;
    assert.deepEqual(response.body.data, { id, name: 'shape' });

    const data = (await call('GET', `identity/group/id/${id}`)).body.data;
    assert.deepEqual(Object.keys(data).sort(), [
      'alias',
      'creation_time',
      'id',
      'last_update_time',
      'member_entity_ids',
      'member_group_ids',
      'metadata',
      'modify_index',
      'name',
      'namespace_id',
      'parent_group_ids',
      'policies',
      'type',
    ]);
    assert.deepEqual(data.alias, {});
    assert.deepEqual(data.member_entity_ids, [member]);
    assert.equal(data.member_group_ids, null);
    assert.equal(data.parent_group_ids, null);
    assert.deepEqual(data.metadata, { hello: 'world' });
    assert.deepEqual(data.policies, ['gp1', 'gp2']);
    assert.equal(data.type, 'internal');
    assert.equal(data.modify_index, 1);

    const entity = (await call('GET', `identity/entity/id/${member}`)).body.data;
    assert.deepEqual(entity.direct_group_ids, [id]);
  });

  test('group generated name has Vault form', async () => {
    const response = await call('POST', 'identity/group', {});
    expectStatus(response, 200, 'create');
    assert.match(response.body.data.name, /^group_[0-9a-f]{8}$/);
  });

  test('group update answers 204 and keeps unset fields', async () => {
    const id = await createGroup({ name: 'update-group', policies: ['a'], metadata: { k: 'v' } });
    expectStatus(await call('POST', `identity/group/id/${id}`, { policies: ['b'] }), 204, 'update');
    const data = (await call('GET', `identity/group/id/${id}`)).body.data;
    assert.deepEqual(data.policies, ['b']);
    assert.deepEqual(data.metadata, { k: 'v' });
    assert.equal(data.modify_index, 2);
  });

  test('group by name creates then updates', async () => {
    const created = await call('POST', 'identity/group/name/named-group', { policies: ['n'] });
    expectStatus(created, 200, 'create by name');
    expectStatus(await call('POST', 'identity/group/name/Named-Group', { metadata: { x: 'y' } }), 204, 'update by name');
    const read = await call('GET', 'identity/group/name/NAMED-GROUP');
    expectStatus(read, 200, 'read');
    assert.equal(read.body.data.id, created.body.data.id);
    assert.deepEqual(read.body.data.metadata, { x: 'y' });
  });

  test('group subgroups and parents', async () => {
    const child = await createGroup({ name: 'child-group' });
    const parent = await createGroup({ name: 'parent-group', member_group_ids: [child] });
    const entity = await createEntity(call, { name: 'nested-member' });
    expectStatus(await call('POST', `identity/group/id/${child}`, { member_entity_ids: [entity] }), 204, 'add member');

    assert.deepEqual((await call('GET', `identity/group/id/${parent}`)).body.data.member_group_ids, [child]);
    assert.deepEqual((await call('GET', `identity/group/id/${child}`)).body.data.parent_group_ids, [parent]);
    const data = (await call('GET', `identity/entity/id/${entity}`)).body.data;
    assert.deepEqual(data.direct_group_ids, [child]);
    assert.deepEqual(data.inherited_group_ids, [parent]);
    assert.deepEqual(data.group_ids, [child, parent]);
  });

  test('group cycle is rejected', async () => {
    const bottom = await createGroup({ name: 'cycle-bottom' });
    const middle = await createGroup({ name: 'cycle-middle', member_group_ids: [bottom] });
    const top = await createGroup({ name: 'cycle-top', member_group_ids: [middle] });

    const response = await call('POST', `identity/group/id/${bottom}`, { member_group_ids: [top] });
    expectStatus(response, 400, 'cycle');
    assert.deepEqual(response.body.errors, [`cyclic relationship detected for member group ID "${top}"`]);
    assert.equal((await call('GET', `identity/group/id/${bottom}`)).body.data.member_group_ids, null);

    const self = await call('POST', `identity/group/id/${top}`, { member_group_ids: [top] });
    expectStatus(self, 400, 'self');
    assert.deepEqual(self.body.errors, [`member group ID "${top}" is same as the ID of the group`]);
  });

  test('group checks its input', async () => {
    const existing = await createGroup({ name: 'input-checks' });
    const external = await createGroup({ name: 'input-external', type: 'external' });
    const unknown = randomUUID();
    const cases: [string, Record<string, unknown>, string][] = [
      ['identity/group', { name: 'bad-type', type: 'mixed' }, 'invalid group type "mixed": use "internal" or "external"'],
      ['identity/group', { name: 'root-group', policies: ['root'] }, 'invalid "policies": policies cannot contain root'],
      ['identity/group', { name: 'bad-entity', member_entity_ids: [unknown] }, `invalid entity ID "${unknown}" in "member_entity_ids": no entity has this ID`],
      ['identity/group', { name: 'bad-subgroup', member_group_ids: [unknown] }, `invalid member group ID "${unknown}" in "member_group_ids": no group has this ID`],
      ['identity/group', { name: 'INPUT-CHECKS', id: external }, `group name is already in use: "INPUT-CHECKS" names group "${existing}"; choose another name`],
      [`identity/group/id/${existing}`, { type: 'external' }, `group type cannot be changed: group "${existing}" is internal; create a new group instead`],
      [`identity/group/id/${external}`, { member_entity_ids: [] }, "member entities can't be set manually for external groups: logins set them from group aliases"],
      [`identity/group/id/${external}`, { member_group_ids: [] }, "member groups can't be set for external groups"],
      [`identity/group/id/${unknown}`, { policies: ['p'] }, `invalid group ID "${unknown}": list group IDs at identity/group/id`],
    ];
    for (const [path, body, message] of cases) {
      const response = await call('POST', path, body);
      expectStatus(response, 400, `${path} ${JSON.stringify(body)}`);
      assert.deepEqual(response.body.errors, [message]);
    }
    for (const name of ['bad-type', 'root-group', 'bad-entity', 'bad-subgroup']) {
      expectStatus(await call('GET', `identity/group/name/${name}`), 404, `${name} not created`);
    }
  });

  test('group lists by id and by name', async () => {
    const id = await createGroup({ name: 'listed-group' });
    const byId = await call('LIST', 'identity/group/id');
    expectStatus(byId, 200, 'list ids');
    assert.ok(byId.body.data.keys.includes(id));
    assert.deepEqual(byId.body.data.key_info[id], { name: 'listed-group', num_member_entities: 0, num_parent_groups: 0 });
    const byName = await call('LIST', 'identity/group/name');
    expectStatus(byName, 200, 'list names');
    assert.ok(byName.body.data.keys.includes('listed-group'));
  });

  test('group delete removes it from parents', async () => {
    const child = await createGroup({ name: 'deleted-child' });
    const parent = await createGroup({ name: 'surviving-parent', member_group_ids: [child] });

    expectStatus(await call('DELETE', `identity/group/id/${child}`), 204, 'delete');
    expectStatus(await call('GET', `identity/group/id/${child}`), 404, 'gone');
    assert.equal((await call('GET', `identity/group/id/${parent}`)).body.data.member_group_ids, null);
    expectStatus(await call('DELETE', 'identity/group/name/surviving-parent'), 204, 'delete by name');
    expectStatus(await call('GET', `identity/group/id/${parent}`), 404, 'parent gone');
  });
});
