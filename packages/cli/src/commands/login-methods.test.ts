import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import { DIRECTORY, slapdSkipReason, startTestDirectory, type TestDirectory } from '@coffer/auth-ldap/testing';
import { main } from '../index.js';
import type { CommandIO, InputStream } from '../io.js';
import type { Recorder } from '../test-recorder.js';
import { envelope, recorderToken, startRecorder } from '../test-recorder.js';
import type { RunResult } from '../test-io.js';
import { CapturedStream, runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

const alicePassword = 'alice-pw-7d1f';

/** Matches the success text and token table of a login whose token was stored, capturing the token. */
function storedLoginPattern(policies: string, metaRows: string): RegExp {
  return new RegExp(
    '^Success! You are now authenticated\\. The token information displayed below is\\n' +
      'already stored in the token file\\. You do NOT need to run "coffer login" again\\.\\n' +
      'Future Coffer requests will automatically use this token\\.\\n\\n' +
      'Key +Value\\n-{3} +-{5}\\n' +
      'token +(hvs\\.\\S+)\\n' +
      'token_accessor +\\S+\\n' +
      'token_duration +768h\\n' +
      'token_renewable +true\\n' +
      `token_policies +${policies}\\n` +
      'identity_policies +\\[\\]\\n' +
      `policies +${policies}\\n` +
      `${metaRows}$`,
  );
}

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

describe('login userpass', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let tokenFile: string;

  before(async () => {
    server = await startDevServer();
    env = { COFFER_ADDR: server.address, HOME: server.home };
    tokenFile = join(server.home, '.coffer-token');
    const setup = [
      ['auth', 'enable', 'userpass'],
      ['write', 'auth/userpass/users/alice', `password=${alicePassword}`, 'token_policies=default'],
      ['auth', 'enable', '-path=people', 'userpass'],
      ['write', 'auth/people/users/bob', 'password=bob-pw-2', 'token_policies=default'],
    ];
    for (const argv of setup) {
      const result = await runCli(argv, { env: server.env });
      assert.equal(result.code, 0, result.stderr);
    }
  });

  beforeEach(async () => {
    await rm(tokenFile, { force: true });
  });

  after(async () => {
    await server.close();
  });

  test('stores token that works', async () => {
    const login = await runCli(['login', '-method=userpass', 'username=alice', `password=${alicePassword}`], { env });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stderr, '');
    const match = storedLoginPattern('\\["default"\\]', 'token_meta_username +alice\\n').exec(login.stdout);
    assert.ok(match, login.stdout);
    assert.equal(await readFile(tokenFile, 'utf8'), match[1]);
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);

    const lookup = await runCli(['token', 'lookup', '-format=json'], { env });
    assert.equal(lookup.code, 0, lookup.stderr);
    const data = JSON.parse(lookup.stdout).data;
    assert.equal(data.id, match[1]);
    assert.equal(data.display_name, 'userpass-alice');
    assert.deepEqual(data.policies, ['default']);
    assert.equal(data.path, 'auth/userpass/login/alice');
  });

  test('password from stdin', async () => {
    const login = await runCli(['login', '-method=userpass', '-no-print', 'username=alice', 'password=-'], { env, stdin: alicePassword });
    assert.deepEqual(login, { code: 0, stdout: '', stderr: '' });
    const lookup = await runCli(['token', 'lookup', '-format=json'], { env });
    assert.equal(JSON.parse(lookup.stdout).data.display_name, 'userpass-alice');
  });

  test('prompts for password on terminal', async () => {
    const login = await runWithTerminal(['login', '-method=userpass', '-field=token_meta_username', 'username=alice'], env, `${alicePassword}\r`);
    assert.deepEqual(login, { code: 0, stdout: 'alice', stderr: 'Password (will be hidden): \n' });
    assert.match(await readFile(tokenFile, 'utf8'), /^hvs\./);
  });

  test('non-interactive never prompts', async () => {
    const login = await runWithTerminal(['login', '-method=userpass', '-non-interactive', 'username=alice'], env, `${alicePassword}\r`);
    assert.deepEqual(login, {
      code: 1,
      stdout: '',
      stderr: '-non-interactive is set, so the value cannot be prompted for; pass password=PASSWORD, or password=- to read it from stdin\n',
    });
  });

  test('path flag names mount', async () => {
    const login = await runCli(['login', '-method=userpass', '-path=people/', '-no-print', 'username=bob', 'password=bob-pw-2'], { env });
    assert.deepEqual(login, { code: 0, stdout: '', stderr: '' });
    const lookup = await runCli(['token', 'lookup', '-format=json'], { env });
    assert.equal(JSON.parse(lookup.stdout).data.path, 'auth/people/login/bob');
  });

  test('token-only prints token', async () => {
    const login = await runCli(['login', '-method=userpass', '-token-only', 'username=alice', `password=${alicePassword}`], { env });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stderr, '');
    assert.match(login.stdout, /^hvs\.\S+$/);
    await assert.rejects(stat(tokenFile), { code: 'ENOENT' });

    const lookup = await runCli(['token', 'lookup', '-format=json'], { env: { ...env, COFFER_TOKEN: login.stdout } });
    assert.equal(JSON.parse(lookup.stdout).data.display_name, 'userpass-alice');
  });

  test('no-store prints json', async () => {
    const login = await runCli(['login', '-method=userpass', '-no-store', '-format=json', 'username=alice', `password=${alicePassword}`], { env });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stderr, 'The token was not stored in the token file. Set COFFER_TOKEN or pass the token\nbelow with each request.\n\n');
    const parsed = JSON.parse(login.stdout);
    assert.match(parsed.auth.client_token, /^hvs\./);
    assert.deepEqual(parsed.auth.metadata, { username: 'alice' });
    assert.deepEqual(parsed.auth.token_policies, ['default']);
    await assert.rejects(stat(tokenFile), { code: 'ENOENT' });
  });

  test('wrapped login is unwrapped', async () => {
    const login = await runCli(['login', '-method=userpass', '-wrap-ttl=5m', '-field=token', 'username=alice', `password=${alicePassword}`], { env });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(await readFile(tokenFile, 'utf8'), login.stdout);
    const lookup = await runCli(['token', 'lookup', '-format=json'], { env });
    assert.equal(JSON.parse(lookup.stdout).data.display_name, 'userpass-alice');
  });

  test('wrapped token-only keeps wrapping', async () => {
    const login = await runCli(['login', '-method=userpass', '-wrap-ttl=5m', '-token-only', 'username=alice', `password=${alicePassword}`], { env });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /^hvs\.\S+$/);
    await assert.rejects(stat(tokenFile), { code: 'ENOENT' });

    const unwrapped = await runCli(['unwrap', '-field=token_meta_username', login.stdout], { env });
    assert.deepEqual(unwrapped, { code: 0, stdout: 'alice', stderr: '' });
  });

  test('wrong password exits 2', async () => {
    const login = await runCli(['login', '-method=userpass', 'username=alice', 'password=not-her-password'], { env });
    assert.deepEqual(login, {
      code: 2,
      stdout: '',
      stderr:
        `Error authenticating: Error making API request.\n\nURL: PUT ${server.address}/v1/auth/userpass/login/alice\n` +
        'Code: 400. Errors:\n\n* invalid username or password\n',
    });
    await assert.rejects(stat(tokenFile), { code: 'ENOENT' });
  });

  test('replaces stale stored token', async () => {
    await writeFile(tokenFile, 'revoked-token');
    const login = await runCli(['login', '-method=userpass', '-no-print', 'username=alice', `password=${alicePassword}`], { env });
    assert.deepEqual(login, { code: 0, stdout: '', stderr: '' });
    assert.match(await readFile(tokenFile, 'utf8'), /^hvs\./);
  });

  test('missing username exits 1', async () => {
    const login = await runCli(['login', '-method=userpass', `password=${alicePassword}`], { env });
    assert.deepEqual(login, { code: 1, stdout: '', stderr: "'username' must be specified: coffer login -method=userpass username=NAME\n" });
  });

  test('no password off terminal exits 1', async () => {
    const login = await runCli(['login', '-method=userpass', 'username=alice'], { env });
    assert.deepEqual(login, {
      code: 1,
      stdout: '',
      stderr: 'stdin is not a terminal, so the value cannot be prompted for; pass password=PASSWORD, or password=- to read it from stdin\n',
    });
  });

  test('unknown key hides its value', async () => {
    const login = await runCli(['login', '-method=userpass', 'username=alice', 'pasword=hunter2'], { env });
    assert.deepEqual(login, { code: 1, stdout: '', stderr: 'unknown key "pasword" for -method=userpass: the method takes username, password, mount\n' });
  });

  test('bare argument is not echoed', async () => {
    const login = await runCli(['login', '-method=userpass', 'username=alice', 'hunter2'], { env });
    assert.deepEqual(login, { code: 1, stdout: '', stderr: 'invalid argument 2: -method=userpass takes key=value pairs of username, password, mount\n' });
  });

  test('credentials from a lone @file', async () => {
    const file = join(server.home, 'alice.json');
    await writeFile(file, JSON.stringify({ username: 'alice', password: alicePassword }));
    const login = await runCli(['login', '-method=userpass', '-no-print', `@${file}`], { env });
    assert.deepEqual(login, { code: 0, stdout: '', stderr: '' });
    const lookup = await runCli(['token', 'lookup', '-format=json'], { env });
    assert.equal(JSON.parse(lookup.stdout).data.display_name, 'userpass-alice');
  });

  test('unreadable @file is not echoed', async () => {
    const login = await runCli(['login', '-method=userpass', 'username=alice', '@hunter2'], { env });
    assert.deepEqual(login, {
      code: 1,
      stdout: '',
      stderr: 'invalid argument 2: failed to read a JSON object from the file it names; pass the path of a readable JSON file after "@"\n',
    });
  });

  test('repeated key exits 1', async () => {
    const login = await runCli(['login', '-method=userpass', 'username=alice', 'username=bob', 'password=x'], { env });
    assert.deepEqual(login, { code: 1, stdout: '', stderr: 'invalid value for "username": give the key once, with one string value\n' });
  });
});

