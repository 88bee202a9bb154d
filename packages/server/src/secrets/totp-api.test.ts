/**
 * The TOTP engine through a real dev server: a token whose policy grants
 * only `code/<name>` can generate and validate codes of that key and do
 * nothing else with the mount.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const run = promisify(execFile);

const ROOT = 'root-totp-test-token';
const KEY = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

const CODE_POLICY = `
path "totp/code/login" {
  capabilities = ["read", "update"]
}
`;

/** Returns oathtool's SHA-256, 8-digit code of KEY at `nowMs`. */
async function oathtool(nowMs: number): Promise<string> {
  const args = ['--totp=sha256', '--digits=8', '--time-step-size=30s', `--now=@${Math.floor(nowMs / 1000)}`, '--base32', KEY];
  return (await run('oathtool', args)).stdout.trim();
}

describe('totp over HTTP', () => {
  let server: RunningServer;
  let token: string;

  before(async () => {
    server = await startDevServer(ROOT);
    assert.equal((await api(server, 'POST', 'sys/mounts/totp', { token: ROOT, body: { type: 'totp' } })).status, 204);
    const created = await api(server, 'POST', 'totp/keys/login', { token: ROOT, body: { key: KEY, algorithm: 'SHA256', digits: 8 } });
    assert.equal(created.status, 204);
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/totp-login', { token: ROOT, body: { policy: CODE_POLICY } })).status, 204);
    const issued = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['totp-login'], no_default_policy: true, ttl: '10m' } });
    assert.equal(issued.status, 200);
    token = issued.body.auth.client_token as string;
  });
  after(() => server.close());

  test('code read matches oathtool', async () => {
    const startedAt = Date.now();
    const response = await api(server, 'GET', 'totp/code/login', { token });
    const finishedAt = Date.now();

    assert.equal(response.status, 200);
    assert.equal(response.body.lease_id, '');
    assert.equal(response.body.renewable, false);
    assert.deepEqual(Object.keys(response.body.data), ['code']);
    // The request may cross a step boundary, so the code must be oathtool's for one of the two ends.
    const expected = new Set([await oathtool(startedAt), await oathtool(finishedAt)]);
    assert.ok(expected.has(response.body.data.code), `code ${response.body.data.code} is not one of ${[...expected].join(', ')}`);
  });

  test('a code validates only once', async () => {
    const code = await oathtool(Date.now());

    const first = await api(server, 'POST', 'totp/code/login', { token, body: { code } });
    const second = await api(server, 'POST', 'totp/code/login', { token, body: { code } });

    assert.equal(first.status, 200);
    assert.deepEqual(first.body.data, { valid: true });
    assert.equal(second.status, 400);
    assert.deepEqual(second.body, { errors: ['code already used; wait until the next time period'] });
  });

  test('concurrent validations of one code pass once', async () => {
    assert.equal((await api(server, 'POST', 'totp/keys/race', { token: ROOT, body: { key: KEY, algorithm: 'SHA256', digits: 8 } })).status, 204);
    const code = await oathtool(Date.now());

    const responses = await Promise.all(Array.from({ length: 6 }, () => api(server, 'POST', 'totp/code/race', { token: ROOT, body: { code } })));

    const passed = responses.filter((response) => response.status === 200);
    const rejected = responses.filter((response) => response.status === 400);
    assert.equal(passed.length, 1);
    assert.deepEqual(passed[0]!.body.data, { valid: true });
    assert.equal(rejected.length, 5);
    for (const response of rejected) assert.deepEqual(response.body, { errors: ['code already used; wait until the next time period'] });
  });

  test('a wrong code is not valid', async () => {
    const code = await oathtool(Date.now() - 10 * 60_000);
    const response = await api(server, 'POST', 'totp/code/login', { token, body: { code } });

    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, { valid: false });
  });

  test('the code token can do nothing else', async () => {
    const denied: [string, string, unknown][] = [
      ['GET', 'totp/keys/login', undefined],
      ['LIST', 'totp/keys', undefined],
      ['POST', 'totp/keys/login', { key: 'JBSWY3DPEHPK3PXP' }],
      ['DELETE', 'totp/keys/login', undefined],
      ['GET', 'totp/code/other', undefined],
    ];
    for (const [method, path, body] of denied) {
      const response = await api(server, method, path, { token, body });
      assert.equal(response.status, 403, `${method} ${path}`);
      assert.deepEqual(response.body, { errors: ['permission denied'] }, `${method} ${path}`);
    }

    const read = await api(server, 'GET', 'totp/keys/login', { token: ROOT });
    assert.deepEqual(read.body.data, { issuer: '', account_name: '', period: 30, algorithm: 'SHA256', digits: 8 });
  });

  test('a missing code is a 400 naming the field', async () => {
    const response = await api(server, 'POST', 'totp/code/login', { token, body: {} });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['the code value is required'] });
  });

  test('a generated key returns its url and QR code', async () => {
    const response = await api(server, 'POST', 'totp/keys/generated', { token: ROOT, body: { generate: true, issuer: 'Coffer', account_name: 'ops@example.com', qr_size: 120 } });

    assert.equal(response.status, 200);
    assert.match(response.body.data.url, /^otpauth:\/\/totp\/Coffer:ops@example\.com\?algorithm=SHA1&digits=6&issuer=Coffer&period=30&secret=[A-Z2-7]{32}$/);
    const png = Buffer.from(response.body.data.barcode, 'base64');
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(png.readUInt32BE(16), 120);
    assert.equal(png.readUInt32BE(20), 120);

    const list = await api(server, 'LIST', 'totp/keys', { token: ROOT });
    assert.deepEqual(list.body.data, { keys: ['generated', 'login', 'race'] });
  });
});
