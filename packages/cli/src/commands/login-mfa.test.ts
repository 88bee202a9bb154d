// `coffer login` against a server whose login enforcement requires TOTP:
// the passcode, computed by Debian's oathtool, comes from stdin, the
// terminal, or -mfa, COFFER_MFA and VAULT_MFA with the login request.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import { main } from '../index.js';
import type { InputStream } from '../io.js';
import { CapturedStream, runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer, testRootToken } from '../test-server.js';

describe('login with mfa', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let tokenFile: string;
  let methodId: string;
  let entityId: string;
  let totpKey: string;

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${server.address}/v1/${path}`, {
      method,
      headers: { 'X-Vault-Token': testRootToken, 'Content-Type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  }

  function currentCode(key = totpKey): string {
    return execFileSync('oathtool', ['--totp', '-b', key], { encoding: 'utf8' }).trim();
  }

  /** Gives alice a new key for a method and returns it, so that its codes were never used. */
  async function newKey(id: string): Promise<string> {
    assert.equal((await call('POST', 'identity/mfa/method/totp/admin-destroy', { method_id: id, entity_id: entityId })).status, 204);
    const generated = await call('POST', 'identity/mfa/method/totp/admin-generate', { method_id: id, entity_id: entityId });
    return new URL(generated.body.data.url).searchParams.get('secret')!;
  }

  /** Returns a code other than `code` with the same length. */
  function wrongCode(code: string): string {
    return code.replace(/^./, (digit) => String((Number(digit) + 1) % 10));
  }

  const loginArgs = ['login', '-method=userpass', '-no-print'];
  const userArgs = ['username=alice', 'password=pw'];

  before(async () => {
    server = await startDevServer();
    env = { COFFER_ADDR: server.address, HOME: server.home };
    tokenFile = join(server.home, '.coffer-token');
    assert.equal((await call('POST', 'sys/auth/userpass', { type: 'userpass' })).status, 204);
    assert.equal((await call('POST', 'auth/userpass/users/alice', { password: 'pw' })).status, 204);
    const first = await fetch(`${server.address}/v1/auth/userpass/login/alice`, { method: 'POST', body: JSON.stringify({ password: 'pw' }) });
    entityId = ((await first.json()) as { auth: { entity_id: string } }).auth.entity_id;
    const method = await call('POST', 'identity/mfa/method/totp', { issuer: 'Coffer', method_name: 'phone' });
    methodId = method.body.data.method_id;
    assert.equal((await call('POST', 'identity/mfa/login-enforcement/everyone', { mfa_method_ids: methodId, auth_method_types: 'userpass' })).status, 204);
  });

  beforeEach(async () => {
    await rm(tokenFile, { force: true });
    // A new key for each test, because a code that one test used is rejected in the next.
    totpKey = await newKey(methodId);
  });

  after(async () => {
    await server.close();
  });

  test('passcode from stdin completes login', async () => {
    const login = await runCli(['login', '-method=userpass', '-no-print', 'username=alice', 'password=pw'], { env, stdin: `${currentCode()}\n` });
    assert.deepEqual(login, { code: 0, stdout: '', stderr: '' });
    const token = await readFile(tokenFile, 'utf8');
    assert.match(token, /^hvs\./);

    const lookup = await runCli(['token', 'lookup', '-format=json'], { env });
    assert.equal(lookup.code, 0, lookup.stderr);
    assert.equal(JSON.parse(lookup.stdout).data.path, 'auth/userpass/login/alice');
  });

  test('wrong passcode exits 2', async () => {
    const wrong = wrongCode(currentCode());
    const login = await runCli(['login', '-method=userpass', 'username=alice', 'password=pw'], { env, stdin: `${wrong}\n` });
    assert.equal(login.code, 2);
    assert.equal(login.stdout, '');
    assert.equal(
      login.stderr,
      `Error validating MFA: Error making API request.\n\nURL: PUT ${server.address}/v1/sys/mfa/validate\nCode: 403. Errors:\n\n* failed to satisfy enforcement everyone. error: failed to validate TOTP passcode\n`,
    );
    await assert.rejects(readFile(tokenFile, 'utf8'), { code: 'ENOENT' });
  });

  test('empty stdin names the method', async () => {
    const login = await runCli(['login', '-method=userpass', 'username=alice', 'password=pw'], { env, stdin: '' });
    assert.deepEqual(login, { code: 1, stdout: '', stderr: 'Error authenticating: no passcode was given for MFA method "phone"\n' });
  });

  test('terminal prompt hides the passcode', async () => {
    const rawModes: boolean[] = [];
    const terminal = Object.assign(new PassThrough(), {
      isTTY: true,
      setRawMode: (mode: boolean) => {
        rawModes.push(mode);
        return terminal;
      },
    }) as unknown as InputStream & PassThrough;
    // The stream keeps the line until the prompt reads it.
    terminal.write(`${currentCode()}\r`);
    const stdout = new CapturedStream();
    const stderr = new CapturedStream();
    const code = await main(['login', '-method=userpass', '-no-print', 'username=alice', 'password=pw'], { stdin: terminal, stdout, stderr, env });

    assert.equal(code, 0, stderr.text);
    assert.equal(stderr.text, 'Enter the passcode for MFA method "phone" of type "totp" (will be hidden): \n');
    assert.equal(stdout.text, '');
    assert.deepEqual(rawModes, [true, false]);
    assert.match(await readFile(tokenFile, 'utf8'), /^hvs\./);
  });

  test('choice of methods prints instructions', async () => {
    const second = await call('POST', 'identity/mfa/method/totp', { issuer: 'Coffer', method_name: 'tablet' });
    const both = [methodId, second.body.data.method_id];
    assert.equal((await call('POST', 'identity/mfa/login-enforcement/everyone', { mfa_method_ids: both, auth_method_types: 'userpass' })).status, 204);
    try {
      const login = await runCli(['login', '-method=userpass', 'username=alice', 'password=pw'], { env, stdin: `${currentCode()}\n` });
      assert.equal(login.code, 2);
      assert.equal(login.stdout, '');
      assert.match(
        login.stderr,
        /^Error authenticating: the login needs MFA with a choice of methods\. Complete it with "coffer write sys\/mfa\/validate mfa_request_id=[0-9a-f-]{36} mfa_payload=\.\.\." within 5 minutes\.\n$/,
      );
      await assert.rejects(readFile(tokenFile, 'utf8'), { code: 'ENOENT' });
    } finally {
      assert.equal((await call('POST', 'identity/mfa/login-enforcement/everyone', { mfa_method_ids: methodId, auth_method_types: 'userpass' })).status, 204);
    }
  });

  test('token-only prints the token', async () => {
    const login = await runCli(['login', '-method=userpass', '-token-only', 'username=alice', 'password=pw'], { env, stdin: `${currentCode()}\n` });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /^hvs\.\S+$/);
    assert.equal(login.stderr, '');
  });

  test('-mfa logs in without a prompt', async () => {
    // Empty stdin: reading a passcode from it would fail the login.
    const byName = await runCli([...loginArgs, `-mfa=phone:${currentCode()}`, ...userArgs], { env, stdin: '' });
    assert.deepEqual(byName, { code: 0, stdout: '', stderr: '' });
    assert.match(await readFile(tokenFile, 'utf8'), /^hvs\./);
    const lookup = await runCli(['token', 'lookup', '-format=json'], { env });
    assert.equal(lookup.code, 0, lookup.stderr);
    assert.equal(JSON.parse(lookup.stdout).data.path, 'auth/userpass/login/alice');

    totpKey = await newKey(methodId);
    const byId = await runCli(['login', '-method=userpass', '-token-only', '-mfa', `${methodId}:${currentCode()}`, ...userArgs], { env, stdin: '' });
    assert.equal(byId.code, 0, byId.stderr);
    assert.match(byId.stdout, /^hvs\.\S+$/);
    assert.equal(byId.stderr, '');
  });

  test('-mfa leaves the terminal alone', { timeout: 20_000 }, async () => {
    const rawModes: boolean[] = [];
    const terminal = Object.assign(new PassThrough(), {
      isTTY: true,
      setRawMode: (mode: boolean) => {
        rawModes.push(mode);
        return terminal;
      },
    }) as unknown as InputStream & PassThrough;
    const stdout = new CapturedStream();
    const stderr = new CapturedStream();
    const code = await main([...loginArgs, `-mfa=phone:${currentCode()}`, ...userArgs], { stdin: terminal, stdout, stderr, env });

    assert.equal(code, 0, stderr.text);
    assert.equal(stderr.text, '');
    assert.equal(stdout.text, '');
    assert.deepEqual(rawModes, []);
    assert.match(await readFile(tokenFile, 'utf8'), /^hvs\./);
  });

  test('COFFER_MFA and VAULT_MFA set -mfa', async () => {
    const cases: [string, Record<string, string>, string[]][] = [
      ['VAULT_MFA', { VAULT_MFA: 'phone:{code}' }, []],
      ['COFFER_MFA over VAULT_MFA', { COFFER_MFA: 'phone:{code}', VAULT_MFA: 'phone:{wrong}' }, []],
      ['-mfa over COFFER_MFA', { COFFER_MFA: 'phone:{wrong}' }, ['-mfa=phone:{code}']],
    ];
    for (const [label, settings, flags] of cases) {
      totpKey = await newKey(methodId);
      const code = currentCode();
      const fill = (text: string): string => text.replace('{code}', code).replace('{wrong}', wrongCode(code));
      const mfaEnv = Object.fromEntries(Object.entries(settings).map(([name, value]) => [name, fill(value)]));
      const login = await runCli([...loginArgs, ...flags.map(fill), ...userArgs], { env: { ...env, ...mfaEnv }, stdin: '' });
      assert.deepEqual(login, { code: 0, stdout: '', stderr: '' }, label);
    }
  });

  test('wrong -mfa passcode exits 2', async () => {
    const login = await runCli([...loginArgs, `-mfa=phone:${wrongCode(currentCode())}`, ...userArgs], { env, stdin: '' });
    assert.deepEqual(login, {
      code: 2,
      stdout: '',
      stderr: `Error authenticating: Error making API request.\n\nURL: PUT ${server.address}/v1/auth/userpass/login/alice\nCode: 403. Errors:\n\n* failed to satisfy enforcement everyone. error: failed to validate TOTP passcode\n`,
    });
    await assert.rejects(readFile(tokenFile, 'utf8'), { code: 'ENOENT' });
  });

  test('malformed -mfa exits 1 without the value', async () => {
    const expected = 'expected <method name or ID>:<passcode>, such as -mfa=phone:123456\n';
    for (const value of ['654321', 'phone:', ':654321', '']) {
      const login = await runCli([...loginArgs, '-mfa=phone:111111', `-mfa=${value}`, ...userArgs], { env, stdin: '' });
      assert.deepEqual(login, { code: 1, stdout: '', stderr: `invalid -mfa flag 2: ${expected}` }, value);
    }
    const fromEnv = await runCli([...loginArgs, ...userArgs], { env: { ...env, VAULT_MFA: 'phone:111111,654321' }, stdin: '' });
    assert.deepEqual(fromEnv, { code: 1, stdout: '', stderr: `invalid MFA credential 2 of COFFER_MFA or VAULT_MFA: ${expected}` });
    await assert.rejects(readFile(tokenFile, 'utf8'), { code: 'ENOENT' });
  });

  test('one -mfa per enforcement', async () => {
    const laptop = await call('POST', 'identity/mfa/method/totp', { issuer: 'Coffer', method_name: 'laptop' });
    const laptopId = laptop.body.data.method_id as string;
    assert.equal((await call('POST', 'identity/mfa/login-enforcement/second', { mfa_method_ids: laptopId, auth_method_types: 'userpass' })).status, 204);
    try {
      let laptopKey = await newKey(laptopId);
      // Two headers, one line each.
      const flags = await runCli([...loginArgs, `-mfa=phone:${currentCode()}`, `-mfa=laptop:${currentCode(laptopKey)}`, ...userArgs], { env, stdin: '' });
      assert.deepEqual(flags, { code: 0, stdout: '', stderr: '' });

      totpKey = await newKey(methodId);
      laptopKey = await newKey(laptopId);
      const fromEnv = await runCli([...loginArgs, ...userArgs], { env: { ...env, VAULT_MFA: `phone:${currentCode()}, ${laptopId}:${currentCode(laptopKey)}` }, stdin: '' });
      assert.deepEqual(fromEnv, { code: 0, stdout: '', stderr: '' });

      totpKey = await newKey(methodId);
      const oneOfTwo = await runCli([...loginArgs, `-mfa=phone:${currentCode()}`, ...userArgs], { env, stdin: '' });
      assert.equal(oneOfTwo.code, 2);
      assert.match(oneOfTwo.stderr, /\* failed to satisfy enforcement second\. error: no passcode was given for any of its MFA methods\n$/);
    } finally {
      assert.equal((await call('DELETE', 'identity/mfa/login-enforcement/second')).status, 204);
      assert.equal((await call('DELETE', `identity/mfa/method/totp/${laptopId}`)).status, 204);
    }
  });

  test('-mfa with non-latin1 method name', async () => {
    const created = await call('POST', 'identity/mfa/method/totp', { issuer: 'Coffer', method_name: '电话' });
    const id = created.body.data.method_id as string;
    assert.equal((await call('POST', 'identity/mfa/login-enforcement/second', { mfa_method_ids: id, auth_method_types: 'userpass' })).status, 204);
    try {
      const key = await newKey(id);
      const login = await runCli([...loginArgs, `-mfa=phone:${currentCode()}`, `-mfa=电话:${currentCode(key)}`, ...userArgs], { env, stdin: '' });
      assert.deepEqual(login, { code: 0, stdout: '', stderr: '' });
    } finally {
      assert.equal((await call('DELETE', 'identity/mfa/login-enforcement/second')).status, 204);
      assert.equal((await call('DELETE', `identity/mfa/method/totp/${id}`)).status, 204);
    }
  });

  test('-mfa without enforcement warns', async () => {
    assert.equal((await call('DELETE', 'identity/mfa/login-enforcement/everyone')).status, 204);
    try {
      const login = await runCli(['login', '-method=userpass', '-no-store', '-mfa=phone:123456', ...userArgs], { env, stdin: '' });
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stderr, /WARNING! The following warnings were returned from the server:\n\n {2}\* Found MFA header but failed to find MFA Enforcement Config\n/);
      assert.match(login.stdout, /^token +hvs\./m);
    } finally {
      assert.equal((await call('POST', 'identity/mfa/login-enforcement/everyone', { mfa_method_ids: methodId, auth_method_types: 'userpass' })).status, 204);
    }
  });
});
