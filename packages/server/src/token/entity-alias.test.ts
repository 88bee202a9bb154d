import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-entity-alias-test';

describe('tokens with an entity alias', () => {
  let server: RunningServer;

  before(async () => {
    server = await startDevServer(ROOT);
    const role = await api(server, 'POST', 'auth/token/roles/ci', { token: ROOT, body: { allowed_policies: ['default'], allowed_entity_aliases: ['ci-*', 'deployer'] } });
    assert.equal(role.status, 204);
  });
  after(async () => {
    await server.close();
  });

  const entityIds = async (): Promise<string[]> => {
    const listed = await api(server, 'LIST', 'identity/entity/id', { token: ROOT });
    return listed.status === 404 ? [] : listed.body.data.keys;
  };

  test('token gets the alias entity', async () => {
    const created = await api(server, 'POST', 'auth/token/create/ci', { token: ROOT, body: { entity_alias: 'CI-Runner' } });
    assert.equal(created.status, 200);
    const entityId = created.body.auth.entity_id;
    assert.match(entityId, /^[0-9a-f-]{36}$/);

    const entity = await api(server, 'GET', `identity/entity/id/${entityId}`, { token: ROOT });
    assert.equal(entity.body.data.aliases.length, 1);
    assert.equal(entity.body.data.aliases[0].name, 'CI-Runner');
    assert.equal(entity.body.data.aliases[0].mount_accessor, 'auth_token');
    assert.equal(entity.body.data.aliases[0].mount_type, 'token');

    const again = await api(server, 'POST', 'auth/token/create/ci', { token: ROOT, body: { entity_alias: 'CI-Runner' } });
    assert.equal(again.body.auth.entity_id, entityId, 'the same alias finds the same entity');
    const lookup = await api(server, 'POST', 'auth/token/lookup', { token: ROOT, body: { token: again.body.auth.client_token } });
    assert.equal(lookup.body.data.entity_id, entityId);
  });

  test('alias outside the role is rejected', async () => {
    const before = await entityIds();
    const rejected = await api(server, 'POST', 'auth/token/create/ci', { token: ROOT, body: { entity_alias: 'admin' } });
    assert.equal(rejected.status, 400);
    assert.deepEqual(rejected.body.errors, ['invalid "entity_alias" "admin": the role "ci" does not allow it']);
    assert.deepEqual(await entityIds(), before);
  });

  test('alias without a role is rejected', async () => {
    const rejected = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { entity_alias: 'deployer' } });
    assert.equal(rejected.status, 400);
    assert.deepEqual(rejected.body.errors, ['invalid "entity_alias": it is only allowed with a token role']);
  });

  test('disabled entity gets no token', async () => {
    const created = await api(server, 'POST', 'auth/token/create/ci', { token: ROOT, body: { entity_alias: 'deployer' } });
    const entityId = created.body.auth.entity_id;
    assert.equal((await api(server, 'POST', `identity/entity/id/${entityId}`, { token: ROOT, body: { disabled: true } })).status, 204);

    const rejected = await api(server, 'POST', 'auth/token/create/ci', { token: ROOT, body: { entity_alias: 'deployer' } });
    assert.equal(rejected.status, 403);
    assert.deepEqual(rejected.body.errors, ['permission denied']);
  });
});
