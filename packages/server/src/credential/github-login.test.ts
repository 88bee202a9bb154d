import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import createClient from 'node-vault';
import { startGitHubStandIn, type GitHubStandIn, type GitHubState } from '@coffer/auth-github/testing';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-test-token';
const ACME_ID = 5150;
const ALICE_TOKEN = 'ghp_alice000000000000000000000000000000';
const BOB_TOKEN = 'ghp_bob00000000000000000000000000000000';

const TEAM_POLICY = `
path "secret/data/team/*" {
  capabilities = ["read"]
}
`;

/** alice is in acme's "Developers" and "Site Reliability" teams; bob is in no organization. */
function gitHubState(): GitHubState {
  return {
    organizations: [{ id: ACME_ID, login: 'acme' }],
    teams: [
      { id: 1, name: 'Developers', slug: 'developers', organization: 'acme' },
      { id: 2, name: 'Site Reliability', slug: 'site-reliability', organization: 'acme' },
    ],
    users: [
      { id: 21, login: 'alice', organizations: ['acme'], teams: [1, 2] },
      { id: 22, login: 'bob', organizations: [], teams: [] },
    ],
    tokens: { [ALICE_TOKEN]: 'alice', [BOB_TOKEN]: 'bob' },
    maxPageSize: 1,
  };
}

