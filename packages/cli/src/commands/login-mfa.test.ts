// `coffer login` against a server whose login enforcement requires TOTP:
// the passcode, computed by Debian's oathtool, comes from stdin.
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

  function currentCode(): string {
    return execFileSync('oathtool', ['--totp', '-b', totpKey], { encoding: 'utf8' }).trim();
  }

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
    assert.equal((await call('POST', 'identity/mfa/method/totp/admin-destroy', { method_id: methodId, entity_id: entityId })).status, 204);
    const generated = await call('POST', 'identity/mfa/method/totp/admin-generate', { method_id: methodId, entity_id: entityId });
    totpKey = new URL(generated.body.data.url).searchParams.get('secret')!;
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
    const wrong = currentCode().replace(/^./, (digit) => String((Number(digit) + 1) % 10));
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
});
