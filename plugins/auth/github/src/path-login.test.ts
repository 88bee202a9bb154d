import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { INVALID_CREDENTIALS_CODE, isCofferError } from '@coffer/sdk';
import { NOT_A_MEMBER, NOT_CONFIGURED } from './path-login.js';
import { startGitHubStandIn, type GitHubStandIn } from './testing/github-api.js';
import { ACME_ID, assertRejectedUnchanged, assertRejects, authOf, createHarness, gitHubState, renewing, TOKENS, type Harness } from './test-support.js';

describe('login', () => {
  let github: GitHubStandIn;
  let harness: Harness;
  let logLines: string[];

  before(async () => {
    github = await startGitHubStandIn(gitHubState());
  });

  after(async () => {
    await github?.stop();
  });

  beforeEach(async () => {
    Object.assign(github.state, gitHubState());
    logLines = [];
    harness = createHarness(logLines);
    await harness.send('update', 'config', { organization: 'acme', base_url: github.baseUrl, token_policies: 'github-base', token_ttl: '20m', token_max_ttl: '1h' });
    await harness.send('update', 'map/teams/developers', { value: 'dev' });
    await harness.send('update', 'map/users/alice', { value: 'alice-own' });
    github.requests.length = 0;
  });

  test('returns policies, metadata and aliases', async () => {
    const response = await harness.send('update', 'login', { token: TOKENS.alice });

    const auth = authOf(response);
    assert.deepEqual(auth.policies, ['github-base', 'dev', 'alice-own']);
    assert.deepEqual(auth.metadata, { username: 'alice', org: 'acme' });
    assert.equal(auth.displayName, 'alice');
    assert.deepEqual(auth.alias, { name: 'alice' });
    assert.deepEqual(auth.groupAliases, [
      { name: 'Developers' },
      { name: 'developers' },
      { name: 'Site Reliability' },
      { name: 'site-reliability' },
      { name: 'platform' },
      { name: 'infrastructure' },
    ]);
    assert.deepEqual(auth.internalData, { token: TOKENS.alice });
    assert.equal(auth.ttl, 1200);
    assert.equal(auth.maxTtl, 3600);
    assert.equal(auth.renewable, true);
    assert.equal(response?.warnings, undefined);
  });

  test('sends bearer token to three endpoints', async () => {
    await harness.send('update', 'login', { token: TOKENS.alice });

    assert.deepEqual(github.requests, [
      { method: 'GET', url: '/user', authScheme: 'Bearer' },
      { method: 'GET', url: '/user/orgs?per_page=100', authScheme: 'Bearer' },
      { method: 'GET', url: '/user/teams?per_page=100', authScheme: 'Bearer' },
    ]);
  });

  test('teams matched by slug and by name', async () => {
    // "Site Reliability" matches by slug only, "platform" by its name, and
    // "infrastructure" by the slug of that same team; "admins" is a team of
    // another organization.
    await harness.send('update', 'map/teams/site-reliability', { value: 'sre' });
    await harness.send('update', 'map/teams/PLATFORM', { value: 'platform-by-name' });
    await harness.send('update', 'map/teams/infrastructure', { value: 'platform-by-slug' });
    await harness.send('update', 'map/teams/admins', { value: 'other-org-admin' });

    const auth = authOf(await harness.send('update', 'login', { token: TOKENS.alice }));

    assert.deepEqual(auth.policies, ['github-base', 'dev', 'platform-by-name', 'platform-by-slug', 'sre', 'alice-own']);
  });

  test('default mappings apply to everyone', async () => {
    await harness.send('update', 'map/teams/default', { value: 'team-default' });
    await harness.send('update', 'map/users/default', { value: 'user-default' });

    const auth = authOf(await harness.send('update', 'login', { token: TOKENS.carol }));

    assert.deepEqual(auth.policies, ['github-base', 'team-default', 'user-default']);
  });

  test('teams read across pages', async () => {
    github.state.maxPageSize = 5;
    await harness.send('update', 'map/teams/squad-12', { value: 'last-page' });

    const auth = authOf(await harness.send('update', 'login', { token: TOKENS.carol }));

    assert.deepEqual(auth.policies, ['github-base', 'last-page']);
    assert.equal(auth.groupAliases?.length, 24);
    assert.deepEqual(auth.groupAliases?.slice(-2), [{ name: 'Squad 12' }, { name: 'squad-12' }]);
    assert.deepEqual(
      github.requests.map((item) => item.url),
      ['/user', '/user/orgs?per_page=100', '/user/teams?per_page=100', '/user/teams?per_page=100&page=2', '/user/teams?per_page=100&page=3'],
    );
  });

  test('organization found on a later page', async () => {
    github.state.maxPageSize = 1;
    github.state.users[0].organizations = ['other', 'acme'];

    const auth = authOf(await harness.send('update', 'login', { token: TOKENS.alice }));

    assert.deepEqual(auth.metadata, { username: 'alice', org: 'acme' });
    assert.ok(github.requests.some((item) => item.url === '/user/orgs?per_page=100&page=2'));
  });

  test('membership checked by organization id', async () => {
    // The organization is renamed on GitHub: the ID still matches, so the
    // login works and warns. Another organization then takes the old name,
    // and its members are not let in.
    github.state.organizations[0].login = 'acme-corp';
    for (const team of github.state.teams) if (team.organization === 'acme') team.organization = 'acme-corp';
    github.state.users[0].organizations = ['acme-corp', 'other'];

    const renamed = await harness.send('update', 'login', { token: TOKENS.alice });

    assert.deepEqual(authOf(renamed).metadata, { username: 'alice', org: 'acme-corp' });
    assert.deepEqual(renamed?.warnings, [`the organization name has changed to "acme-corp"; update "organization" in the config, whose "organization_id" ${ACME_ID} still matches`]);

    github.state.organizations.push({ id: 9999, login: 'acme' });
    github.state.users[1].organizations = ['acme', 'other'];
    await assertRejects(harness.send('update', 'login', { token: TOKENS.bob }), 400, NOT_A_MEMBER);
  });

  test('user outside organization rejected', async () => {
    await assertRejectedUnchanged(harness, () => harness.send('update', 'login', { token: TOKENS.bob }), NOT_A_MEMBER);
    assert.equal(github.requests.some((item) => item.url.startsWith('/user/teams')), false);
  });

  test('bad token rejected as credentials', async () => {
    const login = harness.send('update', 'login', { token: 'ghp_notAToken' });

    await assert.rejects(login, (err: unknown) => {
      assert.ok(isCofferError(err));
      assert.equal(err.status, 400);
      assert.equal(err.code, INVALID_CREDENTIALS_CODE);
      assert.equal(err.message, `GET ${github.baseUrl}user: 401 Bad credentials []`);
      return true;
    });
  });

  test('missing config and token rejected', async () => {
    const empty = createHarness();
    await assertRejectedUnchanged(empty, () => empty.send('update', 'login', { token: TOKENS.alice }), NOT_CONFIGURED);
    await assertRejectedUnchanged(harness, () => harness.send('update', 'login', { token: '  ' }), 'missing "token": pass a GitHub personal access token');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'login', {}), 'missing "token": pass a GitHub personal access token');
  });

  test('bound cidrs deny other addresses', async () => {
    await harness.send('update', 'config', { token_bound_cidrs: '10.0.0.0/8' });

    await assertRejects(harness.send('update', 'login', { token: TOKENS.alice }, '192.0.2.7'), 403, 'permission denied');
    assert.equal(authOf(await harness.send('update', 'login', { token: TOKENS.alice }, '10.1.2.3')).displayName, 'alice');
  });

  test('unreachable github is an internal error', async () => {
    const port = await closedPort();
    await harness.send('update', 'config', { base_url: `http://127.0.0.1:${port}/`, organization_id: ACME_ID });

    await assertRejects(harness.send('update', 'login', { token: TOKENS.alice }), 500, `GET http://127.0.0.1:${port}/user: request failed: ECONNREFUSED`);
  });

  test('token never logged', async () => {
    await harness.send('update', 'login', { token: TOKENS.alice });
    await harness.send('update', 'login', { token: 'ghp_notAToken' }).catch(() => undefined);

    assert.ok(logLines.length > 0);
    assert.equal(logLines.some((line) => line.includes(TOKENS.alice) || line.includes('ghp_notAToken')), false);
  });

  test('token unfit for a header not echoed', async () => {
    const message = 'invalid "token": it contains a character outside printable ASCII, which cannot be sent in an HTTP header';
    for (const token of ['ghp_first\nghp_second', 'ghp_s\u20accret', 'ghp_tab\there']) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'login', { token }), message);
    }
    assert.deepEqual(github.requests, []);
    assert.equal(logLines.some((line) => line.includes('ghp_first') || line.includes('ghp_s') || line.includes('ghp_tab')), false);
  });

  test('renewal with same policies', async () => {
    await harness.send('update', 'config', { token_ttl: '30m', token_max_ttl: '2h' });
    const auth = authOf(await harness.send('update', 'login', { token: TOKENS.alice }));

    const renewed = await harness.renew(renewing(auth));

    assert.equal(renewed?.auth?.ttl, 1800);
    assert.equal(renewed?.auth?.maxTtl, 7200);
    assert.deepEqual(renewed?.auth?.groupAliases?.map((alias) => alias.name), ['Developers', 'developers', 'Site Reliability', 'site-reliability', 'platform', 'infrastructure']);
  });

  test('renewal fails after mapping change', async () => {
    const auth = authOf(await harness.send('update', 'login', { token: TOKENS.alice }));

    await harness.send('update', 'map/teams/developers', { value: 'dev,deploy' });

    await assertRejects(harness.renew(renewing(auth)), 400, 'policies have changed, not renewing');
  });

  test('renewal follows team membership', async () => {
    const auth = authOf(await harness.send('update', 'login', { token: TOKENS.alice }));

    github.state.users[0].teams = [2, 3];

    await assertRejects(harness.renew(renewing(auth)), 400, 'policies have changed, not renewing');
  });

  test('renewal fails after leaving organization', async () => {
    const auth = authOf(await harness.send('update', 'login', { token: TOKENS.alice }));

    github.state.users[0].organizations = ['other'];

    await assertRejects(harness.renew(renewing(auth)), 400, NOT_A_MEMBER);
  });

  test('renewal fails with revoked token', async () => {
    const auth = authOf(await harness.send('update', 'login', { token: TOKENS.alice }));

    delete github.state.tokens[TOKENS.alice];

    await assertRejects(harness.renew(renewing(auth)), 400, `GET ${github.baseUrl}user: 401 Bad credentials []`);
  });

  test('renewal without kept token', async () => {
    const auth = authOf(await harness.send('update', 'login', { token: TOKENS.alice }));

    await assertRejects(harness.renew({ ...renewing(auth), internalData: {} }), 400, 'the login kept no GitHub token, not renewing; log in again');
  });
});

/** Returns a loopback port that nothing listens on, by closing a server that just had it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
