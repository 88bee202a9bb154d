// `coffer login` against a server whose login enforcement requires TOTP:
// the passcode, computed by Debian's oathtool, comes from stdin.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer, testRootToken } from '../test-server.js';

describe('login with mfa', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let tokenFile: string;
  let methodId: string;
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

  /** Returns the TOTP code `offsetSeconds` from now; the server accepts the next step's code as skew 1 allows. */
  function currentCode(offsetSeconds = 0): string {
    const now = Math.floor(Date.now() / 1000) + offsetSeconds;
    return execFileSync('oathtool', ['--totp', '-b', `--now=@${now}`, totpKey], { encoding: 'utf8' }).trim();
  }

  before(async () => {
    server = await startDevServer();
    env = { COFFER_ADDR: server.address, HOME: server.home };
    tokenFile = join(server.home, '.coffer-token');
    assert.equal((await call('POST', 'sys/auth/userpass', { type: 'userpass' })).status, 204);
    assert.equal((await call('POST', 'auth/userpass/users/alice', { password: 'pw' })).status, 204);
    const first = await fetch(`${server.address}/v1/auth/userpass/login/alice`, { method: 'POST', body: JSON.stringify({ password: 'pw' }) });
    const entityId = ((await first.json()) as { auth: { entity_id: string } }).auth.entity_id;
    const method = await call('POST', 'identity/mfa/method/totp', { issuer: 'Coffer', method_name: 'phone' });
    methodId = method.body.data.method_id;
    const generated = await call('POST', 'identity/mfa/method/totp/admin-generate', { method_id: methodId, entity_id: entityId });
    totpKey = new URL(generated.body.data.url).searchParams.get('secret')!;
    assert.equal((await call('POST', 'identity/mfa/login-enforcement/everyone', { mfa_method_ids: methodId, auth_method_types: 'userpass' })).status, 204);
  });

  beforeEach(async () => {
    await rm(tokenFile, { force: true });
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

  test('token-only prints the token', async () => {
    // The current code was used by the first test, and a used code is rejected.
    const login = await runCli(['login', '-method=userpass', '-token-only', 'username=alice', 'password=pw'], { env, stdin: `${currentCode(30)}\n` });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /^hvs\.\S+$/);
    assert.equal(login.stderr, '');
  });
});