describe('github login over HTTP', () => {
  let github: GitHubStandIn;
  let server: RunningServer;

  before(async () => {
    github = await startGitHubStandIn(gitHubState());
    server = await startDevServer(ROOT);
    const setup: Array<[string, string, unknown]> = [
      ['POST', 'sys/auth/github', { type: 'github' }],
      ['PUT', 'sys/policies/acl/team-read', { policy: TEAM_POLICY }],
      ['POST', 'auth/github/config', { organization: 'acme', base_url: github.baseUrl, token_ttl: '20m', token_max_ttl: '1h' }],
      ['POST', 'auth/github/map/teams/developers', { value: 'team-read' }],
    ];
    for (const [method, path, body] of setup) {
      const response = await api(server, method, path, { token: ROOT, body });
      assert.equal(response.status, 204, `${method} ${path}: ${JSON.stringify(response.body)}`);
    }
    await api(server, 'POST', 'secret/data/team/key', { token: ROOT, body: { data: { key: 'team-key' } } });
    await api(server, 'POST', 'secret/data/other/key', { token: ROOT, body: { data: { key: 'other-key' } } });
  });

  after(async () => {
    await server?.close();
    await github?.stop();
  });

  test('login returns a token that reads its secrets', async () => {
    const response = await api(server, 'POST', 'auth/github/login', { body: { token: ALICE_TOKEN } });

    assert.equal(response.status, 200, JSON.stringify(response.body));
    const auth = response.body.auth;
    assert.deepEqual(auth.policies, ['default', 'team-read']);
    assert.deepEqual(auth.token_policies, ['default', 'team-read']);
    assert.deepEqual(auth.metadata, { username: 'alice', org: 'acme' });
    assert.equal(auth.lease_duration, 1200);
    assert.equal(auth.renewable, true);
    assert.equal(JSON.stringify(response.body).includes(ALICE_TOKEN), false);
    const token = auth.client_token as string;

    const granted = await api(server, 'GET', 'secret/data/team/key', { token });
    const denied = await api(server, 'GET', 'secret/data/other/key', { token });
    assert.equal(granted.status, 200);
    assert.deepEqual(granted.body.data.data, { key: 'team-key' });
    assert.equal(denied.status, 403);

    const lookup = await api(server, 'GET', 'auth/token/lookup-self', { token });
    assert.equal(lookup.body.data.display_name, 'github-alice');
    const entity = await api(server, 'GET', `identity/entity/id/${auth.entity_id}`, { token: ROOT });
    assert.deepEqual(entity.body.data.aliases.map((item: { name: string }) => item.name), ['alice']);
  });

  test('teams become external group aliases', async () => {
    const group = await api(server, 'POST', 'identity/group', { token: ROOT, body: { name: 'sre', type: 'external' } });
    const mounts = await api(server, 'GET', 'sys/auth', { token: ROOT });
    const accessor = mounts.body.data['github/'].accessor as string;
    const alias = await api(server, 'POST', 'identity/group-alias', { token: ROOT, body: { name: 'site-reliability', mount_accessor: accessor, canonical_id: group.body.data.id } });
    assert.equal(alias.status, 200, JSON.stringify(alias.body));

    const login = await api(server, 'POST', 'auth/github/login', { body: { token: ALICE_TOKEN } });

    const members = await api(server, 'GET', `identity/group/id/${group.body.data.id}`, { token: ROOT });
    assert.deepEqual(members.body.data.member_entity_ids, [login.body.auth.entity_id]);
  });

  test('config read and map list', async () => {
    const config = await api(server, 'GET', 'auth/github/config', { token: ROOT });
    const teams = await api(server, 'LIST', 'auth/github/map/teams', { token: ROOT });

    assert.equal(config.status, 200);
    assert.equal(config.body.data.organization, 'acme');
    assert.equal(config.body.data.organization_id, ACME_ID);
    assert.equal(config.body.data.base_url, github.baseUrl);
    assert.equal(config.body.data.token_ttl, 1200);
    assert.deepEqual(teams.body.data.keys, ['developers']);
  });

  test('invalid config leaves it unchanged', async () => {
    const before = await api(server, 'GET', 'auth/github/config', { token: ROOT });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ organization: '' }, 'organization is a required parameter'],
      [{ base_url: 'gopher://github.example.com' }, 'invalid "base_url" "gopher://github.example.com": expected an http or https URL such as "https://github.example.com/api/v3/"'],
      [{ organization_id: -1 }, 'invalid "organization_id" -1: it must be a positive integer, or 0 to look it up from "organization"'],
      [{ organization: 'no-such-org' }, `unable to fetch the organization_id, set "organization_id" or check "organization" and "base_url": GET ${github.baseUrl}orgs/no-such-org: 404 Not Found []`],
    ];

    for (const [body, message] of cases) {
      const response = await api(server, 'POST', 'auth/github/config', { token: ROOT, body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.deepEqual(response.body, { errors: [message] });
    }
    const after = await api(server, 'GET', 'auth/github/config', { token: ROOT });
    assert.deepEqual(after.body.data, before.body.data);
  });

  test('bad token, outsider and missing config', async () => {
    const bad = await api(server, 'POST', 'auth/github/login', { body: { token: 'ghp_wrong' } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors, [`GET ${github.baseUrl}user: 401 Bad credentials []`]);

    const outsider = await api(server, 'POST', 'auth/github/login', { body: { token: BOB_TOKEN } });
    assert.equal(outsider.status, 400);
    assert.deepEqual(outsider.body.errors, ['user is not part of required org']);

    assert.equal((await api(server, 'POST', 'sys/auth/github-bare', { token: ROOT, body: { type: 'github' } })).status, 204);
    const bare = await api(server, 'POST', 'auth/github-bare/login', { body: { token: ALICE_TOKEN } });
    assert.equal(bare.status, 400);
    assert.deepEqual(bare.body.errors, ['configuration has not been set']);
  });

  test('renewal checks the team mapping again', async () => {
    const login = await api(server, 'POST', 'auth/github/login', { body: { token: ALICE_TOKEN } });
    const token = login.body.auth.client_token as string;

    const renewed = await api(server, 'POST', 'auth/token/renew-self', { token, body: {} });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.equal(renewed.body.auth.lease_duration, 1200);

    await api(server, 'POST', 'auth/github/map/teams/site-reliability', { token: ROOT, body: { value: 'sre' } });
    const refused = await api(server, 'POST', 'auth/token/renew-self', { token, body: {} });
    await api(server, 'DELETE', 'auth/github/map/teams/site-reliability', { token: ROOT });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.errors, ['policies have changed, not renewing']);
  });

  test('node-vault logs in', async () => {
    const vault = createClient({ apiVersion: 'v1', endpoint: server.address }) as unknown as { githubLogin(options: { token: string }): Promise<any>; token: string };

    const login = await vault.githubLogin({ token: ALICE_TOKEN });

    assert.deepEqual(login.auth.policies, ['default', 'team-read']);
    assert.deepEqual(login.auth.metadata, { username: 'alice', org: 'acme' });
    assert.equal(vault.token, login.auth.client_token);
  });
});

const PYTHON = '/usr/bin/python3';
const HVAC_SCRIPT = fileURLToPath(new URL('../../fixtures/hvac_github.py', import.meta.url));
const hvacSkip = existsSync(PYTHON) ? false : 'no /usr/bin/python3 on this machine';

test('hvac logs in with github', { skip: hvacSkip }, async () => {
  const github = await startGitHubStandIn(gitHubState());
  const server = await startDevServer('hvac-github-root');
  try {
    const { stdout } = await promisify(execFile)(PYTHON, [HVAC_SCRIPT, server.address, 'hvac-github-root', github.baseUrl, ALICE_TOKEN], { timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), {
      config: { organization: 'acme', base_url: github.baseUrl, ttl: 2400, token_ttl: 2400 },
      team_mapping: { key: 'developers', value: 'team-read' },
      user_mapping: { key: 'alice', value: 'alice-extra' },
      policies: ['alice-extra', 'default', 'team-read'],
      metadata: { username: 'alice', org: 'acme' },
      ttl: 2400,
      authenticated: true,
      renewed_ttl: 2400,
      bad_token: `GET ${github.baseUrl}user: 401 Bad credentials []`,
    });
  } finally {
    await server.close();
    await github.stop();
  }
});
