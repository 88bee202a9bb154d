import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';

const APP_POLICY = `
path "secret/data/app/*" {
  capabilities = ["read"]
}
path "secret/metadata/app/*" {
  capabilities = ["list"]
}
path "auth/token/create" {
  capabilities = ["update"]
}
`;

async function createToken(server: RunningServer, body: Record<string, unknown>, token = ROOT) {
  const response = await api(server, 'POST', 'auth/token/create', { token, body });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.auth as { client_token: string; accessor: string; policies: string[]; lease_duration: number; renewable: boolean };
}

describe('token store over HTTP', () => {
  let server: RunningServer;

  before(async () => {
    server = await startDevServer(ROOT);
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/app', { token: ROOT, body: { policy: APP_POLICY } })).status, 204);
    await api(server, 'POST', 'secret/data/app/config', { token: ROOT, body: { data: { password: 'p1' } } });
    await api(server, 'POST', 'secret/data/other/config', { token: ROOT, body: { data: { password: 'p2' } } });
  });
  after(() => server.close());

  test('narrow policy allows exactly what it grants', async () => {
    const auth = await createToken(server, { policies: ['app'], ttl: '1h' });
    assert.deepEqual(auth.policies, ['app', 'default']);
    assert.equal(auth.lease_duration, 3600);
    assert.match(auth.client_token, /^hvs\./);

    const read = await api(server, 'GET', 'secret/data/app/config', { token: auth.client_token });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data.data, { password: 'p1' });

    const list = await api(server, 'LIST', 'secret/metadata/app/', { token: auth.client_token });
    assert.equal(list.status, 200);

    for (const [method, path, body] of [
      ['POST', 'secret/data/app/config', { data: { password: 'x' } }],
      ['GET', 'secret/data/other/config', undefined],
      ['DELETE', 'secret/data/app/config', undefined],
      ['GET', 'sys/mounts', undefined],
    ] as const) {
      const denied = await api(server, method, path, { token: auth.client_token, ...(body !== undefined ? { body } : {}) });
      assert.equal(denied.status, 403, `${method} ${path}`);
      assert.deepEqual(denied.body, { errors: ['permission denied'] });
    }
    const unchanged = await api(server, 'GET', 'secret/data/app/config', { token: ROOT });
    assert.deepEqual(unchanged.body.data.data, { password: 'p1' });
  });

  test('child policies must be a subset of the parent', async () => {
    const parent = await createToken(server, { policies: ['app'] });
    const response = await api(server, 'POST', 'auth/token/create', { token: parent.client_token, body: { policies: ['admin'] } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ["child policies must be subset of parent: admin not in the parent's policies"]);
    const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['app'], no_parent: true } });
    assert.equal(created.status, 200);
  });

  test('lookup-self, lookup and lookup-accessor', async () => {
    const auth = await createToken(server, { policies: ['app'], meta: { team: 'web' }, display_name: 'Web App' });
    const self = await api(server, 'GET', 'auth/token/lookup-self', { token: auth.client_token });
    assert.equal(self.status, 200);
    assert.equal(self.body.data.id, auth.client_token);
    assert.equal(self.body.data.display_name, 'token-web-app');
    assert.deepEqual(self.body.data.meta, { team: 'web' });
    assert.equal(self.body.data.orphan, false);
    assert.equal(self.body.data.path, 'auth/token/create');

    const byAccessor = await api(server, 'POST', 'auth/token/lookup-accessor', { token: ROOT, body: { accessor: auth.accessor } });
    assert.equal(byAccessor.body.data.id, '');
    assert.equal(byAccessor.body.data.accessor, auth.accessor);

    const missing = await api(server, 'POST', 'auth/token/lookup', { token: ROOT, body: { token: 'hvs.nope' } });
    assert.equal(missing.status, 403);
    assert.deepEqual(missing.body.errors, ['bad token']);
  });

  test('revoking a parent revokes children but not orphans', async () => {
    const parent = await createToken(server, { policies: ['app'] });
    const child = await createToken(server, {}, parent.client_token);
    const orphan = await createToken(server, { policies: ['app'] }, ROOT);
    const grandchild = await createToken(server, {}, child.client_token);

    assert.equal((await api(server, 'POST', 'auth/token/revoke', { token: ROOT, body: { token: parent.client_token } })).status, 204);
    for (const gone of [parent, child, grandchild]) {
      assert.equal((await api(server, 'GET', 'auth/token/lookup-self', { token: gone.client_token })).status, 403);
    }
    assert.equal((await api(server, 'GET', 'auth/token/lookup-self', { token: orphan.client_token })).status, 200);
  });

  test('revoke-orphan keeps the children', async () => {
    const parent = await createToken(server, { policies: ['app'] });
    const child = await createToken(server, {}, parent.client_token);
    const response = await api(server, 'POST', 'auth/token/revoke-orphan', { token: ROOT, body: { token: parent.client_token } });
    assert.equal(response.status, 204);
    const lookup = await api(server, 'GET', 'auth/token/lookup-self', { token: child.client_token });
    assert.equal(lookup.status, 200);
    assert.equal(lookup.body.data.orphan, true);
  });

  test('token with num_uses is revoked after its last use', async () => {
    const auth = await createToken(server, { policies: ['app'], num_uses: 2 });
    assert.equal((await api(server, 'GET', 'secret/data/app/config', { token: auth.client_token })).status, 200);
    assert.equal((await api(server, 'GET', 'secret/data/app/config', { token: auth.client_token })).status, 200);
    assert.equal((await api(server, 'GET', 'secret/data/app/config', { token: auth.client_token })).status, 403);
    const lookup = await api(server, 'POST', 'auth/token/lookup-accessor', { token: ROOT, body: { accessor: auth.accessor } });
    assert.equal(lookup.status, 400);
  });

  test('explicit max TTL caps creation and renewal', async () => {
    const auth = await createToken(server, { policies: ['app'], ttl: '2h', explicit_max_ttl: '1h' });
    assert.equal(auth.lease_duration, 3600);
    const renewed = await api(server, 'POST', 'auth/token/renew-self', { token: auth.client_token, body: { increment: '5h' } });
    assert.equal(renewed.status, 200);
    assert.ok(renewed.body.auth.lease_duration <= 3600);
    assert.match(renewed.body.warnings[0], /capped/);
  });

  test('periodic token renews to its period', async () => {
    const auth = await createToken(server, { policies: ['app'], period: '30m', ttl: '1h' });
    assert.equal(auth.lease_duration, 1800);
    const renewed = await api(server, 'POST', 'auth/token/renew', { token: ROOT, body: { token: auth.client_token, increment: '5h' } });
    assert.equal(renewed.body.auth.lease_duration, 1800);
    const self = await api(server, 'GET', 'auth/token/lookup-self', { token: auth.client_token });
    assert.equal(self.body.data.period, 1800);
  });

  test('non-renewable token refuses renewal', async () => {
    const auth = await createToken(server, { policies: ['app'], renewable: false });
    const response = await api(server, 'POST', 'auth/token/renew-self', { token: auth.client_token });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['lease is not renewable']);
  });

  test('create rejects bad input and creates nothing', async () => {
    const before = await api(server, 'LIST', 'auth/token/accessors', { token: ROOT });
    for (const [body, message] of [
      [{ num_uses: -1 }, 'invalid "num_uses" -1: it cannot be negative'],
      [{ ttl: 'soon' }, 'invalid field "ttl": expected a duration such as 30, "30s", "90m" or "1h", got "soon"'],
      [{ type: 'weird' }, 'invalid "type" "weird": must be "service" or "batch"'],
      [{ colour: 'blue' }, 'unknown field "colour"'],
    ] as const) {
      const response = await api(server, 'POST', 'auth/token/create', { token: ROOT, body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.deepEqual(response.body.errors, [message]);
    }
    const afterwards = await api(server, 'LIST', 'auth/token/accessors', { token: ROOT });
    assert.deepEqual(afterwards.body.data.keys, before.body.data.keys);
  });

  test('display name is cleaned in linear time', async () => {
    const dashes = '-'.repeat(200_000);
    const started = performance.now();
    const auth = await createToken(server, { policies: ['app'], display_name: `--Team ${dashes}App!--` });
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2000, `took ${Math.round(elapsed)} ms`);

    const lookup = await api(server, 'GET', 'auth/token/lookup-self', { token: auth.client_token });
    assert.equal(lookup.status, 200);
    assert.equal(lookup.body.data.display_name, `token-team-${dashes}app`);
  });

  test('roles restrict policies and set the path', async () => {
    const role = await api(server, 'POST', 'auth/token/roles/web', {
      token: ROOT,
      body: { allowed_policies: ['app'], orphan: true, token_period: '1h', path_suffix: 'v1' },
    });
    assert.equal(role.status, 204);
    const read = await api(server, 'GET', 'auth/token/roles/web', { token: ROOT });
    assert.deepEqual(read.body.data.allowed_policies, ['app']);
    assert.equal(read.body.data.token_period, 3600);

    const created = await api(server, 'POST', 'auth/token/create/web', { token: ROOT, body: {} });
    assert.equal(created.status, 200);
    assert.deepEqual(created.body.auth.policies, ['app', 'default']);
    assert.equal(created.body.auth.orphan, true);
    const self = await api(server, 'GET', 'auth/token/lookup-self', { token: created.body.auth.client_token });
    assert.equal(self.body.data.path, 'auth/token/create/web/v1');
    assert.equal(self.body.data.role, 'web');

    const rejected = await api(server, 'POST', 'auth/token/create/web', { token: ROOT, body: { policies: ['admin'] } });
    assert.equal(rejected.status, 400);
    assert.deepEqual(rejected.body.errors, ['token policies (admin) are not allowed by the role "web"']);

    const listed = await api(server, 'LIST', 'auth/token/roles', { token: ROOT });
    assert.deepEqual(listed.body.data.keys, ['web']);
  });

  test('role TTL past Go maximum rejected', async () => {
    const path = 'auth/token/roles/bounded';
    assert.equal((await api(server, 'POST', path, { token: ROOT, body: { token_explicit_max_ttl: '2h', token_period: '1h' } })).status, 204);
    const before = (await api(server, 'GET', path, { token: ROOT })).body.data;
    assert.equal(before.token_explicit_max_ttl, 7200);

    const tooLong = (field: string, shown: string) =>
      `invalid field "${field}": ${shown} is longer than the maximum of 2562047h47m16s: use a shorter duration`;
    const cases: Array<[string, string]> = [
      ['{"token_explicit_max_ttl": "2562047h47m17s"}', tooLong('token_explicit_max_ttl', '"2562047h47m17s"')],
      ['{"token_explicit_max_ttl": "99999999999999999h"}', tooLong('token_explicit_max_ttl', '"99999999999999999h"')],
      ['{"token_explicit_max_ttl": 1e300}', tooLong('token_explicit_max_ttl', '1e+300')],
      ['{"token_period": 99999999999999999999}', tooLong('token_period', '99999999999999999999')],
      ['{"token_period": "9223372037", "token_explicit_max_ttl": "3h"}', tooLong('token_period', '"9223372037"')],
    ];
    for (const [body, message] of cases) {
      const response = await api(server, 'POST', path, { token: ROOT, body });
      assert.equal(response.status, 400, body);
      assert.deepEqual(response.body.errors, [message], body);
    }
    assert.deepEqual((await api(server, 'GET', path, { token: ROOT })).body.data, before);

    // The longest Go duration itself is accepted.
    assert.equal((await api(server, 'POST', path, { token: ROOT, body: { token_explicit_max_ttl: '2562047h47m16s' } })).status, 204);
    assert.equal((await api(server, 'GET', path, { token: ROOT })).body.data.token_explicit_max_ttl, 9223372036);
    assert.equal((await api(server, 'DELETE', path, { token: ROOT })).status, 204);
  });

  test('batch tokens work without storage', async () => {
    const auth = await createToken(server, { policies: ['app'], type: 'batch', ttl: '10m' });
    assert.match(auth.client_token, /^hvb\./);
    assert.equal(auth.accessor, '');
    assert.equal(auth.renewable, false);
    assert.equal((await api(server, 'GET', 'secret/data/app/config', { token: auth.client_token })).status, 200);
    const self = await api(server, 'GET', 'auth/token/lookup-self', { token: auth.client_token });
    assert.equal(self.body.data.type, 'batch');
    const tampered = `${auth.client_token.slice(0, -2)}AA`;
    assert.equal((await api(server, 'GET', 'secret/data/app/config', { token: tampered })).status, 403);
  });

  test('accessors list needs sudo', async () => {
    const auth = await createToken(server, { policies: ['app'] });
    assert.equal((await api(server, 'LIST', 'auth/token/accessors', { token: auth.client_token })).status, 403);
    const listed = await api(server, 'LIST', 'auth/token/accessors', { token: ROOT });
    assert.ok(listed.body.data.keys.includes(auth.accessor));
  });
});

