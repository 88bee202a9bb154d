import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { startDevServer } from '../testing/api-client.js';
import { callerFor, createEntity, enableAuth, expectStatus, ROOT_TOKEN, type Caller } from './test-support.js';

describe('identity entity alias API', () => {
  let server: RunningServer;
  let call: Caller;
  let userpass: string;
  let other: string;

  before(async () => {
    server = await startDevServer(ROOT_TOKEN);
    call = callerFor(server);
    userpass = await enableAuth(call, 'userpass', 'userpass');
    other = await enableAuth(call, 'other', 'userpass');
  });
  after(() => server.close());

  async function createAlias(body: Record<string, unknown>): Promise<{ id: string; canonical_id: string }> {
    const response = await call('POST', 'identity/entity-alias', body);
    expectStatus(response, 200, 'create alias');
    return response.body.data;
  }

  test('alias create binds to entity', async () => {
    const entityId = await createEntity(call, { name: 'alias-owner' });
    const created = await createAlias({ name: 'owner', mount_accessor: userpass, canonical_id: entityId, custom_metadata: { email: 'o@example.com' } });
    assert.equal(created.canonical_id, entityId);

    const read = await call('GET', `identity/entity-alias/id/${created.id}`);
    expectStatus(read, 200, 'read');
    const data = read.body.data;
    assert.deepEqual(Object.keys(data).sort(), [
      'canonical_id',
      'creation_time',
      'custom_metadata',
      'id',
      'last_update_time',
      'local',
      'merged_from_canonical_ids',
      'metadata',
      'mount_accessor',
      'mount_path',
      'mount_type',
      'name',
      'namespace_id',
    ]);
    assert.equal(data.name, 'owner');
    assert.equal(data.mount_accessor, userpass);
    assert.equal(data.mount_path, 'auth/userpass/');
    assert.equal(data.mount_type, 'userpass');
    assert.deepEqual(data.custom_metadata, { email: 'o@example.com' });
    assert.equal(data.metadata, null);
    assert.equal(data.local, false);

    const entity = (await call('GET', `identity/entity/id/${entityId}`)).body.data;
    assert.deepEqual(entity.aliases.map((alias: { id: string }) => alias.id), [created.id]);
  });

  test('alias without entity creates one', async () => {
    const created = await createAlias({ name: 'orphan', mount_accessor: userpass });
    const entity = await call('GET', `identity/entity/id/${created.canonical_id}`);
    expectStatus(entity, 200, 'new entity');
    assert.match(entity.body.data.name, /^entity_[0-9a-f]{8}$/);
  });

  test('alias create checks its input', async () => {
    const entityId = await createEntity(call, { name: 'alias-checks' });
    await createAlias({ name: 'first', mount_accessor: userpass, canonical_id: entityId });
    const unknownEntity = randomUUID();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x' }, "'id' or 'mount_accessor' and 'name' must be provided"],
      [{ name: 'x', mount_accessor: 'auth_nope_1' }, 'invalid mount accessor "auth_nope_1": read the accessors of auth mounts at sys/auth'],
      [{ name: 'x', mount_accessor: userpass, canonical_id: unknownEntity }, `invalid canonical ID: no entity has the ID "${unknownEntity}"`],
      [{ name: 'second', mount_accessor: userpass, canonical_id: entityId }, `Alias already exists for requested entity and mount accessor: alias`],
      [{ id: unknownEntity, name: 'x' }, `invalid alias ID provided: no entity alias has the ID "${unknownEntity}"`],
    ];
    for (const [body, message] of cases) {
      const response = await call('POST', 'identity/entity-alias', body);
      expectStatus(response, 400, JSON.stringify(body));
      assert.ok(response.body.errors[0].startsWith(message), response.body.errors[0]);
    }
    const entity = (await call('GET', `identity/entity/id/${entityId}`)).body.data;
    assert.equal(entity.aliases.length, 1);
  });

  test('alias create with existing factors updates it', async () => {
    const first = await createEntity(call, { name: 'factors-first' });
    const second = await createEntity(call, { name: 'factors-second' });
    const created = await createAlias({ name: 'Mover', mount_accessor: userpass, canonical_id: first });

    const moved = await call('POST', 'identity/entity-alias', { name: 'mover', mount_accessor: userpass, canonical_id: second });
    expectStatus(moved, 200, 'move through factors');
    assert.deepEqual(moved.body.data, { id: created.id, canonical_id: second });
    assert.deepEqual((await call('GET', `identity/entity/id/${first}`)).body.data.aliases, []);
    assert.equal((await call('GET', `identity/entity/id/${second}`)).body.data.aliases[0].id, created.id);
  });

  test('alias update by id changes name and metadata', async () => {
    const entityId = await createEntity(call, { name: 'update-alias' });
    const created = await createAlias({ name: 'before', mount_accessor: userpass, canonical_id: entityId });

    expectStatus(await call('POST', `identity/entity-alias/id/${created.id}`, {}), 204, 'no change');
    const updated = await call('POST', `identity/entity-alias/id/${created.id}`, { name: 'after', custom_metadata: 'k=v' });
    expectStatus(updated, 200, 'update');
    assert.deepEqual(updated.body.data, { id: created.id, canonical_id: entityId });
    const data = (await call('GET', `identity/entity-alias/id/${created.id}`)).body.data;
    assert.equal(data.name, 'after');
    assert.deepEqual(data.custom_metadata, { k: 'v' });
  });

  test('alias update rejects a second alias on a mount', async () => {
    const entityId = await createEntity(call, { name: 'two-mounts' });
    await createAlias({ name: 'on-userpass', mount_accessor: userpass, canonical_id: entityId });
    const onOther = await createAlias({ name: 'on-other', mount_accessor: other, canonical_id: entityId });

    const response = await call('POST', `identity/entity-alias/id/${onOther.id}`, { mount_accessor: userpass });
    expectStatus(response, 400, 'same mount');
    assert.deepEqual(response.body.errors, [`Alias cannot be updated as the entity already has an alias for the given 'mount_accessor' "${userpass}"`]);

    const target = await createEntity(call, { name: 'move-target' });
    await createAlias({ name: 'target-alias', mount_accessor: other, canonical_id: target });
    const move = await call('POST', `identity/entity-alias/id/${onOther.id}`, { canonical_id: target });
    expectStatus(move, 400, 'target has mount');
    assert.deepEqual(move.body.errors, [`Alias cannot be updated as the given entity already has an alias for this mount: "${other}"`]);
  });

  test('alias update rejects taken factors', async () => {
    const first = await createEntity(call, { name: 'taken-factors-1' });
    const second = await createEntity(call, { name: 'taken-factors-2' });
    const kept = await createAlias({ name: 'kept-name', mount_accessor: userpass, canonical_id: first });
    const renamed = await createAlias({ name: 'rename-me', mount_accessor: userpass, canonical_id: second });

    const response = await call('POST', `identity/entity-alias/id/${renamed.id}`, { name: 'KEPT-NAME' });
    expectStatus(response, 400, 'taken');
    assert.deepEqual(response.body.errors, [`alias with combination of mount accessor and name already exists: alias "${kept.id}"`]);
  });

  test('alias delete leaves the entity', async () => {
    const entityId = await createEntity(call, { name: 'alias-delete' });
    const created = await createAlias({ name: 'deleted-alias', mount_accessor: userpass, canonical_id: entityId });

    expectStatus(await call('DELETE', `identity/entity-alias/id/${created.id}`), 204, 'delete');
    expectStatus(await call('GET', `identity/entity-alias/id/${created.id}`), 404, 'gone');
    const entity = await call('GET', `identity/entity/id/${entityId}`);
    expectStatus(entity, 200, 'entity kept');
    assert.deepEqual(entity.body.data.aliases, []);
    expectStatus(await call('DELETE', `identity/entity-alias/id/${created.id}`), 204, 'delete again');
  });

  test('alias list has key info', async () => {
    const entityId = await createEntity(call, { name: 'alias-list' });
    const created = await createAlias({ name: 'listed-alias', mount_accessor: other, canonical_id: entityId });

    const response = await call('LIST', 'identity/entity-alias/id');
    expectStatus(response, 200, 'list');
    assert.ok(response.body.data.keys.includes(created.id));
    assert.deepEqual(response.body.data.key_info[created.id], {
      name: 'listed-alias',
      canonical_id: entityId,
      mount_accessor: other,
      custom_metadata: {},
      metadata: null,
      local: false,
      mount_path: 'auth/other/',
      mount_type: 'userpass',
    });
  });
});
