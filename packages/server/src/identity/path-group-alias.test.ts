import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { startDevServer } from '../testing/api-client.js';
import { callerFor, enableAuth, expectStatus, ROOT_TOKEN, type Caller } from './test-support.js';

describe('identity group alias API', () => {
  let server: RunningServer;
  let call: Caller;
  let accessor: string;

  before(async () => {
    server = await startDevServer(ROOT_TOKEN);
    call = callerFor(server);
    accessor = await enableAuth(call, 'ldap-like', 'userpass');
  });
  after(() => server.close());

  async function createGroup(body: Record<string, unknown>): Promise<string> {
    const response = await call('POST', 'identity/group', body);
    expectStatus(response, 200, 'create group');
    return response.body.data.id as string;
  }

  test('group alias binds to external group', async () => {
    const group = await createGroup({ name: 'ext-admins', type: 'external', policies: ['admin'] });
    const created = await call('POST', 'identity/group-alias', { name: 'cn=admins', mount_accessor: accessor, canonical_id: group });
    expectStatus(created, 200, 'create');
    assert.equal(created.body.data.canonical_id, group);
    const aliasId = created.body.data.id;

    const read = await call('GET', `identity/group-alias/id/${aliasId}`);
    expectStatus(read, 200, 'read');
    assert.equal(read.body.data.name, 'cn=admins');
    assert.equal(read.body.data.canonical_id, group);
    assert.equal(read.body.data.mount_accessor, accessor);
    assert.equal(read.body.data.mount_path, 'auth/ldap-like/');
    assert.equal(read.body.data.mount_type, 'userpass');
    assert.equal(read.body.data.metadata, null);

    const groupData = (await call('GET', `identity/group/id/${group}`)).body.data;
    assert.equal(groupData.alias.id, aliasId);
    assert.equal(groupData.alias.name, 'cn=admins');
    assert.equal(groupData.alias.mount_path, 'auth/ldap-like/');
  });

  test('group alias without group creates one', async () => {
    const created = await call('POST', 'identity/group-alias', { name: 'cn=auto', mount_accessor: accessor });
    expectStatus(created, 200, 'create');
    const group = (await call('GET', `identity/group/id/${created.body.data.canonical_id}`)).body.data;
    assert.equal(group.type, 'external');
    assert.match(group.name, /^group_[0-9a-f]{8}$/);
    assert.equal(group.alias.id, created.body.data.id);
  });

  test('group alias checks its input', async () => {
    const internal = await createGroup({ name: 'alias-internal' });
    const external = await createGroup({ name: 'alias-external', type: 'external' });
    const taken = await call('POST', 'identity/group-alias', { name: 'cn=taken', mount_accessor: accessor, canonical_id: external });
    expectStatus(taken, 200, 'first alias');
    const other = await createGroup({ name: 'alias-other', type: 'external' });
    const unknown = randomUUID();
    const cases: [string, Record<string, unknown>, string][] = [
      ['identity/group-alias', { mount_accessor: accessor }, 'missing alias name: set "name" to the group name the auth method reports'],
      ['identity/group-alias', { name: 'x' }, 'missing mount_accessor: set it to the accessor of the auth mount, listed at sys/auth'],
      ['identity/group-alias', { name: 'x', mount_accessor: accessor, canonical_id: unknown }, `invalid group ID given in 'canonical_id': no group has the ID "${unknown}"`],
      ['identity/group-alias', { name: 'x', mount_accessor: accessor, canonical_id: internal }, `alias can't be set on an internal group: group "${internal}" is internal`],
      ['identity/group-alias', { name: 'x', mount_accessor: 'auth_nope_1', canonical_id: other }, 'invalid mount accessor "auth_nope_1": read the accessors of auth mounts at sys/auth'],
      ['identity/group-alias', { name: 'CN=TAKEN', mount_accessor: accessor, canonical_id: other }, `combination of mount and group alias name is already in use: group alias "${taken.body.data.id}"`],
      ['identity/group-alias', { name: 'second', mount_accessor: accessor, canonical_id: external }, `group "${external}" already has the alias "${taken.body.data.id}": update or delete that alias first`],
      [`identity/group-alias/id/${unknown}`, { name: 'x', mount_accessor: accessor }, `invalid group alias ID "${unknown}": list group alias IDs at identity/group-alias/id`],
    ];
    for (const [path, body, message] of cases) {
      const response = await call('POST', path, body);
      expectStatus(response, 400, `${path} ${JSON.stringify(body)}`);
      assert.deepEqual(response.body.errors, [message]);
    }
    assert.deepEqual((await call('GET', `identity/group/id/${other}`)).body.data.alias, {});
  });

  test('group alias update renames and moves', async () => {
    const first = await createGroup({ name: 'move-first', type: 'external' });
    const second = await createGroup({ name: 'move-second', type: 'external' });
    const aliasId = (await call('POST', 'identity/group-alias', { name: 'cn=movable', mount_accessor: accessor, canonical_id: first })).body.data.id;

    const renamed = await call('POST', `identity/group-alias/id/${aliasId}`, { name: 'cn=renamed', mount_accessor: accessor });
    expectStatus(renamed, 200, 'rename');
    assert.deepEqual(renamed.body.data, { id: aliasId, canonical_id: first });

    const moved = await call('POST', 'identity/group-alias', { id: aliasId, name: 'cn=renamed', mount_accessor: accessor, canonical_id: second });
    expectStatus(moved, 200, 'move');
    assert.deepEqual(moved.body.data, { id: aliasId, canonical_id: second });
    assert.deepEqual((await call('GET', `identity/group/id/${first}`)).body.data.alias, {});
    assert.equal((await call('GET', `identity/group/id/${second}`)).body.data.alias.name, 'cn=renamed');
  });

  test('group alias delete and list', async () => {
    const group = await createGroup({ name: 'alias-delete', type: 'external' });
    const aliasId = (await call('POST', 'identity/group-alias', { name: 'cn=listed', mount_accessor: accessor, canonical_id: group })).body.data.id;

    const list = await call('LIST', 'identity/group-alias/id');
    expectStatus(list, 200, 'list');
    assert.ok(list.body.data.keys.includes(aliasId));
    assert.deepEqual(list.body.data.key_info[aliasId], {
      name: 'cn=listed',
      canonical_id: group,
      mount_accessor: accessor,
      custom_metadata: null,
      metadata: null,
      local: false,
      mount_path: 'auth/ldap-like/',
      mount_type: 'userpass',
    });

    expectStatus(await call('DELETE', `identity/group-alias/id/${aliasId}`), 204, 'delete');
    expectStatus(await call('GET', `identity/group-alias/id/${aliasId}`), 404, 'gone');
    const data = (await call('GET', `identity/group/id/${group}`)).body.data;
    assert.deepEqual(data.alias, {});
  });

  test('group delete deletes its alias', async () => {
    const group = await createGroup({ name: 'deleted-with-alias', type: 'external' });
    const aliasId = (await call('POST', 'identity/group-alias', { name: 'cn=gone', mount_accessor: accessor, canonical_id: group })).body.data.id;

    expectStatus(await call('DELETE', `identity/group/id/${group}`), 204, 'delete group');
    expectStatus(await call('GET', `identity/group-alias/id/${aliasId}`), 404, 'alias gone');
    const reuse = await call('POST', 'identity/group-alias', { name: 'cn=gone', mount_accessor: accessor });
    expectStatus(reuse, 200, 'name free again');
  });
});
