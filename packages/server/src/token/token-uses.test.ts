import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';
const READ_POLICY = 'path "secret/data/uses/*" {\n  capabilities = ["read"]\n}\n';

describe('num_uses under concurrent requests', () => {
  let server: RunningServer;
  let directory: string;

  before(async () => {
    server = await startDevServer(ROOT);
    directory = await mkdtemp(join(tmpdir(), 'coffer-token-uses-'));
    // The audit device's sync runs between the ACL check and the token's
    // use, so parallel requests overlap there.
    const audit = await api(server, 'PUT', 'sys/audit/file', { token: ROOT, body: { type: 'file', options: { file_path: join(directory, 'audit.log') } } });
    assert.equal(audit.status, 204, JSON.stringify(audit.body));
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/uses', { token: ROOT, body: { policy: READ_POLICY } })).status, 204);
    assert.equal((await api(server, 'POST', 'secret/data/uses/one', { token: ROOT, body: { data: { value: 'v1' } } })).status, 200);
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  for (const uses of [1, 3]) {
    test(`num_uses ${uses} serves ${uses} parallel requests`, async () => {
      const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['uses'], num_uses: uses } });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const token = created.body.auth.client_token as string;

      const responses = await Promise.all(Array.from({ length: 20 }, () => api(server, 'GET', 'secret/data/uses/one', { token })));
      const allowed = responses.filter((response) => response.status === 200);
      const denied = responses.filter((response) => response.status === 403);
      assert.equal(allowed.length, uses);
      assert.equal(denied.length, 20 - uses);
      for (const response of denied) assert.deepEqual(response.body, { errors: ['permission denied'] });

      const lookup = await api(server, 'POST', 'auth/token/lookup-accessor', { token: ROOT, body: { accessor: created.body.auth.accessor } });
      assert.equal(lookup.status, 400, 'the token is revoked after its last use');
    });
  }
});
