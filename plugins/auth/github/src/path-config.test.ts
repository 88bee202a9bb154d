import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startGitHubStandIn, type GitHubStandIn } from './testing/github-api.js';
import { ACME_ID, assertRejectedUnchanged, createHarness, gitHubState, OTHER_ID, type Harness } from './test-support.js';

describe('config', () => {
  let github: GitHubStandIn;
  let harness: Harness;

  before(async () => {
    github = await startGitHubStandIn(gitHubState());
  });

  after(async () => {
    await github?.stop();
  });

  beforeEach(() => {
    Object.assign(github.state, gitHubState());
    delete github.state.orgLookupToken;
    github.requests.length = 0;
    harness = createHarness();
  });

  test('read before any write', async () => {
    assert.equal(await harness.send('read', 'config'), null);
  });

  test('organization id looked up', async () => {
    await harness.send('update', 'config', { organization: 'ACME', base_url: github.baseUrl.slice(0, -1) });

    const response = await harness.send('read', 'config');
    assert.deepEqual(response?.data, {
      organization: 'ACME',
      organization_id: ACME_ID,
      base_url: github.baseUrl,
      token_ttl: 0,
      token_max_ttl: 0,
      token_explicit_max_ttl: 0,
      token_period: 0,
      token_policies: [],
      policies: [],
      token_bound_cidrs: [],
      token_no_default_policy: false,
      token_num_uses: 0,
      token_type: 'default',
    });
    assert.deepEqual(github.requests, [{ method: 'GET', url: '/orgs/ACME', authScheme: '' }]);
  });

  test('given organization id not looked up', async () => {
    await harness.send('update', 'config', { organization: 'acme', organization_id: 987, base_url: github.baseUrl });

    const data = (await harness.send('read', 'config'))?.data;
    assert.equal(data?.organization_id, 987);
    assert.deepEqual(github.requests, []);
  });

  test('organization change looks id up again', async () => {
    await harness.send('update', 'config', { organization: 'acme', base_url: github.baseUrl });
    await harness.send('update', 'config', { token_ttl: '1h' });
    assert.equal(github.requests.length, 1);

    await harness.send('update', 'config', { organization: 'other' });

    const data = (await harness.send('read', 'config'))?.data;
    assert.equal(data?.organization_id, OTHER_ID);
    assert.equal(data?.token_ttl, 3600);
    assert.equal(github.requests.length, 2);
  });

  test('lookup sends token from environment', async () => {
    github.state.orgLookupToken = 'ghp_lookupToken';
    process.env.COFFER_AUTH_CONFIG_GITHUB_TOKEN = 'ghp_lookupToken';
    try {
      await harness.send('update', 'config', { organization: 'acme', base_url: github.baseUrl });
    } finally {
      delete process.env.COFFER_AUTH_CONFIG_GITHUB_TOKEN;
    }

    assert.equal((await harness.send('read', 'config'))?.data?.organization_id, ACME_ID);
    assert.deepEqual(github.requests, [{ method: 'GET', url: '/orgs/acme', authScheme: 'Bearer' }]);
  });

  test('unsendable lookup token not echoed', async () => {
    process.env.COFFER_AUTH_CONFIG_GITHUB_TOKEN = 'ghp_lookup\nToken';
    try {
      await assertRejectedUnchanged(
        harness,
        () => harness.send('update', 'config', { organization: 'acme', base_url: github.baseUrl }),
        `unable to fetch the organization_id, set "organization_id" or check "organization" and "base_url": GET ${github.baseUrl}orgs/acme: the token contains a character outside printable ASCII`,
      );
    } finally {
      delete process.env.COFFER_AUTH_CONFIG_GITHUB_TOKEN;
    }
    assert.deepEqual(github.requests, []);
  });

  test('legacy ttl fields set token ttls', async () => {
    await harness.send('update', 'config', { organization: 'acme', organization_id: ACME_ID, ttl: '30m', max_ttl: '2h' });

    const data = (await harness.send('read', 'config'))?.data;
    assert.equal(data?.ttl, 1800);
    assert.equal(data?.max_ttl, 7200);
    assert.equal(data?.token_ttl, 1800);
    assert.equal(data?.token_max_ttl, 7200);

    await harness.send('update', 'config', { token_ttl: '10m', ttl: '20m' });

    const replaced = (await harness.send('read', 'config'))?.data;
    assert.equal(replaced?.token_ttl, 600);
    assert.equal('ttl' in (replaced ?? {}), false);
    assert.equal(replaced?.max_ttl, 7200);
  });

  test('unknown organization rejected', async () => {
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config', { organization: 'no-such-org', base_url: github.baseUrl }),
      `unable to fetch the organization_id, set "organization_id" or check "organization" and "base_url": GET ${github.baseUrl}orgs/no-such-org: 404 Not Found []`,
    );
  });

  test('invalid fields rejected unchanged', async () => {
    await harness.send('update', 'config', { organization: 'acme', base_url: github.baseUrl, token_ttl: '1h' });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ organization: '  ' }, 'organization is a required parameter'],
      [{ organization_id: -3 }, 'invalid "organization_id" -3: it must be a positive integer, or 0 to look it up from "organization"'],
      [{ organization_id: 'many' }, 'invalid field "organization_id": expected an integer, got "many"'],
      [{ base_url: 'ftp://github.example.com/' }, 'invalid "base_url" "ftp://github.example.com/": expected an http or https URL such as "https://github.example.com/api/v3/"'],
      [{ base_url: 'not a url' }, 'invalid "base_url" "not a url": expected an http or https URL such as "https://github.example.com/api/v3/"'],
      [{ base_url: 'https://user:secret@github.example.com/' }, 'invalid "base_url": it must not contain a user name or password'],
      [{ base_url: 'https://github.example.com/api/v3?x=1' }, 'invalid "base_url" "https://github.example.com/api/v3?x=1": it must not have a query or fragment'],
      [{ token_type: 'gold' }, 'invalid "token_type" "gold": must be one of service, batch, default, default-service, default-batch'],
      [{ ttl: '3h', max_ttl: '2h' }, 'invalid "token_ttl" 10800: it must not exceed "token_max_ttl" 7200'],
      [{ token_bound_cidrs: '10.0.0.0/33' }, 'invalid "token_bound_cidrs" entry "10.0.0.0/33": expected an IP address or a CIDR block such as "10.0.0.0/8"'],
    ];
    github.requests.length = 0;

    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'config', data), message);
    }
    assert.deepEqual(github.requests, []);
  });

  test('first write needs organization', async () => {
    await assertRejectedUnchanged(harness, () => harness.send('update', 'config', { base_url: github.baseUrl }), 'organization is a required parameter');
  });
});
