import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { cpus, hostname, release } from 'node:os';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const ROOT = 'root-host-info-token';

describe('sys/host-info', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(ROOT);
  });
  after(() => server.close());

  test('returns gopsutil-shaped host facts', async () => {
    const before = Date.now();
    const response = await api(server, 'GET', 'sys/host-info', { token: ROOT });
    assert.equal(response.status, 200);
    const data = response.body.data;
    assert.deepEqual(Object.keys(data).sort(), ['cpu', 'cpu_times', 'disk', 'host', 'memory', 'timestamp']);

    assert.equal(data.cpu.length, cpus().length);
    assert.deepEqual(Object.keys(data.cpu[0]).sort(), [
      'cacheSize', 'coreId', 'cores', 'cpu', 'family', 'flags', 'mhz', 'microcode', 'model', 'modelName', 'physicalId', 'stepping', 'vendorId',
    ]);
    assert.deepEqual(data.cpu.map((cpu: { cpu: number }) => cpu.cpu), cpus().map((_cpu, index) => index));

    assert.equal(data.cpu_times.length, 1);
    assert.deepEqual(Object.keys(data.cpu_times[0]).sort(), ['cpu', 'guest', 'guestNice', 'idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user']);
    assert.equal(data.cpu_times[0].cpu, 'cpu-total');

    for (const disk of data.disk) {
      assert.deepEqual(Object.keys(disk).sort(), ['free', 'fstype', 'inodesFree', 'inodesTotal', 'inodesUsed', 'inodesUsedPercent', 'path', 'total', 'used', 'usedPercent']);
      assert.ok(disk.total >= disk.used, disk.path);
    }

    assert.equal(data.host.hostname, hostname());
    assert.equal(data.host.kernelVersion, release());
    assert.equal(data.host.os, process.platform);
    assert.ok(data.host.procs >= 1);
    assert.equal(data.host.bootTime, Math.floor(Date.parse(data.timestamp) / 1000) - data.host.uptime);

    const memTotal = /^MemTotal:\s+(\d+) kB/m.exec(await readFile('/proc/meminfo', 'utf8'));
    assert.equal(data.memory.total, Number(memTotal![1]) * 1024);
    assert.ok(data.memory.used > 0, `used ${data.memory.used}`);
    assert.ok(data.memory.used <= data.memory.total, `used ${data.memory.used} of ${data.memory.total}`);
    assert.ok(data.memory.available > 0);

    const timestamp = Date.parse(data.timestamp);
    assert.ok(timestamp >= before, data.timestamp);
    assert.ok(timestamp <= Date.now(), data.timestamp);
  });

  test('needs a policy for the path but not sudo', async () => {
    const plain = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } });
    const denied = await api(server, 'GET', 'sys/host-info', { token: plain.body.auth.client_token });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.body, { errors: ['permission denied'] });

    // Vault's example admin policy grants only "read" on sys/host-info.
    const policy = 'path "sys/host-info" { capabilities = ["read"] }';
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/host-reader', { token: ROOT, body: { policy } })).status, 204);
    const reader = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['host-reader'] } });
    assert.equal((await api(server, 'GET', 'sys/host-info', { token: reader.body.auth.client_token })).status, 200);
  });
});
