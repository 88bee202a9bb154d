import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { rm } from 'node:fs/promises';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer, testRootToken } from '../test-server.js';

describe('login', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let tokenFile: string;

  before(async () => {
    server = await startDevServer();
    // No COFFER_TOKEN, so commands after login read the token file.
    env = { COFFER_ADDR: server.address, HOME: server.home };
    tokenFile = join(server.home, '.coffer-token');
  });

  beforeEach(async () => {
    await rm(tokenFile, { force: true });
  });

  after(async () => {
    await server.close();
  });

  test('stores token and prints auth table', async () => {
    const login = await runCli(['login', testRootToken], { env });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stderr, '');
    assert.match(
      login.stdout,
      new RegExp(
        '^Success! You are now authenticated\\. The token information displayed below is\\n' +
          'already stored in the token file\\. You do NOT need to run "coffer login" again\\.\\n' +
          'Future Coffer requests will automatically use this token\\.\\n\\n' +
          'Key                  Value\\n---                  -----\\n' +
          `token                ${testRootToken}\\n` +
          'token_accessor       \\S+\\n' +
          'token_duration       ∞\\n' +
          'token_renewable      false\\n' +
          'token_policies       \\["root"\\]\\n' +
          'identity_policies    \\[\\]\\n' +
          'policies             \\["root"\\]\\n$',
      ),
    );
    assert.equal(await readFile(tokenFile, 'utf8'), testRootToken);
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);

    const lookup = await runCli(['token', 'lookup', '-format=json'], { env });
    assert.equal(lookup.code, 0, lookup.stderr);
    assert.deepEqual(JSON.parse(lookup.stdout).data.policies, ['root']);
  });

  test('token read from @file', async () => {
    const file = join(server.home, 'token.txt');
    await writeFile(file, `${testRootToken}\n`);
    for (const argument of [`@${file}`, `token=@${file}`]) {
      const login = await runCli(['login', '-token-only', argument], { env });
      assert.deepEqual(login, { code: 0, stdout: testRootToken, stderr: '' }, argument);
    }
  });

  test('token=- reads stdin', async () => {
    const login = await runCli(['login', '-token-only', 'token=-'], { env, stdin: `${testRootToken}\n` });
    assert.deepEqual(login, { code: 0, stdout: testRootToken, stderr: '' });
  });

  test('missing token file names the path', async () => {
    const file = join(server.home, 'absent-token.txt');
    const login = await runCli(['login', `@${file}`], { env });
    assert.equal(login.code, 1);
    assert.ok(login.stderr.startsWith(`Failed to parse K=V data: error reading file "${file}" for key "token": ENOENT`), login.stderr);
  });

  test('wrong token exits 2 and stores nothing', async () => {
    const login = await runCli(['login', 'not-a-real-token'], { env });
    assert.deepEqual(login, {
      code: 2,
      stdout: '',
      stderr:
        `Error authenticating: error looking up token: Error making API request.\n\nURL: GET ${server.address}/v1/auth/token/lookup-self\n` +
        'Code: 403. Errors:\n\n* permission denied\n',
    });
    await assert.rejects(stat(tokenFile), { code: 'ENOENT' });
  });

  test('token from stdin', async () => {
    const login = await runCli(['login', '-no-print', '-'], { env, stdin: `${testRootToken}\n` });
    assert.deepEqual(login, { code: 0, stdout: '', stderr: '' });
    assert.equal(await readFile(tokenFile, 'utf8'), testRootToken);
  });

  test('token-only prints token and stores nothing', async () => {
    const login = await runCli(['login', '-token-only', testRootToken], { env });
    assert.deepEqual(login, { code: 0, stdout: testRootToken, stderr: '' });
    await assert.rejects(stat(tokenFile), { code: 'ENOENT' });
  });

  test('no-store warns and prints json', async () => {
    const login = await runCli(['login', '-no-store', '-format=json', testRootToken], { env });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stderr, 'The token was not stored in the token file. Set COFFER_TOKEN or pass the token\nbelow with each request.\n\n');
    const parsed = JSON.parse(login.stdout);
    assert.equal(parsed.auth.client_token, testRootToken);
    assert.deepEqual(parsed.auth.policies, ['root']);
    await assert.rejects(stat(tokenFile), { code: 'ENOENT' });
  });

  test('environment token warning', async () => {
    const login = await runCli(['login', '-no-print', testRootToken], { env: { ...env, VAULT_TOKEN: 'other' } });
    assert.equal(login.code, 0);
    assert.ok(login.stderr.startsWith('WARNING! COFFER_TOKEN or VAULT_TOKEN is set'), login.stderr);
  });

  test('no token on pipe exits 1', async () => {
    const login = await runCli(['login'], { env });
    assert.deepEqual(login, {
      code: 1,
      stdout: '',
      stderr: 'stdin is not a terminal, so the value cannot be prompted for; pass the token as an argument, or "-" to read it from stdin\n',
    });
  });

  test('unknown method exits 1', async () => {
    const login = await runCli(['login', '-method=okta', 'token=abc'], { env });
    assert.deepEqual(login, {
      code: 1,
      stdout: '',
      stderr:
        'Unknown auth method: okta. coffer login supports approle, cert, github, jwt,\n' +
          'ldap, radius, token and userpass. "coffer auth list" lists the enabled auth\n' +
          'methods, and "coffer write auth/PATH/login ..." logs in with the others.\n',
    });
  });

  test('no-store with no-print exits 1', async () => {
    const login = await runCli(['login', '-no-store', '-no-print', testRootToken], { env });
    assert.deepEqual(login, { code: 1, stdout: '', stderr: '-no-store and -no-print cannot be used together: the token would be lost\n' });
  });
});
