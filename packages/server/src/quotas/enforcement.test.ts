import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readEntries } from '../audit/test-support.js';
import type { RunningServer } from '../server.js';
import { DEFAULT_EXEMPT_PATHS } from './quota-manager.js';
import { MAX_CLIENTS_PER_QUOTA, RateLimiter } from './rate-limiter.js';
import { sendFrom, sleep, statuses, type SourcedResponse } from './test-support.js';
import { startDevServer } from '../testing/api-client.js';

const ROOT = 'root-quota-enforcement-test';
const FIRST = '127.0.0.1';
const SECOND = '127.0.0.2';
/** An interval no test outlasts, so that counts never start over mid-test. */
const LONG_INTERVAL = '1h';

describe('rate limit enforcement', () => {
  let server: RunningServer;
  let directory: string;

  /** Sends a request as root from `from`. */
  const send = (method: string, path: string, from = FIRST, body?: unknown): Promise<SourcedResponse> => sendFrom(server, method, path, { from, token: ROOT, body });

  /** Writes a quota as root from the first address, which the quota paths' exemption keeps unlimited. */
  async function writeQuota(name: string, body: Record<string, unknown>): Promise<void> {
    const response = await send('POST', `sys/quotas/rate-limit/${name}`, FIRST, body);
    assert.equal(response.status, 204, JSON.stringify(response.body));
  }

  async function writeConfig(body: Record<string, unknown>): Promise<void> {
    const response = await send('POST', 'sys/quotas/config', FIRST, body);
    assert.equal(response.status, 204, JSON.stringify(response.body));
  }

  async function deleteQuotas(...names: string[]): Promise<void> {
    for (const name of names) assert.equal((await send('DELETE', `sys/quotas/rate-limit/${name}`)).status, 204);
  }

  async function mountKv(path: string): Promise<void> {
    assert.equal((await send('POST', `sys/mounts/${path}`, FIRST, { type: 'kv' })).status, 204);
  }

  before(async () => {
    server = await startDevServer(ROOT);
    directory = await mkdtemp(join(tmpdir(), 'coffer-quota-enforcement-'));
    // The quota paths are exempt, so a global quota cannot lock the tests out of removing it.
    await writeConfig({ rate_limit_exempt_paths: [...DEFAULT_EXEMPT_PATHS, 'sys/quotas/*'] });
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('no quota means no limit', async () => {
    assert.equal(server.core.quotas.active, false);
    assert.deepEqual(await statuses(20, () => send('GET', 'sys/mounts', SECOND)), Array(20).fill(200));
  });

  test('most specific quota wins', async () => {
    await mountKv('prec');
    await writeQuota('prec-global', { rate: 6, interval: LONG_INTERVAL });
    await writeQuota('prec-mount', { path: 'prec/', rate: 4, interval: LONG_INTERVAL });
    await writeQuota('prec-prefix', { path: 'prec/team/*', rate: 3, interval: LONG_INTERVAL });
    await writeQuota('prec-exact', { path: 'prec/team/lead', rate: 2, interval: LONG_INTERVAL });
    try {
      assert.deepEqual(await statuses(3, () => send('GET', 'prec/team/lead', SECOND)), [404, 404, 429], 'the exact path quota');
      assert.deepEqual(await statuses(4, () => send('GET', 'prec/team/other', SECOND)), [404, 404, 404, 429], 'the prefix quota');
      assert.deepEqual(await statuses(5, () => send('GET', 'prec/misc', SECOND)), [404, 404, 404, 404, 429], 'the mount quota');
      assert.deepEqual(await statuses(7, () => send('GET', 'sys/mounts', SECOND)), [200, 200, 200, 200, 200, 200, 429], 'the global quota');

      const rejected = await send('GET', 'prec/team/lead', SECOND);
      assert.equal(rejected.status, 429);
      assert.deepEqual(rejected.body, { errors: ['request path "prec/team/lead": rate limit quota exceeded'] });
    } finally {
      await deleteQuotas('prec-global', 'prec-mount', 'prec-prefix', 'prec-exact');
    }
    assert.equal(server.core.quotas.active, false);
    assert.equal((await send('GET', 'prec/team/lead', SECOND)).status, 404, 'deleting the quotas lifts the limit');
  });

  test('clients counted separately', async () => {
    await mountKv('sep');
    await writeQuota('sep', { path: 'sep/', rate: 2, interval: LONG_INTERVAL });
    try {
      assert.deepEqual(await statuses(3, () => send('GET', 'sep/x', FIRST)), [404, 404, 429]);
      assert.deepEqual(await statuses(3, () => send('GET', 'sep/x', SECOND)), [404, 404, 429], 'the second address has its own count');
      assert.equal((await send('GET', 'sep/x', FIRST)).status, 429);
      assert.equal(server.core.quotas.clientCount(), 2);

      // Only a standby holding the forwarding key can pass on another client's address.
      const spoofed = await sendFrom(server, 'GET', 'sep/x', {
        from: SECOND,
        token: ROOT,
        headers: { 'X-Coffer-Forwarded-For': '10.1.2.3', 'X-Coffer-Forwarding-Key': 'guessed' },
      });
      assert.equal(spoofed.status, 429, 'a client cannot claim another address');
      assert.equal(server.core.quotas.clientCount(), 2);
    } finally {
      await deleteQuotas('sep');
    }
  });

  test('rejected write changes nothing', async () => {
    await mountKv('frozen');
    await writeQuota('frozen', { path: 'frozen/', rate: 1, interval: LONG_INTERVAL });
    try {
      assert.equal((await send('PUT', 'frozen/item', SECOND, { value: 'first' })).status, 204);
      const rejected = await send('PUT', 'frozen/item', SECOND, { value: 'second' });
      assert.equal(rejected.status, 429);
      assert.deepEqual(rejected.body, { errors: ['request path "frozen/item": rate limit quota exceeded'] });
      const read = await send('GET', 'frozen/item', FIRST);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body.data, { value: 'first' });

      // Each rejection counts in Vault's metric, labelled with the quota's name.
      const metrics = await send('GET', 'sys/metrics', FIRST);
      const violations = (metrics.body.Counters as Array<{ Name: string; Count: number; Labels: Record<string, string> }>).filter(
        (counter) => counter.Name.endsWith('quota.rate_limit.violation') && counter.Labels.name === 'frozen',
      );
      assert.equal(violations.length, 1);
      assert.equal(violations[0].Count, 1);
    } finally {
      await deleteQuotas('frozen');
    }
  });

  test('block_interval outlasts the window', async () => {
    await mountKv('blocked');
    await mountKv('unblocked');
    await writeQuota('blocked', { path: 'blocked/', rate: 1, interval: '1s', block_interval: '3s' });
    await writeQuota('unblocked', { path: 'unblocked/', rate: 1, interval: '1s' });
    try {
      assert.deepEqual(await statuses(2, () => send('GET', 'blocked/x', SECOND)), [404, 429]);
      assert.deepEqual(await statuses(2, () => send('GET', 'unblocked/x', SECOND)), [404, 429]);
      // Both windows have ended; only the block is still running.
      await sleep(1_500);
      assert.equal((await send('GET', 'unblocked/x', SECOND)).status, 404, 'a new window without a block');
      assert.equal((await send('GET', 'blocked/x', SECOND)).status, 429, 'still blocked');
      await sleep(2_100);
      assert.equal((await send('GET', 'blocked/x', SECOND)).status, 404, 'the block has ended');
    } finally {
      await deleteQuotas('blocked', 'unblocked');
    }
  });

  test('exempt paths are never limited', async () => {
    await writeQuota('exempt-global', { rate: 1, interval: LONG_INTERVAL });
    try {
      assert.deepEqual(await statuses(3, () => send('GET', 'sys/health', SECOND)), [200, 200, 200]);
      assert.deepEqual(await statuses(3, () => send('GET', 'sys/seal-status', SECOND)), [200, 200, 200]);
      assert.deepEqual(await statuses(2, () => send('GET', 'sys/mounts', SECOND)), [200, 429]);

      assert.deepEqual(await statuses(1, () => send('GET', 'sys/internal/ui/mounts', SECOND)), [429]);
      await writeConfig({ rate_limit_exempt_paths: [...DEFAULT_EXEMPT_PATHS, 'sys/quotas/*', 'sys/mounts', 'sys/internal/*'] });
      assert.deepEqual(await statuses(2, () => send('GET', 'sys/mounts', SECOND)), [200, 200], 'a path added to the list');
      assert.deepEqual(await statuses(2, () => send('GET', 'sys/internal/ui/mounts', SECOND)), [200, 200], 'a prefix added to the list');
      await writeConfig({ rate_limit_exempt_paths: ['sys/quotas/*'] });
      assert.equal((await send('GET', 'sys/health', SECOND)).status, 429, 'a path removed from the list');
    } finally {
      await writeConfig({ rate_limit_exempt_paths: [...DEFAULT_EXEMPT_PATHS, 'sys/quotas/*'] });
      await deleteQuotas('exempt-global');
    }
  });

  test('response headers follow the setting', async () => {
    await mountKv('headers');
    await writeQuota('headers', { path: 'headers/', rate: 3, interval: LONG_INTERVAL });
    try {
      const quiet = await send('GET', 'headers/x', SECOND);
      assert.equal(quiet.status, 404);
      assert.equal(quiet.headers['x-ratelimit-limit'], undefined);
      assert.equal(quiet.headers['x-ratelimit-remaining'], undefined);
      assert.equal(quiet.headers['x-ratelimit-reset'], undefined);

      await writeConfig({ enable_rate_limit_response_headers: true });
      const second = await send('GET', 'headers/x', SECOND);
      assert.equal(second.status, 404);
      assert.equal(second.headers['x-ratelimit-limit'], '3');
      assert.equal(second.headers['x-ratelimit-remaining'], '1');
      const reset = Number(second.headers['x-ratelimit-reset']);
      assert.ok(reset > 3_500, `X-Ratelimit-Reset is the rest of the hour-long window: ${reset}`);
      assert.ok(reset <= 3_600, `X-Ratelimit-Reset is at most the window: ${reset}`);
      assert.equal(second.headers['retry-after'], undefined);

      assert.equal((await send('GET', 'headers/x', SECOND)).headers['x-ratelimit-remaining'], '0');
      const rejected = await send('GET', 'headers/x', SECOND);
      assert.equal(rejected.status, 429);
      assert.equal(rejected.headers['x-ratelimit-limit'], '3');
      assert.equal(rejected.headers['x-ratelimit-remaining'], '0');
      const retryAfter = Number(rejected.headers['retry-after']);
      assert.ok(retryAfter > 3_500, `Retry-After is the rest of the window: ${retryAfter}`);
      assert.ok(retryAfter <= 3_600, `Retry-After is at most the window: ${retryAfter}`);
      assert.equal(rejected.headers['retry-after'], rejected.headers['x-ratelimit-reset']);

      const unlimited = await send('GET', 'sys/mounts', SECOND);
      assert.equal(unlimited.status, 200);
      assert.equal(unlimited.headers['x-ratelimit-limit'], undefined, 'no header on a path without a quota');

      await writeConfig({ enable_rate_limit_response_headers: false });
      const plain = await send('GET', 'headers/x', SECOND);
      assert.equal(plain.status, 429);
      assert.equal(plain.headers['retry-after'], undefined);
      assert.equal(plain.headers['x-ratelimit-limit'], undefined);
    } finally {
      await writeConfig({ enable_rate_limit_response_headers: false });
      await deleteQuotas('headers');
    }
  });

  test('rejections audited only when enabled', async () => {
    const log = join(directory, 'audit.log');
    assert.equal((await send('PUT', 'sys/audit/quota-file', FIRST, { type: 'file', options: { file_path: log } })).status, 204);
    await mountKv('audited');
    await writeQuota('audited', { path: 'audited/', rate: 1, interval: LONG_INTERVAL });
    const message = 'request path "audited/x": rate limit quota exceeded';
    const rejections = async (): Promise<any[]> => (await readEntries(log)).filter((entry) => entry.error === message);
    try {
      assert.equal((await send('GET', 'audited/x', SECOND)).status, 404);
      assert.equal((await send('GET', 'audited/x', SECOND)).status, 429);
      assert.deepEqual(await rejections(), [], 'not audited by default');

      await writeConfig({ enable_rate_limit_audit_logging: true });
      assert.equal((await send('GET', 'audited/x', SECOND)).status, 429);
      const entries = await rejections();
      assert.equal(entries.length, 1);
      assert.equal(entries[0].type, 'request');
      assert.equal(entries[0].request.path, 'audited/x');
      assert.equal(entries[0].request.operation, 'read');
      assert.equal(entries[0].request.remote_address, SECOND);
      assert.match(entries[0].request.client_token, /^hmac-sha256:/, 'the token is audited as an HMAC');

      await writeConfig({ enable_rate_limit_audit_logging: false });
      assert.equal((await send('GET', 'audited/x', SECOND)).status, 429);
      assert.equal((await rejections()).length, 1, 'not audited once disabled again');
    } finally {
      await writeConfig({ enable_rate_limit_audit_logging: false });
      await deleteQuotas('audited');
      assert.equal((await send('DELETE', 'sys/audit/quota-file')).status, 204);
    }
  });

  test('idle client state dropped', async () => {
    await mountKv('idle');
    await writeQuota('idle', { path: 'idle/', rate: 5, interval: '1s' });
    try {
      await send('GET', 'idle/x', FIRST);
      await send('GET', 'idle/x', SECOND);
      assert.equal(server.core.quotas.clientCount(), 2);
      assert.equal(server.core.quotas.sweep(), 0, 'windows still open are kept');
      await sleep(1_200);
      assert.equal(server.core.quotas.sweep(), 2);
      assert.equal(server.core.quotas.clientCount(), 0);
    } finally {
      await deleteQuotas('idle');
    }
  });
});

test('rate limiter caps tracked clients', () => {
  const limiter = new RateLimiter({ name: 'cap', mountPath: '', pathSuffix: '', rate: 1, interval: 3600, blockInterval: 0, inheritable: true });
  const now = Date.now();
  for (let index = 0; index <= MAX_CLIENTS_PER_QUOTA; index += 1) limiter.take(`10.${index >> 16}.${(index >> 8) & 255}.${index & 255}`, now);
  assert.equal(limiter.clientCount, MAX_CLIENTS_PER_QUOTA);
  // The first address was dropped to make room, so it starts a new window.
  assert.equal(limiter.take('10.0.0.0', now).allowed, true);
  assert.equal(limiter.take('10.0.0.0', now).allowed, false);
});
