import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Logger as PinoLogger } from 'pino';
import { startServer, type RunningServer } from '../server.js';
import { api } from '../testing/api-client.js';

const ROOT = 'root-monitor-token';

/** An open `sys/monitor` stream: the response, and the text received so far. */
interface Stream {
  response: IncomingMessage;
  text(): string;
  close(): void;
}

describe('sys/monitor', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ dev: true, devListenAddress: '127.0.0.1:0', devRootTokenId: ROOT, logLevel: 'info', logDestination: { write: () => true } });
  });
  after(() => server.close());

  const log = (): PinoLogger => server.core.logger as unknown as PinoLogger;

  function open(query: string, token = ROOT): Promise<Stream> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(`${server.address}/v1/sys/monitor${query}`, { headers: { 'X-Vault-Token': token } }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('error', () => undefined);
        resolve({ response, text: () => text, close: () => outgoing.destroy() });
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
  }

  /** Waits until `count` streams are attached; a closed stream detaches once the server notices the connection close. */
  async function waitForStreams(count: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (server.core.options.logMonitor!.size !== count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(server.core.options.logMonitor!.size, count);
  }

  async function waitFor(stream: Stream, pattern: RegExp): Promise<string> {
    const deadline = Date.now() + 10_000;
    while (!pattern.test(stream.text())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in ${JSON.stringify(stream.text())}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return stream.text();
  }

  test('streams standard lines at the requested level', async () => {
    const stream = await open('?log_level=warn');
    try {
      assert.equal(stream.response.statusCode, 200);
      assert.equal(stream.response.headers['content-type'], 'text/plain; charset=utf-8');
      log().info({}, 'monitor test: info line');
      log().child({ component: 'token' }).warn({ count: 3, path: 'a b' }, 'monitor test: warning');

      const text = await waitFor(stream, /monitor test: warning/);
      assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[WARN\]  token: monitor test: warning: count=3 path="a b"\n/m);
      assert.doesNotMatch(text, /monitor test: info line/);
    } finally {
      stream.close();
    }
  });

  test('streams json lines', async () => {
    const stream = await open('?log_format=json');
    try {
      assert.equal(stream.response.statusCode, 200);
      assert.equal(stream.response.headers['content-type'], 'application/x-ndjson');
      log().info({ mount: 'secret/' }, 'monitor test: json line');

      const text = await waitFor(stream, /monitor test: json line/);
      const line = JSON.parse(text.split('\n').find((entry) => entry.includes('monitor test: json line'))!);
      assert.equal(line.level, 'info');
      assert.equal(line.mount, 'secret/');
      assert.equal(line.msg, 'monitor test: json line');
    } finally {
      stream.close();
    }
  });

  test('a closed stream stops receiving', async () => {
    await waitForStreams(0);
    const stream = await open('');
    assert.equal(server.core.options.logMonitor!.size, 1);
    stream.close();
    await waitForStreams(0);
  });

  test('bad parameters are rejected', async () => {
    await waitForStreams(0);
    const cases: Array<[string, string]> = [
      ['?log_level=verbose', 'field "log_level" must be one of trace, debug, info, warn, error, not "verbose"'],
      ['?log_format=xml', 'field "log_format" must be one of standard, json, not "xml"'],
    ];
    for (const [query, message] of cases) {
      const response = await api(server, 'GET', `sys/monitor${query}`, { token: ROOT });
      assert.equal(response.status, 400, query);
      assert.deepEqual(response.body, { errors: [message] }, query);
    }
    assert.equal(server.core.options.logMonitor!.size, 0);
  });

  test('a token without a policy for it is denied', async () => {
    await waitForStreams(0);
    const created = await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } });
    const token = created.body.auth.client_token as string;

    const response = await api(server, 'GET', 'sys/monitor', { token });
    assert.equal(response.status, 403);
    assert.equal(server.core.options.logMonitor!.size, 0);
  });

  test('slow reader at error level learns of drops', async () => {
    await waitForStreams(0);
    const stream = await open('?log_level=error');
    try {
      stream.response.pause();
      const padding = 'x'.repeat(1000);
      for (let index = 0; index < 30_000; index += 1) log().error({ padding }, 'monitor test: flood');
      stream.response.resume();
      // Lines logged before the client has read the backlog are dropped too, so log until one arrives.
      const deadline = Date.now() + 20_000;
      while (!stream.text().includes('monitor test: after the flood') && Date.now() < deadline) {
        log().error({}, 'monitor test: after the flood');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const text = stream.text();
      assert.match(text, /monitor test: after the flood/);
      assert.match(text, /\[WARN\]  monitor dropped \d+ log lines that the client did not read in time\n/);
    } finally {
      stream.close();
    }
  });

  // Runs last, because it leaves the shared server sealed.
  test('seal ends an open stream', async () => {
    await waitForStreams(0);
    const stream = await open('?log_level=info');
    assert.equal(stream.response.statusCode, 200);
    const ended = new Promise<void>((resolve) => stream.response.on('close', () => resolve()));
    await waitForStreams(1);

    const sealed = await api(server, 'PUT', 'sys/seal', { token: ROOT });
    assert.equal(sealed.status, 204);
    await ended;
    assert.equal(stream.response.complete, true);
    await waitForStreams(0);
    log().error({}, 'monitor test: logged while sealed');
    assert.doesNotMatch(stream.text(), /core sealed|logged while sealed/);
  });
});
