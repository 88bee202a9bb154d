import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { formatRfc822, keyStatusText } from './status.js';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

/** Returns a loopback address where nothing listens, by binding a port and closing it. */
async function unusedAddress(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('status', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
  });

  after(async () => {
    await server.close();
  });

  test('unsealed server exits 0', async () => {
    const status = await runCli(['status'], { env: { COFFER_ADDR: server.address, HOME: server.home } });
    assert.equal(status.code, 0, status.stderr);
    // The cluster name and ID are random, and a server may leave them out.
    const lines = status.stdout.split('\n').filter((line) => !/^Cluster (Name|ID) {4,6}\S+$/.test(line));
    assert.deepEqual(lines, [
      'Key             Value',
      '---             -----',
      'Seal Type       shamir',
      'Initialized     true',
      'Sealed          false',
      'Total Shares    1',
      'Threshold       1',
      'Version         0.1.0',
      'Storage Type    inmem',
      'HA Enabled      false',
      '',
    ]);
  });

  test('json format', async () => {
    const status = await runCli(['status', '-format=json'], { env: server.env });
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout);
    assert.equal(parsed.sealed, false);
    assert.equal(parsed.initialized, true);
    assert.equal(parsed.ha_enabled, false);
    assert.equal(parsed.storage_type, 'inmem');
  });

  test('VAULT_ADDR works as fallback', async () => {
    const status = await runCli(['status'], { env: { VAULT_ADDR: server.address, HOME: server.home } });
    assert.equal(status.code, 0, status.stderr);
  });

  test('address flag wins over environment', async () => {
    const offline = await unusedAddress();
    const status = await runCli(['status', `-address=${server.address}`], { env: { COFFER_ADDR: offline, HOME: server.home } });
    assert.equal(status.code, 0, status.stderr);
  });

  test('unreachable server exits 1', async () => {
    const offline = await unusedAddress();
    const status = await runCli(['status'], { env: { COFFER_ADDR: offline, HOME: server.home } });
    assert.equal(status.code, 1);
    assert.equal(status.stdout, '');
    assert.equal(
      status.stderr,
      `Error checking seal status: GET ${offline}/v1/sys/seal-status: connect ECONNREFUSED ${offline.slice('http://'.length)}; ` +
        'check that the server is running and that -address, COFFER_ADDR or VAULT_ADDR points to it\n',
    );
  });

  test('bad format exits 1', async () => {
    const status = await runCli(['status', '-format=xml'], { env: server.env });
    assert.deepEqual(status, { code: 1, stdout: '', stderr: 'invalid value "xml" for flag -format: supported formats are "table", "json" and "yaml"\n' });
  });

  test('yaml format sorts keys', async () => {
    const status = await runCli(['status', '-format=yml'], { env: server.env });
    assert.equal(status.code, 0, status.stderr);
    const lines = status.stdout.split('\n');
    assert.equal(lines[0], 'build_date: ""');
    assert.ok(lines.includes('sealed: false'), status.stdout);
    assert.ok(lines.includes('type: shamir'), status.stdout);
  });

  test('format from environment', async () => {
    const status = await runCli(['status'], { env: { ...server.env, COFFER_FORMAT: 'json' } });
    assert.equal(JSON.parse(status.stdout).sealed, false);
  });

  test('extra argument exits 1', async () => {
    const status = await runCli(['status', 'extra'], { env: server.env });
    assert.deepEqual(status, { code: 1, stdout: '', stderr: 'Too many arguments (expected 0, got 1)\n' });
  });
});

describe('key status text', () => {
  test('RFC822 in UTC', () => {
    assert.equal(formatRfc822('2024-03-05T07:08:09.123Z'), '05 Mar 24 07:08 UTC');
    assert.equal(formatRfc822('not a time'), 'not a time');
  });

  test('three aligned rows', () => {
    assert.equal(
      keyStatusText({ term: 3, install_time: '2024-03-05T07:08:09Z', encryptions: 12 }),
      'Key Term            3\nInstall Time        05 Mar 24 07:08 UTC\nEncryption Count    12',
    );
  });
});
