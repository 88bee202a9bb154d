import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { GitHubClient, GitHubError, nextPage } from './github-client.js';
import { startGitHubStandIn, type GitHubStandIn } from './testing/github-api.js';
import { gitHubState, TOKENS } from './test-support.js';

describe('github client', () => {
  let github: GitHubStandIn;

  before(async () => {
    github = await startGitHubStandIn(gitHubState());
  });

  after(async () => {
    await github?.stop();
  });

  test('next page from link header', () => {
    const link = '<https://api.github.com/user/teams?per_page=100&page=1>; rel="prev", <https://api.github.com/user/teams?per_page=100&page=3>; rel="next", <https://api.github.com/user/teams?per_page=100&page=9>; rel="last"';

    assert.equal(nextPage(link), 3);
    assert.equal(nextPage('<https://api.github.com/user/teams?page=2>; rel="last"'), undefined);
    assert.equal(nextPage('<https://api.github.com/user/teams?page=zero>; rel="next"'), undefined);
    assert.equal(nextPage(null), undefined);
  });

  test('all pages of teams', async () => {
    github.state.maxPageSize = 4;
    try {
      const teams = await new GitHubClient(github.baseUrl, TOKENS.carol).teams();

      assert.equal(teams.length, 12);
      assert.deepEqual(teams[11], { name: 'Squad 12', slug: 'squad-12', organization: { login: 'acme', id: 4100 } });
    } finally {
      github.state.maxPageSize = 100;
    }
  });

  test('stand-in takes token scheme', async () => {
    const response = await fetch(`${github.baseUrl}user`, { headers: { authorization: `token ${TOKENS.bob}` } });

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(((await response.json()) as { login: string }).login, 'bob');
  });

  test('stand-in requires authentication', async () => {
    const response = await fetch(`${github.baseUrl}user/teams`);

    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest', status: '401' });
  });

  test('unknown organization is 404', async () => {
    await assert.rejects(new GitHubClient(github.baseUrl, '').organization('nobody'), (err: unknown) => {
      assert.ok(err instanceof GitHubError);
      assert.equal(err.status, 404);
      assert.equal(err.message, `GET ${github.baseUrl}orgs/nobody: 404 Not Found []`);
      return true;
    });
  });

  describe('misbehaving server', () => {
    let server: Server;
    let baseUrl: string;
    const received: Array<string | undefined> = [];

    before(async () => {
      server = createServer((request, response) => {
        received.push(request.headers.authorization);
        if (request.url === '/user') {
          response.writeHead(302, { location: 'http://192.0.2.1/steal' }).end();
        } else if (request.url?.startsWith('/user/orgs')) {
          // Always points back at page 1.
          response.writeHead(200, { 'content-type': 'application/json', link: '<http://127.0.0.1/user/orgs?page=1>; rel="next"' }).end('[]');
        } else {
          response.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });

    after(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    test('redirect not followed', async () => {
      await assert.rejects(new GitHubClient(baseUrl, 'ghp_secret').currentUser(), { message: `GET ${baseUrl}user: 302 Found []` });
    });

    test('looping next link stops', async () => {
      await assert.rejects(new GitHubClient(baseUrl, 'ghp_secret').organizations(), { message: `GET ${baseUrl}user/orgs?per_page=100: the "next" link goes back to page 1` });
    });

    test('body that is not json', async () => {
      await assert.rejects(new GitHubClient(baseUrl, 'ghp_secret').teams(), { message: `GET ${baseUrl}user/teams?per_page=100: 200 response is not JSON` });
    });
  });
});
