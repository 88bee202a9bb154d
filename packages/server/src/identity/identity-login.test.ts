/**
 * Logins through real auth mounts, end to end over HTTP: entities, groups
 * and templated policies decide what the issued tokens may do.
 *
 * The `identity-test` auth method below logs in any user name and reports
 * the alias metadata and group names it is given. It is a real SDK backend,
 * added to the server's map of built-in auth methods for this test process
 * only and removed afterwards, so no server source refers to it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Backend, definePath, SDK_VERSION, type AuthPlugin } from '@coffer/sdk';
import { builtinAuthMethods } from '../plugins.js';
import type { RunningServer } from '../server.js';
import { startDevServer } from '../testing/api-client.js';
import { callerFor, createEntity, enableAuth, expectStatus, ROOT_TOKEN, type Caller } from './test-support.js';

const TEST_AUTH_TYPE = 'identity-test';

/** Group names that a renewal reports, by user name, like a directory after a change. A user not listed has no groups. */
const renewalGroups = new Map<string, string[]>();

/** Logs in `username`; the token policy is `login-<mount name>`, so tokens of two mounts differ. */
const testAuthPlugin: AuthPlugin = {
  kind: 'auth',
  name: TEST_AUTH_TYPE,
  version: '0.0.1',
  sdkVersion: SDK_VERSION,
  async factory(config) {
    const mountName = config.mountPoint.replace(/^auth\//, '').replace(/\/$/, '');
    return new Backend({
      backendType: 'credential',
      help: 'Logs in any user name, for the identity tests.',
      specialPaths: { unauthenticated: ['login'] },
      async authRenew(request) {
        const login = request.auth!;
        const groups = renewalGroups.get(login.metadata.username ?? '') ?? [];
        return { auth: { policies: login.policies, groupAliases: groups.map((name) => ({ name })) } };
      },
      paths: [
        definePath({
          pattern: 'login',
          fields: {
            username: { type: 'string', description: 'User name; it becomes the alias name.', required: true },
            region: { type: 'string', description: 'Reported as alias metadata.' },
            groups: { type: 'comma_string_slice', description: 'Reported as group aliases.' },
          },
          operations: {
            async update(_request, fields) {
              const username = fields.get('username');
              return {
                auth: {
                  policies: [`login-${mountName}`],
                  metadata: { username },
                  displayName: username,
                  alias: { name: username, ...(fields.has('region') ? { metadata: { region: fields.get('region') } } : {}) },
                  ...(fields.has('groups') ? { groupAliases: fields.get('groups').map((name) => ({ name })) } : {}),
                },
              };
            },
          },
          helpSynopsis: 'Log in.',
          helpDescription: 'Logs in any user name without a password.',
        }),
        definePath({
          pattern: 'whoami',
          fields: {},
          operations: {
            async read(request) {
              return { data: { entity_id: request.entityId ?? null, display_name: request.displayName ?? null } };
            },
          },
          helpSynopsis: 'Report the caller.',
          helpDescription: 'Returns the entity and display name the backend received with the request.',
        }),
      ],
    });
  },
};

function readPolicy(path: string): string {
  return `path "${path}" {\n  capabilities = ["read"]\n}\n`;
}

describe('identity over logins', () => {
  const authMethods = builtinAuthMethods as Map<string, AuthPlugin>;
  let server: RunningServer;
  let call: Caller;
  let accessorA: string;
  let accessorB: string;

  before(async () => {
    authMethods.set(TEST_AUTH_TYPE, testAuthPlugin);
    server = await startDevServer(ROOT_TOKEN);
    call = callerFor(server);
    accessorA = await enableAuth(call, 'test-a', TEST_AUTH_TYPE);
    accessorB = await enableAuth(call, 'test-b', TEST_AUTH_TYPE);

    const policies: Record<string, string> = {
      'login-test-a': `${readPolicy('secret/data/a/*')}${readPolicy('auth/test-a/whoami')}`,
      'login-test-b': readPolicy('secret/data/b/*'),
      'shared-read': readPolicy('secret/data/shared/*'),
      'group-read': readPolicy('secret/data/group/*'),
      'late-read': readPolicy('secret/data/late/*'),
      'child-tokens': 'path "auth/token/create" {\n  capabilities = ["update"]\n}\npath "auth/token/create-orphan" {\n  capabilities = ["update"]\n}\n',
      'own-path': 'path "secret/data/{{identity.entity.name}}/*" {\n  capabilities = ["create", "update", "read"]\n}\n',
      'alias-path': `path "secret/data/by-alias/{{identity.entity.aliases.${accessorA}.name}}" {\n  capabilities = ["read"]\n}\n`,
      'region-path': `path "secret/data/region/{{identity.entity.aliases.${accessorA}.metadata.region}}" {\n  capabilities = ["read"]\n}\n`,
    };
    for (const [name, policy] of Object.entries(policies)) {
      expectStatus(await call('PUT', `sys/policies/acl/${name}`, { policy }), 204, `policy ${name}`);
    }
    for (const path of ['a/x', 'b/x', 'shared/x', 'group/x', 'late/x', 'alice/x', 'bob/x', 'by-alias/alice', 'by-alias/bob', 'region/eu', 'region/us']) {
      expectStatus(await call('POST', `secret/data/${path}`, { data: { path } }), 200, `seed ${path}`);
    }
  });
  after(async () => {
    await server.close();
    authMethods.delete(TEST_AUTH_TYPE);
  });

  async function login(mount: string, body: Record<string, unknown>): Promise<{ client_token: string; entity_id: string; policies: string[]; identity_policies?: string[] }> {
    const response = await call('POST', `auth/${mount}/login`, body);
    expectStatus(response, 200, `login at ${mount}`);
    return response.body.auth;
  }

  async function readStatus(token: string, path: string): Promise<number> {
    return (await callerFor(server, token)('GET', `secret/data/${path}`)).status;
  }

  /** Creates an entity with aliases for `username` on both test mounts. */
  async function entityOnBothMounts(name: string, username: string, body: Record<string, unknown> = {}): Promise<string> {
    const id = await createEntity(call, { name, ...body });
    for (const accessor of [accessorA, accessorB]) {
      expectStatus(await call('POST', 'identity/entity-alias', { name: username, mount_accessor: accessor, canonical_id: id }), 200, 'alias');
    }
    return id;
  }

  test('logins under one entity get union of policies', async () => {
    const entityId = await entityOnBothMounts('alice', 'alice', { policies: ['shared-read'] });
    expectStatus(await call('POST', 'identity/group', { name: 'alice-group', policies: ['group-read'], member_entity_ids: [entityId] }), 200, 'group');

    const first = await login('test-a', { username: 'alice' });
    const second = await login('test-b', { username: 'alice' });
    assert.equal(first.entity_id, entityId);
    assert.equal(second.entity_id, entityId);
    assert.deepEqual(first.identity_policies, ['group-read', 'shared-read']);
    assert.deepEqual(first.policies, ['default', 'group-read', 'login-test-a', 'shared-read']);
    assert.deepEqual(second.policies, ['default', 'group-read', 'login-test-b', 'shared-read']);

    for (const [token, readable, denied] of [
      [first.client_token, ['a/x', 'shared/x', 'group/x'], ['b/x', 'late/x']],
      [second.client_token, ['b/x', 'shared/x', 'group/x'], ['a/x', 'late/x']],
    ] as const) {
      for (const path of readable) assert.equal(await readStatus(token, path), 200, `read ${path}`);
      for (const path of denied) assert.equal(await readStatus(token, path), 403, `read ${path}`);
    }
  });

  test('backend receives caller entity', async () => {
    const auth = await login('test-a', { username: 'whoami-user' });

    const seen = await callerFor(server, auth.client_token)('GET', 'auth/test-a/whoami');
    expectStatus(seen, 200, 'whoami');
    assert.match(auth.entity_id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(seen.body.data, { entity_id: auth.entity_id, display_name: 'test-a-whoami-user' });

    const root = await call('GET', 'auth/test-a/whoami');
    expectStatus(root, 200, 'whoami as root');
    assert.equal(root.body.data.entity_id, null);
  });

  test('token lookup shows identity policies', async () => {
    const entityId = await entityOnBothMounts('lookup-entity', 'lookup-user', { policies: ['shared-read'] });
    expectStatus(await call('POST', 'identity/group', { name: 'lookup-group', policies: ['group-read'], member_entity_ids: [entityId] }), 200, 'group');
    const member = await login('test-a', { username: 'lookup-user' });
    const plain = await login('test-a', { username: 'lookup-plain' });

    const self = await callerFor(server, member.client_token)('GET', 'auth/token/lookup-self');
    expectStatus(self, 200, 'lookup-self');
    assert.deepEqual(self.body.data.identity_policies, ['group-read', 'shared-read']);
    assert.deepEqual(self.body.data.policies, ['default', 'login-test-a']);
    const byToken = await call('POST', 'auth/token/lookup', { token: member.client_token });
    assert.deepEqual(byToken.body.data.identity_policies, ['group-read', 'shared-read']);
    const byAccessor = await call('POST', 'auth/token/lookup-accessor', { accessor: (self.body.data as { accessor: string }).accessor });
    assert.deepEqual(byAccessor.body.data.identity_policies, ['group-read', 'shared-read']);

    const plainSelf = await callerFor(server, plain.client_token)('GET', 'auth/token/lookup-self');
    assert.equal(Object.hasOwn(plainSelf.body.data, 'identity_policies'), false, 'no key without identity policies');
  });

  test('templated policy grants own path only', async () => {
    for (const name of ['alice', 'bob']) {
      if ((await call('GET', `identity/entity/name/${name}`)).status === 404) await entityOnBothMounts(name, name);
    }
    expectStatus(await call('POST', 'identity/group', { name: 'own-paths', policies: ['own-path', 'alias-path', 'region-path'] }), 200, 'group');
    const alice = (await call('GET', 'identity/entity/name/alice')).body.data.id;
    const bob = (await call('GET', 'identity/entity/name/bob')).body.data.id;
    expectStatus(await call('POST', 'identity/group/name/own-paths', { member_entity_ids: [alice, bob] }), 204, 'members');

    const aliceToken = (await login('test-a', { username: 'alice', region: 'eu' })).client_token;
    const bobToken = (await login('test-b', { username: 'bob' })).client_token;

    assert.equal(await readStatus(aliceToken, 'alice/x'), 200);
    assert.equal(await readStatus(aliceToken, 'bob/x'), 403);
    assert.equal(await readStatus(bobToken, 'bob/x'), 200);
    assert.equal(await readStatus(bobToken, 'alice/x'), 403);
    const write = await callerFor(server, aliceToken)('POST', 'secret/data/alice/new', { data: { written: 'yes' } });
    expectStatus(write, 200, 'write own path');
    const denied = await callerFor(server, bobToken)('POST', 'secret/data/alice/new', { data: { written: 'no' } });
    expectStatus(denied, 403, 'write other path');

    assert.equal(await readStatus(aliceToken, 'by-alias/alice'), 200);
    assert.equal(await readStatus(aliceToken, 'by-alias/bob'), 403);
    assert.equal(await readStatus(aliceToken, 'region/eu'), 200);
    assert.equal(await readStatus(aliceToken, 'region/us'), 403);
    assert.equal(await readStatus(bobToken, 'region/eu'), 403);
  });

  test('group change applies to issued token', async () => {
    const entityId = await entityOnBothMounts('late-joiner', 'late');
    const token = (await login('test-a', { username: 'late' })).client_token;
    assert.equal(await readStatus(token, 'late/x'), 403);

    const group = await call('POST', 'identity/group', { name: 'late-group', policies: ['late-read'], member_entity_ids: [entityId] });
    expectStatus(group, 200, 'group');
    assert.equal(await readStatus(token, 'late/x'), 200);

    expectStatus(await call('POST', `identity/group/id/${group.body.data.id}`, { member_entity_ids: [] }), 204, 'remove member');
    assert.equal(await readStatus(token, 'late/x'), 403);
  });

  test('disabled entity is denied', async () => {
    const entityId = await entityOnBothMounts('to-disable', 'disabled-user');
    const token = (await login('test-a', { username: 'disabled-user' })).client_token;
    assert.equal(await readStatus(token, 'a/x'), 200);

    expectStatus(await call('POST', `identity/entity/id/${entityId}`, { disabled: true }), 204, 'disable');
    const denied = await callerFor(server, token)('GET', 'secret/data/a/x');
    expectStatus(denied, 403, 'token of disabled entity');
    assert.deepEqual(denied.body.errors, ['permission denied']);
    const deniedLogin = await call('POST', 'auth/test-b/login', { username: 'disabled-user' });
    expectStatus(deniedLogin, 403, 'login of disabled entity');
    assert.deepEqual(deniedLogin.body.errors, ['permission denied']);

    expectStatus(await call('POST', `identity/entity/id/${entityId}`, { disabled: false }), 204, 'enable');
    assert.equal(await readStatus(token, 'a/x'), 200);
  });

  test('child token keeps entity of parent', async () => {
    const entityId = await entityOnBothMounts('parent-entity', 'parent-user');
    expectStatus(await call('POST', 'identity/group', { name: 'parent-group', policies: ['group-read', 'child-tokens'], member_entity_ids: [entityId] }), 200, 'group');
    const parent = (await login('test-a', { username: 'parent-user' })).client_token;
    const create = async (path: string): Promise<string> => {
      const response = await callerFor(server, parent)('POST', path, {});
      expectStatus(response, 200, path);
      return response.body.auth.client_token;
    };
    const child = await create('auth/token/create');
    const orphan = await create('auth/token/create-orphan');

    assert.equal((await callerFor(server, child)('GET', 'auth/token/lookup-self')).body.data.entity_id, entityId);
    assert.equal((await callerFor(server, orphan)('GET', 'auth/token/lookup-self')).body.data.entity_id, '');
    assert.equal(await readStatus(child, 'group/x'), 200, 'child gets the group policies');
    assert.equal(await readStatus(orphan, 'group/x'), 403, 'an orphan leaves the entity behind');

    expectStatus(await call('POST', `identity/entity/id/${entityId}`, { disabled: true }), 204, 'disable');
    const denied = await callerFor(server, child)('GET', 'secret/data/a/x');
    expectStatus(denied, 403, 'child of disabled entity');
    assert.deepEqual(denied.body.errors, ['permission denied']);
  });

  test('deleted entity token is denied', async () => {
    const first = await login('test-a', { username: 'short-lived' });
    assert.equal(await readStatus(first.client_token, 'a/x'), 200);
    expectStatus(await call('DELETE', `identity/entity/id/${first.entity_id}`), 204, 'delete');

    assert.equal(await readStatus(first.client_token, 'a/x'), 403);
    const again = await login('test-a', { username: 'short-lived' });
    assert.notEqual(again.entity_id, first.entity_id);
  });

  test('login group names set external groups', async () => {
    const group = await call('POST', 'identity/group', { name: 'eng-external', type: 'external', policies: ['group-read'] });
    expectStatus(group, 200, 'group');
    expectStatus(await call('POST', 'identity/group-alias', { name: 'eng', mount_accessor: accessorA, canonical_id: group.body.data.id }), 200, 'alias');

    const member = await login('test-a', { username: 'engineer', groups: 'eng,unknown' });
    assert.deepEqual(member.identity_policies, ['group-read']);
    assert.equal(await readStatus(member.client_token, 'group/x'), 200);
    assert.deepEqual((await call('GET', `identity/group/id/${group.body.data.id}`)).body.data.member_entity_ids, [member.entity_id]);

    const left = await login('test-a', { username: 'engineer', groups: 'other' });
    assert.equal(left.identity_policies, undefined);
    assert.equal(await readStatus(member.client_token, 'group/x'), 403);
  });

  test('renewal refreshes external groups', async () => {
    const group = await call('POST', 'identity/group', { name: 'renew-external', type: 'external', policies: ['late-read'] });
    expectStatus(group, 200, 'group');
    expectStatus(await call('POST', 'identity/group-alias', { name: 'renew-eng', mount_accessor: accessorA, canonical_id: group.body.data.id }), 200, 'alias');
    const member = await login('test-a', { username: 'renewer', groups: 'renew-eng' });
    assert.equal(await readStatus(member.client_token, 'late/x'), 200);

    renewalGroups.set('renewer', ['other']);
    expectStatus(await callerFor(server, member.client_token)('POST', 'auth/token/renew-self', {}), 200, 'renew');
    assert.equal(await readStatus(member.client_token, 'late/x'), 403, 'removed from the group at renewal');
    assert.deepEqual((await call('GET', `identity/group/id/${group.body.data.id}`)).body.data.member_entity_ids, []);

    renewalGroups.set('renewer', ['renew-eng']);
    expectStatus(await callerFor(server, member.client_token)('POST', 'auth/token/renew-self', {}), 200, 'renew');
    assert.equal(await readStatus(member.client_token, 'late/x'), 200, 'added back at renewal');
  });

  test('login refreshes alias metadata', async () => {
    const first = await login('test-a', { username: 'traveller', region: 'eu' });
    await login('test-a', { username: 'traveller', region: 'us' });
    const entity = (await call('GET', `identity/entity/id/${first.entity_id}`)).body.data;
    assert.deepEqual(entity.aliases[0].metadata, { region: 'us' });
    assert.equal(entity.aliases[0].mount_path, 'auth/test-a/');
    assert.equal(entity.aliases[0].mount_type, TEST_AUTH_TYPE);
  });

  test('userpass login joins existing entity', async () => {
    const accessor = await enableAuth(call, 'userpass', 'userpass');
    expectStatus(await call('POST', 'auth/userpass/users/carol', { password: 'correct horse', token_policies: 'login-test-b' }), 204, 'user');
    const entityId = await createEntity(call, { name: 'carol', policies: ['shared-read'] });
    expectStatus(await call('POST', 'identity/entity-alias', { name: 'carol', mount_accessor: accessor, canonical_id: entityId }), 200, 'alias');

    const response = await call('POST', 'auth/userpass/login/carol', { password: 'correct horse' });
    expectStatus(response, 200, 'userpass login');
    assert.equal(response.body.auth.entity_id, entityId);
    assert.deepEqual(response.body.auth.identity_policies, ['shared-read']);
    const token = response.body.auth.client_token;
    assert.equal(await readStatus(token, 'shared/x'), 200);
    assert.equal(await readStatus(token, 'b/x'), 200);
    assert.equal(await readStatus(token, 'carol/x'), 403);
  });
});
