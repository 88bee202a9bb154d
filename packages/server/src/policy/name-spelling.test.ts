import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';
const ADMIN_POLICY = 'path "secret/*" {\n  capabilities = ["read"]\n}\n';
const TAKEOVER_POLICY = 'path "*" {\n  capabilities = ["create", "read", "update", "delete", "list", "sudo"]\n}\n';

// A delegated manager of policies and token roles, kept away from "admin".
const MANAGER_POLICY = `
path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "sys/policies/acl/admin" { capabilities = ["deny"] }
path "sys/policy/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "sys/policy/admin" { capabilities = ["deny"] }
path "auth/token/roles/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "auth/token/roles/admin" { capabilities = ["deny"] }
path "auth/token/create/*" { capabilities = ["update"] }
path "auth/token/create/admin" { capabilities = ["deny"] }
`;

describe('acl on case-folded names', () => {
  let server: RunningServer;
  let manager: string;

  before(async () => {
    server = await startDevServer(ROOT);
    for (const [name, policy] of [['admin', ADMIN_POLICY], ['manager', MANAGER_POLICY]]) {
      assert.equal((await api(server, 'PUT', `sys/policies/acl/${name}`, { token: ROOT, body: { policy } })).status, 204);
    }
    const role = await api(server, 'POST', 'auth/token/roles/admin', { token: ROOT, body: { allowed_policies: ['admin'] } });
    assert.equal(role.status, 204);
    const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['manager'] } });
    assert.equal(created.status, 200);
    manager = created.body.auth.client_token;
  });
  after(() => server.close());

  const spellings = ['ADMIN', 'Admin', '%20admin', 'admin%20', 'admin%C2%A0'];

  for (const prefix of ['sys/policies/acl', 'sys/policy']) {
    test(`${prefix} denies other spellings`, async () => {
      for (const spelling of spellings) {
        for (const [method, body] of [['PUT', { policy: TAKEOVER_POLICY }], ['GET', undefined], ['DELETE', undefined]] as const) {
          const response = await api(server, method, `${prefix}/${spelling}`, { token: manager, ...(body !== undefined ? { body } : {}) });
          assert.equal(response.status, 403, `${method} ${prefix}/${spelling}`);
          assert.deepEqual(response.body, { errors: ['permission denied'] });
        }
      }
      const stored = await api(server, 'GET', 'sys/policies/acl/admin', { token: ROOT });
      assert.equal(stored.status, 200);
      assert.equal(stored.body.data.policy, ADMIN_POLICY);
    });
  }

  test('other names keep their lower-casing', async () => {
    const written = await api(server, 'PUT', 'sys/policies/acl/Team-A', { token: manager, body: { policy: ADMIN_POLICY } });
    assert.equal(written.status, 200);
    assert.deepEqual(written.body.warnings, ['policy name "Team-A" was lower-cased to "team-a"']);
    const read = await api(server, 'GET', 'sys/policy/TEAM-A', { token: manager });
    assert.equal(read.status, 200);
    assert.equal(read.body.data.name, 'team-a');
  });

  test('token role paths deny other spellings', async () => {
    for (const [method, path, body] of [
      ['POST', 'auth/token/roles/ADMIN', { allowed_policies: ['admin', 'manager'] }],
      ['GET', 'auth/token/roles/Admin', undefined],
      ['DELETE', 'auth/token/roles/ADMIN', undefined],
      ['POST', 'auth/token/create/ADMIN', {}],
    ] as const) {
      const response = await api(server, method, path, { token: manager, ...(body !== undefined ? { body } : {}) });
      assert.equal(response.status, 403, `${method} ${path}`);
      assert.deepEqual(response.body, { errors: ['permission denied'] });
    }
    const role = await api(server, 'GET', 'auth/token/roles/admin', { token: ROOT });
    assert.equal(role.status, 200);
    assert.deepEqual(role.body.data.allowed_policies, ['admin']);
  });
});