describe('response wrapping and cubbyhole', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(ROOT);
    await api(server, 'POST', 'secret/data/wrapped', { token: ROOT, body: { data: { answer: '42' } } });
  });
  after(() => server.close());

  test('wrapped read unwraps once', async () => {
    const wrapped = await api(server, 'GET', 'secret/data/wrapped', { token: ROOT, headers: { 'X-Vault-Wrap-TTL': '5m' } });
    assert.equal(wrapped.status, 200);
    assert.equal(wrapped.body.data, null);
    const info = wrapped.body.wrap_info;
    assert.equal(info.ttl, 300);
    assert.equal(info.creation_path, 'secret/data/wrapped');
    assert.match(info.creation_time, /^\d{4}-/);

    const lookup = await api(server, 'POST', 'sys/wrapping/lookup', { body: { token: info.token } });
    assert.equal(lookup.status, 200);
    assert.equal(lookup.body.data.creation_path, 'secret/data/wrapped');

    const unwrapped = await api(server, 'POST', 'sys/wrapping/unwrap', { token: info.token });
    assert.equal(unwrapped.status, 200);
    assert.deepEqual(unwrapped.body.data.data, { answer: '42' });

    const again = await api(server, 'POST', 'sys/wrapping/unwrap', { token: ROOT, body: { token: info.token } });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body.errors, ['wrapping token is not valid or does not exist']);
  });

  test('wrapping token reaches nothing but the wrapping endpoints', async () => {
    const wrapped = await api(server, 'POST', 'sys/wrapping/wrap', { token: ROOT, body: { secret: 'value' } });
    assert.equal(wrapped.body.wrap_info.ttl, 300);
    const denied = await api(server, 'GET', 'secret/data/wrapped', { token: wrapped.body.wrap_info.token });
    assert.equal(denied.status, 403);
  });

  test('rewrap issues a new token for the same data', async () => {
    const wrapped = await api(server, 'POST', 'sys/wrapping/wrap', { token: ROOT, body: { k: 'v' }, headers: { 'X-Vault-Wrap-TTL': '60' } });
    const rewrapped = await api(server, 'POST', 'sys/wrapping/rewrap', { token: ROOT, body: { token: wrapped.body.wrap_info.token } });
    assert.equal(rewrapped.status, 200);
    assert.notEqual(rewrapped.body.wrap_info.token, wrapped.body.wrap_info.token);
    const unwrapped = await api(server, 'POST', 'sys/wrapping/unwrap', { token: ROOT, body: { token: rewrapped.body.wrap_info.token } });
    assert.deepEqual(unwrapped.body.data, { k: 'v' });
  });

  test('bad wrap TTL header is rejected', async () => {
    const response = await api(server, 'GET', 'secret/data/wrapped', { token: ROOT, headers: { 'X-Vault-Wrap-TTL': 'later' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['invalid X-Vault-Wrap-TTL header "later": use a positive duration such as "5m"']);
  });

  test('cubbyhole is private to each token and dies with it', async () => {
    const first = (await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } })).body.auth.client_token;
    const second = (await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } })).body.auth.client_token;

    assert.equal((await api(server, 'POST', 'cubbyhole/note', { token: first, body: { text: 'mine' } })).status, 204);
    const read = await api(server, 'GET', 'cubbyhole/note', { token: first });
    assert.deepEqual(read.body.data, { text: 'mine' });
    assert.equal((await api(server, 'GET', 'cubbyhole/note', { token: second })).status, 404);
    const listed = await api(server, 'LIST', 'cubbyhole/', { token: first });
    assert.deepEqual(listed.body.data.keys, ['note']);

    const folders = (await server.core.barrier.list('cubbyhole/')).length;
    assert.equal((await api(server, 'POST', 'auth/token/revoke-self', { token: first })).status, 204);
    assert.equal((await server.core.barrier.list('cubbyhole/')).length, folders - 1);
  });
});

