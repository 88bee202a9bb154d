import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer, startServerIn } from '../testing/api-client.js';

const TOKEN = 'root-test-token';
/** The dev server's default and max lease TTL: 768 hours. */
const SERVER_TTL = 2764800;

describe('sys/auth/token/tune', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(TOKEN);
  });
  after(() => server.close());

  test('tuned ttls apply to new tokens', async () => {
    const tuned = await api(server, 'POST', 'sys/auth/token/tune', { token: TOKEN, body: { default_lease_ttl: '1h', max_lease_ttl: '2h' } });
    assert.equal(tuned.status, 204);

    const plain = await api(server, 'POST', 'auth/token/create', { token: TOKEN, body: { policies: ['default'] } });
    assert.equal(plain.status, 200);
    assert.equal(plain.body.auth.lease_duration, 3600);
    const long = await api(server, 'POST', 'auth/token/create', { token: TOKEN, body: { policies: ['default'], ttl: '5h' } });
    assert.equal(long.status, 200);
    assert.equal(long.body.auth.lease_duration, 7200);

    const read = await api(server, 'GET', 'sys/auth/token/tune', { token: TOKEN });
    assert.equal(read.status, 200);
    assert.equal(read.body.data.default_lease_ttl, 3600);
    assert.equal(read.body.data.max_lease_ttl, 7200);
    assert.equal(read.body.data.token_type, 'default-service');

    const reset = await api(server, 'POST', 'sys/auth/token/tune', { token: TOKEN, body: { default_lease_ttl: 'system', max_lease_ttl: 'system' } });
    assert.equal(reset.status, 204);
    const after = await api(server, 'POST', 'auth/token/create', { token: TOKEN, body: { policies: ['default'] } });
    assert.equal(after.body.auth.lease_duration, SERVER_TTL);
  });

  test('other settings show in listings', async () => {
    const body = {
      description: 'tokens for everyone',
      listing_visibility: 'unauth',
      audit_non_hmac_request_keys: ['display_name'],
      audit_non_hmac_response_keys: 'policies,ttl',
      passthrough_request_headers: ['X-Trace'],
      allowed_response_headers: ['X-Reply'],
    };
    const tuned = await api(server, 'POST', 'sys/mounts/auth/token/tune', { token: TOKEN, body });
    assert.equal(tuned.status, 204);

    const read = await api(server, 'GET', 'sys/auth/token/tune', { token: TOKEN });
    assert.equal(read.body.data.description, 'tokens for everyone');
    assert.equal(read.body.data.listing_visibility, 'unauth');
    assert.deepEqual(read.body.data.audit_non_hmac_request_keys, ['display_name']);
    assert.deepEqual(read.body.data.audit_non_hmac_response_keys, ['policies', 'ttl']);
    assert.deepEqual(read.body.data.passthrough_request_headers, ['X-Trace']);
    assert.deepEqual(read.body.data.allowed_response_headers, ['X-Reply']);
    const viaMounts = await api(server, 'GET', 'sys/mounts/auth/token/tune', { token: TOKEN });
    assert.equal(viaMounts.status, 200);
    assert.deepEqual(viaMounts.body.data, read.body.data);

    const listed = await api(server, 'GET', 'sys/auth', { token: TOKEN });
    const mount = listed.body.data['token/'];
    assert.equal(mount.type, 'token');
    assert.equal(mount.description, 'tokens for everyone');
    assert.equal(mount.config.listing_visibility, 'unauth');
    assert.deepEqual(mount.config.passthrough_request_headers, ['X-Trace']);
    const single = await api(server, 'GET', 'sys/auth/token', { token: TOKEN });
    assert.equal(single.body.data.description, 'tokens for everyone');

    const open = await api(server, 'GET', 'sys/internal/ui/mounts');
    assert.deepEqual(open.body.data.auth, { 'token/': { type: 'token', description: 'tokens for everyone', options: null } });
  });

  test('token_type rejected on token mount', async () => {
    const response = await api(server, 'POST', 'sys/auth/token/tune', { token: TOKEN, body: { token_type: 'batch', description: 'changed' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid "token_type": it cannot be set on the token auth method mount']);
    const read = await api(server, 'GET', 'sys/auth/token/tune', { token: TOKEN });
    assert.notEqual(read.body.data.description, 'changed');
  });

  test('bad input leaves settings unchanged', async () => {
    const before = await api(server, 'GET', 'sys/auth/token/tune', { token: TOKEN });
    const cases: [Record<string, unknown>, string][] = [
      [{ default_lease_ttl: 'soon' }, 'invalid "config.default_lease_ttl" "soon": expected a duration such as "768h"'],
      [{ listing_visibility: 'public', description: 'changed' }, 'invalid "config.listing_visibility" "public": must be "hidden" or "unauth"'],
      [{ default_lease_ttl: '3h', max_lease_ttl: '1h' }, 'default lease TTL of 10800s would exceed the max lease TTL of 3600s: lower "default_lease_ttl" or raise "max_lease_ttl"'],
      [{ options: { version: '2' } }, 'invalid "options": the token auth method mount takes no options'],
    ];
    for (const [body, message] of cases) {
      const response = await api(server, 'POST', 'sys/auth/token/tune', { token: TOKEN, body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.deepEqual(response.body.errors, [message]);
    }
    const after = await api(server, 'GET', 'sys/auth/token/tune', { token: TOKEN });
    assert.deepEqual(after.body.data, before.body.data);
  });

  test('disable and move still rejected', async () => {
    const disabled = await api(server, 'DELETE', 'sys/auth/token', { token: TOKEN });
    assert.equal(disabled.status, 400);
    assert.deepEqual(disabled.body.errors, ['cannot unmount "token/": it is a system mount']);
    const moved = await api(server, 'POST', 'sys/remount', { token: TOKEN, body: { from: 'auth/token', to: 'auth/tokens' } });
    assert.equal(moved.status, 400);
    assert.deepEqual(moved.body.errors, ['no mount at "token/"']);
    const created = await api(server, 'POST', 'auth/token/create', { token: TOKEN, body: { policies: ['default'] } });
    assert.equal(created.status, 200);
  });

  test('non-hmac keys reach the audit log', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'coffer-token-audit-'));
    try {
      const logPath = join(directory, 'audit.log');
      assert.equal((await api(server, 'PUT', 'sys/audit/token-file', { token: TOKEN, body: { type: 'file', options: { file_path: logPath } } })).status, 204);
      const tuned = await api(server, 'POST', 'sys/auth/token/tune', { token: TOKEN, body: { audit_non_hmac_request_keys: ['display_name'] } });
      assert.equal(tuned.status, 204);

      const created = await api(server, 'POST', 'auth/token/create', { token: TOKEN, body: { policies: ['default'], display_name: 'audited-name', meta: { team: 'hidden-team' } } });
      assert.equal(created.status, 200);
      assert.equal((await api(server, 'DELETE', 'sys/audit/token-file', { token: TOKEN })).status, 204);

      const entries = (await readFile(logPath, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
      const request = entries.find((entry) => entry.type === 'request' && entry.request.path === 'auth/token/create' && entry.request.data?.display_name !== undefined);
      assert.notEqual(request, undefined);
      assert.equal(request.request.data.display_name, 'audited-name');
      assert.match(request.request.data.meta.team, /^hmac-sha256:/);
      assert.equal(request.request.mount_accessor, 'auth_token');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('token mount tune persistence', () => {
  test('settings survive restart', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'coffer-token-tune-'));
    const storage = 'storage "sqlite" {\n  path = "$DIR/coffer.db"\n}';
    try {
      let server = await startServerIn(directory, storage);
      const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      assert.equal(init.status, 200);
      const key = init.body.keys[0];
      const root = init.body.root_token;
      assert.equal((await api(server, 'PUT', 'sys/unseal', { body: { key } })).status, 200);
      const tuned = await api(server, 'POST', 'sys/auth/token/tune', { token: root, body: { default_lease_ttl: '30m', description: 'kept' } });
      assert.equal(tuned.status, 204);
      await server.close();

      server = await startServerIn(directory, storage);
      try {
        assert.equal((await api(server, 'PUT', 'sys/unseal', { body: { key } })).status, 200);
        const read = await api(server, 'GET', 'sys/auth/token/tune', { token: root });
        assert.equal(read.status, 200);
        assert.equal(read.body.data.default_lease_ttl, 1800);
        assert.equal(read.body.data.description, 'kept');
        const created = await api(server, 'POST', 'auth/token/create', { token: root, body: { policies: ['default'] } });
        assert.equal(created.body.auth.lease_duration, 1800);
      } finally {
        await server.close();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