describe('login approle', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let roleId: string;
  let secretId: string;

  before(async () => {
    server = await startDevServer();
    env = { COFFER_ADDR: server.address, HOME: server.home };
    for (const argv of [['auth', 'enable', 'approle'], ['write', 'auth/approle/role/r', 'token_policies=default']]) {
      const result = await runCli(argv, { env: server.env });
      assert.equal(result.code, 0, result.stderr);
    }
    const role = await runCli(['read', '-field=role_id', 'auth/approle/role/r/role-id'], { env: server.env });
    assert.equal(role.code, 0, role.stderr);
    roleId = role.stdout;
    const secret = await runCli(['write', '-f', '-field=secret_id', 'auth/approle/role/r/secret-id'], { env: server.env });
    assert.equal(secret.code, 0, secret.stderr);
    secretId = secret.stdout;
  });

  after(async () => {
    await server.close();
  });

  test('stores token that works', async () => {
    const login = await runCli(['login', '-method=approle', `role_id=${roleId}`, `secret_id=${secretId}`], { env });
    assert.equal(login.code, 0, login.stderr);
    const match = storedLoginPattern('\\["default"\\]', 'token_meta_role_name +r\\n').exec(login.stdout);
    assert.ok(match, login.stdout);

    const lookup = await runCli(['token', 'lookup', '-format=json'], { env });
    assert.equal(lookup.code, 0, lookup.stderr);
    const data = JSON.parse(lookup.stdout).data;
    assert.equal(data.id, match[1]);
    assert.equal(data.path, 'auth/approle/login');
    assert.deepEqual(data.policies, ['default']);
  });

  test('secret ID from stdin', async () => {
    const login = await runCli(['login', '-method=approle', '-field=token_meta_role_name', `role_id=${roleId}`, 'secret_id=-'], { env, stdin: secretId });
    assert.deepEqual(login, { code: 0, stdout: 'r', stderr: '' });
  });

  test('wrong secret ID exits 2', async () => {
    const login = await runCli(['login', '-method=approle', `role_id=${roleId}`, 'secret_id=00000000-0000-0000-0000-000000000000'], { env });
    assert.deepEqual(login, {
      code: 2,
      stdout: '',
      stderr: `Error authenticating: Error making API request.\n\nURL: PUT ${server.address}/v1/auth/approle/login\nCode: 400. Errors:\n\n* invalid role or secret ID\n`,
    });
  });

  test('missing role ID exits 1', async () => {
    const login = await runCli(['login', '-method=approle', `secret_id=${secretId}`], { env });
    assert.deepEqual(login, { code: 1, stdout: '', stderr: "'role_id' must be specified: coffer login -method=approle role_id=ID secret_id=ID\n" });
  });
});