describe('token policy inheritance', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(ROOT);
    await api(server, 'PUT', 'sys/policies/acl/maker', { token: ROOT, body: { policy: 'path "auth/token/create" { capabilities = ["update"] }' } });
  });
  after(() => server.close());

  test('parent without default cannot give it to a child', async () => {
    const parent = await createToken(server, { policies: ['maker'], no_default_policy: true });
    assert.deepEqual(parent.policies, ['maker']);
    const child = await createToken(server, { policies: ['maker'] }, parent.client_token);
    assert.deepEqual(child.policies, ['maker']);
    const inherited = await createToken(server, {}, parent.client_token);
    assert.deepEqual(inherited.policies, ['maker']);
    const explicit = await api(server, 'POST', 'auth/token/create', { token: parent.client_token, body: { policies: ['default'] } });
    assert.equal(explicit.status, 400);
    assert.deepEqual(explicit.body.errors, ["child policies must be subset of parent: default not in the parent's policies"]);
  });

  test('child keeps bound CIDRs of parent', async () => {
    const role = await api(server, 'POST', 'auth/token/roles/loopback', { token: ROOT, body: { allowed_policies: ['maker'], token_bound_cidrs: ['127.0.0.1/32'] } });
    assert.equal(role.status, 204);
    const parent = await api(server, 'POST', 'auth/token/create/loopback', { token: ROOT, body: { policies: ['maker'] } });
    assert.equal(parent.status, 200);
    const child = await createToken(server, {}, parent.body.auth.client_token);

    const lookup = await api(server, 'POST', 'auth/token/lookup', { token: ROOT, body: { token: child.client_token } });
    assert.equal(lookup.status, 200);
    assert.deepEqual(lookup.body.data.bound_cidrs, ['127.0.0.1/32']);
  });

  test('response-wrapping policy cannot be assigned', async () => {
    const response = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['response-wrapping'] } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors, ['cannot assign policy "response-wrapping": it is reserved for wrapping tokens']);
  });

  test('create-only cubbyhole policy cannot overwrite', async () => {
    await api(server, 'PUT', 'sys/policies/acl/cubby-create', { token: ROOT, body: { policy: 'path "cubbyhole/*" { capabilities = ["create", "read"] }' } });
    const token = (await createToken(server, { policies: ['cubby-create'], no_default_policy: true })).client_token;
    assert.equal((await api(server, 'PUT', 'cubbyhole/k', { token, body: { v: 'first' } })).status, 204);
    const overwrite = await api(server, 'PUT', 'cubbyhole/k', { token, body: { v: 'second' } });
    assert.equal(overwrite.status, 403);
    assert.deepEqual((await api(server, 'GET', 'cubbyhole/k', { token })).body.data, { v: 'first' });
    const traversal = await api(server, 'PUT', 'cubbyhole/..%2F..%2Fcore%2Fmounts', { token, body: { v: 'x' } });
    assert.equal(traversal.status, 400);
  });
});
