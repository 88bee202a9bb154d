import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';
const ALL_BUT_SUDO = '["create", "read", "update", "delete", "list"]';

/** Creates a token whose only policy grants `capabilities` on every `sys/leases` path. */
async function leaseOperator(server: RunningServer, name: string, capabilities: string): Promise<string> {
  const policy = `path "sys/leases" { capabilities = ${capabilities} }\npath "sys/leases/*" { capabilities = ${capabilities} }\npath "sys/revoke-prefix/*" { capabilities = ${capabilities} }\npath "sys/revoke-force/*" { capabilities = ${capabilities} }`;
  assert.equal((await api(server, 'PUT', `sys/policies/acl/${name}`, { token: ROOT, body: { policy } })).status, 204);
  const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: [name] } });
  return created.body.auth.client_token;
}

describe('sys/leases sudo', () => {
  let server: RunningServer;
  let plain: string;
  let sudo: string;
  before(async () => {
    server = await startDevServer(ROOT);
    plain = await leaseOperator(server, 'lease-plain', ALL_BUT_SUDO);
    sudo = await leaseOperator(server, 'lease-sudo', '["create", "read", "update", "delete", "list", "sudo"]');
  });
  after(() => server.close());

  test('sudo paths reject tokens without sudo', async () => {
    const requests: [string, string][] = [
      ['GET', 'sys/leases?type=irrevocable'],
      ['GET', 'sys/leases/?type=irrevocable'],
      ['LIST', 'sys/leases/lookup/auth/'],
      ['PUT', 'sys/leases/revoke-prefix/auth/token/create/'],
      ['PUT', 'sys/leases/revoke-force/auth/token/create/'],
      ['PUT', 'sys/revoke-prefix/auth/token/create/'],
      ['PUT', 'sys/revoke-force/auth/token/create/'],
    ];
    for (const [method, path] of requests) {
      const denied = await api(server, method, path, { token: plain });
      assert.equal(denied.status, 403, `${method} ${path}`);
      assert.deepEqual(denied.body.errors, ['permission denied'], `${method} ${path}`);
    }
    // The rejected revocations left both tokens' leases in place.
    const listed = await api(server, 'LIST', 'sys/leases/lookup/auth/token/create/', { token: sudo });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.data.keys.length, 2);
  });

  test('irrevocable list works with sudo', async () => {
    const response = await api(server, 'GET', 'sys/leases?type=irrevocable', { token: sudo });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, { lease_count: 0, leases: [] });
  });

  test('lookup and renew need no sudo', async () => {
    const lookup = await api(server, 'PUT', 'sys/leases/lookup', { token: plain, body: { lease_id: 'auth/token/create/nope' } });
    assert.equal(lookup.status, 400);
    assert.deepEqual(lookup.body.errors, ['invalid lease']);
    const renew = await api(server, 'PUT', 'sys/leases/renew', { token: plain, body: { lease_id: 'kv/nope' } });
    assert.equal(renew.status, 400);
    assert.deepEqual(renew.body.errors, ['lease not found']);
  });
});