describe('login ldap', { skip: slapdSkipReason() ?? false }, () => {
  let directory: TestDirectory;
  let server: TestServer;
  let env: Record<string, string>;

  before(async () => {
    directory = await startTestDirectory();
    server = await startDevServer();
    env = { COFFER_ADDR: server.address, HOME: server.home };
    const caFile = join(server.home, 'ldap-ca.pem');
    await writeFile(caFile, directory.caCertificate);
    const setup = [
      ['auth', 'enable', 'ldap'],
      [
        'write', 'auth/ldap/config', `url=${directory.url}`, 'starttls=true', `certificate=@${caFile}`, `binddn=${DIRECTORY.readerDn}`,
        `bindpass=${DIRECTORY.readerPassword}`, `userdn=${DIRECTORY.peopleDn}`, 'userattr=uid', `groupdn=${DIRECTORY.groupsDn}`,
      ],
      ['write', 'auth/ldap/groups/admins', 'policies=admin-read'],
    ];
    for (const argv of setup) {
      const result = await runCli(argv, { env: server.env });
      assert.equal(result.code, 0, result.stderr);
    }
  });

  after(async () => {
    await server?.close();
    await directory?.stop();
  });

  test('stores token with group policy', async () => {
    const login = await runCli(['login', '-method=ldap', 'username=alice', 'password=-'], { env, stdin: DIRECTORY.users.alice.password });
    assert.equal(login.code, 0, login.stderr);
    const match = storedLoginPattern('\\["admin-read" "default"\\]', 'token_meta_username +alice\\n').exec(login.stdout);
    assert.ok(match, login.stdout);

    const lookup = await runCli(['token', 'lookup', '-format=json'], { env });
    assert.equal(JSON.parse(lookup.stdout).data.path, 'auth/ldap/login/alice');
  });

  test('username from USER', async () => {
    const login = await runCli(['login', '-method=ldap', '-token-only', `password=${DIRECTORY.users.bob.password}`], { env: { ...env, USER: 'bob' } });
    assert.equal(login.code, 0, login.stderr);
    const lookup = await runCli(['token', 'lookup', '-format=json'], { env: { ...env, COFFER_TOKEN: login.stdout } });
    assert.equal(JSON.parse(lookup.stdout).data.path, 'auth/ldap/login/bob');
  });

  test('wrong password exits 2', async () => {
    const login = await runCli(['login', '-method=ldap', 'username=alice', 'password=wrong-pw'], { env });
    assert.equal(login.code, 2);
    assert.equal(login.stdout, '');
    assert.ok(
      login.stderr.startsWith(`Error authenticating: Error making API request.\n\nURL: PUT ${server.address}/v1/auth/ldap/login/alice\nCode: 400. Errors:\n\n* `),
      login.stderr,
    );
    assert.ok(!login.stderr.includes('wrong-pw'), login.stderr);
  });
});

