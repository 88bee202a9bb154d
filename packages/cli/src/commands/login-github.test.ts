import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { startGitHubStandIn, type GitHubStandIn } from '@coffer/auth-github/testing';
import { main } from '../index.js';
import type { CommandIO, InputStream } from '../io.js';
import type { RunResult } from '../test-io.js';
import { CapturedStream, runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

const ALICE_TOKEN = 'ghp_aliceCli00000000000000000000000000';

/** Runs the CLI with a stdin that acts as a terminal and types `typed` once the command turns echo off. */
async function runWithTerminal(argv: string[], env: Record<string, string>, typed: string): Promise<RunResult> {
  const stdin = new PassThrough();
  const terminal = Object.assign(stdin, {
    isTTY: true,
    setRawMode: (raw: boolean) => {
      if (raw) setImmediate(() => stdin.write(typed));
      return terminal;
    },
  }) as unknown as InputStream;
  const stdout = new CapturedStream();
  const stderr = new CapturedStream();
  const io: CommandIO = { stdin: terminal, stdout, stderr, env };
  const code = await main(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('login github', () => {
  let github: GitHubStandIn;
  let server: TestServer;
  let env: Record<string, string>;

  before(async () => {
    github = await startGitHubStandIn({
      organizations: [{ id: 77, login: 'acme' }],
      teams: [{ id: 1, name: 'Developers', slug: 'developers', organization: 'acme' }],
      users: [{ id: 5, login: 'alice', organizations: ['acme'], teams: [1] }],
      tokens: { [ALICE_TOKEN]: 'alice' },
      maxPageSize: 100,
    });
    server = await startDevServer();
    env = { COFFER_ADDR: server.address, HOME: server.home };
    const setup = [
      ['auth', 'enable', 'github'],
      ['write', 'auth/github/config', 'organization=acme', `base_url=${github.baseUrl}`],
      ['write', 'auth/github/map/teams/developers', 'value=dev-read'],
    ];
    for (const argv of setup) {
      const result = await runCli(argv, { env: server.env });
      assert.equal(result.code, 0, result.stderr);
    }
  });

  after(async () => {
    await server?.close();
    await github?.stop();
  });

  test('stores token with team policy', async () => {
    const login = await runCli(['login', '-method=github', 'token=-'], { env, stdin: `${ALICE_TOKEN}\n` });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /^Success! You are now authenticated\./);
    assert.match(login.stdout, /\ntoken_policies +\["default" "dev-read"\]\n/);
    assert.match(login.stdout, /\ntoken_meta_username +alice\n/);
    assert.match(login.stdout, /\ntoken_meta_org +acme\n/);
    assert.equal(login.stdout.includes(ALICE_TOKEN), false);

    const lookup = await runCli(['token', 'lookup', '-format=json'], { env });
    assert.equal(JSON.parse(lookup.stdout).data.path, 'auth/github/login');
  });

  test('reads token from environment', async () => {
    for (const name of ['COFFER_AUTH_GITHUB_TOKEN', 'VAULT_AUTH_GITHUB_TOKEN']) {
      const login = await runCli(['login', '-method=github', '-token-only'], { env: { ...env, [name]: ALICE_TOKEN } });
      assert.equal(login.code, 0, `${name}: ${login.stderr}`);
      assert.match(login.stdout, /^hvs\.\S+$/);
    }
  });

  test('prompts for the token', async () => {
    const login = await runWithTerminal(['login', '-method=github', '-token-only'], env, `${ALICE_TOKEN}\n`);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /^hvs\.\S+$/);
    assert.equal(login.stderr, 'GitHub Personal Access Token (will be hidden): \n');
  });

  test('bad token exits 2', async () => {
    const login = await runCli(['login', '-method=github', 'token=ghp_wrong'], { env });
    assert.equal(login.code, 2);
    assert.match(login.stderr, new RegExp(`GET ${github.baseUrl}user: 401 Bad credentials \\[\\]`));
  });

  test('no token without terminal exits 1', async () => {
    const login = await runCli(['login', '-method=github'], { env });
    assert.deepEqual(login, {
      code: 1,
      stdout: '',
      stderr: 'stdin is not a terminal, so the value cannot be prompted for; pass token=TOKEN, token=- to read it from stdin, or set COFFER_AUTH_GITHUB_TOKEN\n',
    });
  });

  test('unknown key exits 1', async () => {
    const login = await runCli(['login', '-method=github', 'username=alice'], { env });
    assert.deepEqual(login, { code: 1, stdout: '', stderr: 'unknown key "username" for -method=github: the method takes token, mount\n' });
  });
});
