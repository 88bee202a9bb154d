/**
 * sys/metrics on a real server: formats, authorization, the listener that
 * serves metrics without a token, and a real Prometheus server (Debian's
 * `prometheus` package) scraping it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startConfiguredServer } from '../testing/api-client.js';

const PROMETHEUS = '/usr/bin/prometheus';

/** A server whose first listener serves metrics without a token and whose second needs one. */
const CONFIG = `storage "inmem" {}
telemetry {
  disable_hostname = true
  usage_gauge_period = "1s"
}
listener "tcp" {
  address     = "127.0.0.1:0"
  tls_disable = true
  telemetry {
    unauthenticated_metrics_access = true
  }
}`;

async function initialize(server: RunningServer): Promise<string> {
  const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
  await api(server, 'PUT', 'sys/unseal', { body: { key: init.body.keys_base64[0] } });
  return init.body.root_token as string;
}

async function metricsText(address: string, token?: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${address}/v1/sys/metrics?format=prometheus`, { headers: token === undefined ? {} : { 'X-Vault-Token': token } });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

/** Sends a GET without a token for `path` exactly as written and returns the status. */
function statusOf(address: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(new URL(address), { path, method: 'GET' }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    outgoing.once('error', reject);
    outgoing.end();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('sys/metrics', () => {
  let server: RunningServer & { directory: string };
  let open: string;
  let guarded: { address: string };
  let root: string;

  before(async () => {
    server = await startConfiguredServer(CONFIG);
    open = server.addresses[0];
    guarded = { address: server.addresses[1] };
    root = await initialize(server);
  });
  after(() => server.close());

  test('json shows the gauges', async () => {
    const response = await api(guarded, 'GET', 'sys/metrics', { token: root });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    const gauges = new Map((response.body.Gauges as Array<{ Name: string; Value: number }>).map((gauge) => [gauge.Name, gauge.Value]));
    assert.equal(gauges.get('vault.core.unsealed'), 1);
    assert.equal(gauges.get('vault.core.active'), 1);
    assert.equal(gauges.get('vault.token.count'), 1);
    // The root token never expires, so it has no lease.
    assert.equal(gauges.get('vault.expire.num_leases'), 0);
    const counters = (response.body.Counters as Array<{ Name: string; Count: number }>).map((counter) => [counter.Name, counter.Count]);
    assert.deepEqual(counters, [
      ['vault.audit.log_request_failure', 0],
      ['vault.audit.log_response_failure', 0],
    ]);
  });

  test('a token needs read on sys/metrics', async () => {
    assert.equal((await api(guarded, 'GET', 'sys/metrics')).status, 403);
    await api(guarded, 'PUT', 'sys/policies/acl/metrics', { token: root, body: { policy: 'path "sys/metrics" {\n  capabilities = ["read"]\n}\n' } });
    const plain = await api(guarded, 'POST', 'auth/token/create', { token: root, body: { policies: ['default'] } });
    const reader = await api(guarded, 'POST', 'auth/token/create', { token: root, body: { policies: ['metrics'] } });
    assert.equal((await metricsText(guarded.address, plain.body.auth.client_token)).status, 403);
    const allowed = await metricsText(guarded.address, reader.body.auth.client_token);
    assert.equal(allowed.status, 200);
    assert.equal(allowed.type, 'text/plain; version=0.0.4; charset=utf-8');
  });

  test('requests and logins are timed', async () => {
    await api(guarded, 'POST', 'sys/auth/userpass', { token: root, body: { type: 'userpass' } });
    await api(guarded, 'POST', 'auth/userpass/users/ann', { token: root, body: { password: 'pw-123456' } });
    const before = await metricsText(open);
    const loginsBefore = Number(/^vault_core_handle_login_request_count (\d+)$/m.exec(before.text)?.[1] ?? 0);
    const login = await api(guarded, 'POST', 'auth/userpass/login/ann', { body: { password: 'pw-123456' } });
    assert.equal(login.status, 200);
    const after = await metricsText(open);
    assert.match(after.text, new RegExp(`^vault_core_handle_login_request_count ${loginsBefore + 1}$`, 'm'));
    assert.match(after.text, /^vault_core_handle_request\{quantile="0\.99"\} \d+(\.\d+)?(e-?\d+)?$/m);
  });

  test('audit entries are timed', async () => {
    const enabled = await api(guarded, 'PUT', 'sys/audit/file', { token: root, body: { type: 'file', options: { file_path: join(server.directory, 'audit.log') } } });
    assert.equal(enabled.status, 204);
    await api(guarded, 'GET', 'sys/mounts', { token: root });
    const text = (await metricsText(open)).text;
    assert.match(text, /^vault_audit_log_request_count [1-9]\d*$/m);
    assert.match(text, /^vault_audit_log_response_count [1-9]\d*$/m);
    assert.match(text, /^vault_audit_log_request_failure 0$/m);
  });

  test('the open listener needs no token', async () => {
    const response = await metricsText(open);
    assert.equal(response.status, 200);
    assert.match(response.text, /^vault_core_unsealed 1$/m);

    const bad = await fetch(`${open}/v1/sys/metrics?format=xml`);
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { errors: ['invalid field "format" "xml": use "prometheus", or leave it out for JSON'] });
    // Only reads are served without a token; anything else is an ordinary request.
    const write = await fetch(`${open}/v1/sys/metrics`, { method: 'POST', body: '{}' });
    assert.equal(write.status, 403);
    const other = await fetch(`${open}/v1/sys/metricsx`);
    assert.equal(other.status, 403);
  });

  test('open listener reads the accept header', async () => {
    // Prometheus requests OpenMetrics first, and Vault returns its Prometheus text for it.
    const accept = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    const response = await fetch(`${open}/v1/sys/metrics`, { headers: { Accept: accept } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(await response.text(), /^vault_core_unsealed 1$/m);

    const json = await fetch(`${open}/v1/sys/metrics`, { headers: { Accept: 'application/json' } });
    assert.equal(json.headers.get('content-type'), 'application/json');
  });

  test('open listener serves only the metrics', async () => {
    // node:http sends the path as given; fetch would resolve the dot segments first.
    for (const path of ['/v1/sys/metrics/', '/v1/sys/./metrics', '/v1/sys/metrics/../mounts', '/v1/sys/mounts?x=/v1/sys/metrics']) {
      assert.equal(await statusOf(open, path), 403, path);
    }
    const head = await fetch(`${open}/v1/sys/metrics`, { method: 'HEAD' });
    assert.notEqual(head.status, 200);
  });

  test('prometheus scrapes the server', { skip: existsSync(PROMETHEUS) ? false : `${PROMETHEUS} is missing: install Debian's prometheus package` }, async () => {
    const directory = await mkdtemp(join(tmpdir(), 'coffer-prometheus-'));
    const port = await freePort();
    const target = new URL(guarded.address).host;
    const configFile = join(directory, 'prometheus.yml');
    await writeFile(
      configFile,
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: coffer',
        '    metrics_path: /v1/sys/metrics',
        '    params:',
        "      format: ['prometheus']",
        '    authorization:',
        `      credentials: ${root}`,
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    let prometheus: ChildProcess | undefined;
    try {
      prometheus = spawn(PROMETHEUS, [`--config.file=${configFile}`, `--storage.tsdb.path=${join(directory, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
      const unsealed = await queryUntilFound(port, 'vault_core_unsealed{job="coffer"}', 60_000);
      assert.equal(unsealed, '1');
      assert.equal(await queryUntilFound(port, 'up{job="coffer"}', 5_000), '1');
    } finally {
      prometheus?.kill('SIGTERM');
      await new Promise((resolve) => (prometheus === undefined || prometheus.exitCode !== null ? resolve(undefined) : prometheus.once('exit', resolve)));
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('sys/metrics without prometheus', () => {
  test('retention 0 turns the format off', async () => {
    const server = await startConfiguredServer('storage "inmem" {}\ntelemetry {\n  prometheus_retention_time = 0\n}');
    try {
      const root = await initialize(server);
      const response = await api(server, 'GET', 'sys/metrics?format=prometheus', { token: root });
      assert.equal(response.status, 400);
      assert.deepEqual(response.body.errors, ['prometheus is not enabled: set telemetry { prometheus_retention_time } in the server configuration']);
      assert.equal((await api(server, 'GET', 'sys/metrics', { token: root })).status, 200);
    } finally {
      await server.close();
    }
  });
});

/** Asks Prometheus for `query` until it has a sample, and returns the sample's value. */
async function queryUntilFound(port: number, query: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await response.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
      const result = body.data?.result ?? [];
      if (result.length > 0) return result[0].value[1];
      last = JSON.stringify(body);
    } catch (err) {
      last = String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`prometheus had no sample for ${query} within ${timeoutMs} ms; last answer: ${last}`);
}