describe('login requests', () => {
  let recorder: Recorder;
  const loginAuth = {
    client_token: 'issued-token-1',
    accessor: 'issued-accessor-1',
    policies: ['default'],
    token_policies: ['default'],
    metadata: { username: 'carol' },
    lease_duration: 3600,
    renewable: true,
  };

  before(async () => {
    recorder = await startRecorder();
  });

  beforeEach(() => {
    recorder.requests.length = 0;
    recorder.respondWith(() => ({ body: envelope({ auth: loginAuth }) }));
  });

  after(async () => {
    await recorder.close();
  });

  test('userpass sends password only', async () => {
    const login = await runCli(['login', '-method=userpass', '-no-store', '-field=token', 'username=carol', 'password=pw-1'], { env: recorder.env });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stdout, 'issued-token-1');
    assert.equal(recorder.requests.length, 1);
    const [request] = recorder.requests;
    assert.equal(request.method, 'PUT');
    assert.equal(request.path, '/v1/auth/userpass/login/carol');
    assert.deepEqual(request.body, { password: 'pw-1' });
    assert.equal(request.headers['x-vault-token'], undefined, `the login sent ${recorderToken}`);
  });

  test('ldap username from LOGNAME', async () => {
    const login = await runCli(['login', '-method=ldap', '-token-only', 'password=pw-1'], { env: { ...recorder.env, LOGNAME: 'carol', USER: 'other' } });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(recorder.requests[0].path, '/v1/auth/ldap/login/carol');
  });

  test('ldap without any username exits 1', async () => {
    const login = await runCli(['login', '-method=ldap', 'password=pw-1'], { env: recorder.env });
    assert.deepEqual(login, {
      code: 1,
      stdout: '',
      stderr: "'username' was not given and neither LOGNAME nor USER is set: coffer login -method=ldap username=NAME\n",
    });
    assert.equal(recorder.requests.length, 0);
  });

  test('mount key overrides path flag', async () => {
    const login = await runCli(['login', '-method=approle', '-path=ci', '-token-only', 'role_id=r-1', 'mount=/deploy/'], { env: recorder.env });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(recorder.requests[0].path, '/v1/auth/deploy/login');
    assert.deepEqual(recorder.requests[0].body, { role_id: 'r-1' });
  });

  test('response without auth exits 2', async () => {
    recorder.respondWith(() => ({ body: envelope({ data: { note: 'no token here' } }) }));
    const login = await runCli(['login', '-method=approle', 'role_id=r-1', 'secret_id=s-1'], { env: recorder.env });
    assert.deepEqual(login, { code: 2, stdout: '', stderr: 'Error authenticating: the response has no auth information with a token\n' });
  });

  test('empty response exits 2', async () => {
    recorder.respondWith(() => ({}));
    const login = await runCli(['login', '-method=approle', 'role_id=r-1', 'secret_id=s-1'], { env: recorder.env });
    assert.deepEqual(login, { code: 2, stdout: '', stderr: 'Error authenticating: the server returned an empty response\n' });
  });

  test('wrapped response without token exits 2', async () => {
    recorder.respondWith(() => ({
      body: envelope({ wrap_info: { token: 'wrapping-1', accessor: 'wa-1', ttl: 300, creation_time: '2024-05-01T10:00:00Z', creation_path: 'auth/approle/login' } }),
    }));
    const login = await runCli(['login', '-method=approle', '-wrap-ttl=5m', 'role_id=r-1', 'secret_id=s-1'], { env: recorder.env });
    assert.deepEqual(login, { code: 2, stdout: '', stderr: 'Error extracting token: wrapped response does not contain a token\n' });
    assert.equal(recorder.requests[0].headers['x-vault-wrap-ttl'], '5m0s');
  });
});
