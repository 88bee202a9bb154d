import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { freeradiusSkipReason, startTestRadiusServer, TEST_SECRET, TEST_USERS, type TestRadiusServer } from '@coffer/auth-radius/testing';
import { main } from '../index.js';
import type { CommandIO, InputStream } from '../io.js';
import type { RunResult } from '../test-io.js';
import { CapturedStream, runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

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

describe('login radius', { skip: freeradiusSkipReason() ?? false, timeout: 120_000 }, () => {
  let radius: TestRadiusServer;
  let server: TestServer;
  let env: Record<string, string>;

  before(async () => {
    radius = await startTestRadiusServer();
    server = await startDevServer();
    env = { COFFER_ADDR: server.address, HOME: server.home };
    const setup = [
      ['auth', 'enable', 'radius'],
      ['write', 'auth/radius/config', `host=${radius.host}`, `port=${radius.port}`, `secret=${TEST_SECRET}`, 'read_timeout=5s'],
      ['write', 'auth/radius/users/alice', 'policies=web-read'],
    ];
    for (const argv of setup) {
      const result = await runCli(argv, { env: server.env });
      assert.equal(result.code, 0, result.stderr);
    }
  });

  after(async () => {
    await server?.close();
    await radius?.stop();
  });

  test('stores token with user policy', async () => {
    const login = await runCli(['login', '-method=radius', 'username=alice', 'password=-'], { env, stdin: TEST_USERS.alice });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /^Success! You are now authenticated\./);
    assert.match(login.stdout, /\ntoken_policies +\["default" "web-read"\]\n/);
    assert.match(login.stdout, /\ntoken_meta_username +alice\n/);

    const lookup = await runCli(['token', 'lookup', '-format=json'], { env });
    assert.equal(JSON.parse(lookup.stdout).data.path, 'auth/radius/login/alice');
  });

  test('prompts for the password', async () => {
    const login = await runWithTerminal(['login', '-method=radius', '-token-only', 'username=alice'], env, `${TEST_USERS.alice}\n`);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /^hvs\.\S+$/);
    assert.equal(login.stderr, 'Password (will be hidden): \n');
  });

  test('wrong password fails', async () => {
    const login = await runCli(['login', '-method=radius', 'username=alice', 'password=wrong'], { env });
    assert.equal(login.code, 2);
    assert.match(login.stderr, /access denied by the authentication server/);
  });

  test('username required', async () => {
    const login = await runCli(['login', '-method=radius', 'password=x'], { env });
    assert.deepEqual(login, { code: 1, stdout: '', stderr: "'username' must be specified: coffer login -method=radius username=NAME\n" });
  });
});
