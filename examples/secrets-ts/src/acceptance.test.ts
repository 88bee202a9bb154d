/**
 * Runs the compiled plugin (dist/index.js) under a real Coffer dev server:
 * registers it by SHA-256, mounts it and uses it over HTTP, as an operator
 * would. Build first (`npm run build`); this test compiles nothing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '@coffer/server';

const PLUGIN_ENTRY = fileURLToPath(new URL('./index.js', import.meta.url));
const ROOT_TOKEN = 'root-notes-example';

interface HttpResult {
  status: number;
  /** Parsed JSON, or `null` for an empty body. */
  body: any;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** Returns true while `pid` runs; a zombie has exited and counts as gone. */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processRuns(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

describe('notes plugin under a real server', () => {
  let server: RunningServer;
  let pluginDirectory: string;
  let pidFile: string;
  let sha256: string;
  /** Every JSON log line the server wrote, for failure messages. */
  const logLines: string[] = [];

  async function call(method: string, path: string, body?: unknown, token: string | null = ROOT_TOKEN): Promise<HttpResult> {
    const headers: Record<string, string> = {};
    if (token !== null) headers['X-Vault-Token'] = token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${server.address}/v1/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  }

  before(async () => {
    assert.ok(existsSync(PLUGIN_ENTRY), `${PLUGIN_ENTRY} is missing; run "npm run build" first`);
    pluginDirectory = await mkdtemp(join(tmpdir(), 'coffer-notes-plugins-'));
    pidFile = join(pluginDirectory, 'notes.pid');

    // The launcher records its PID, which exec keeps for the plugin, so the
    // test can check that the process is gone after the server stops.
    const launcher = join(pluginDirectory, 'notes');
    await writeFile(launcher, `#!/bin/sh\necho $$ > ${shellQuote(pidFile)}\nexec ${shellQuote(process.execPath)} ${shellQuote(PLUGIN_ENTRY)}\n`);
    await chmod(launcher, 0o755);
    sha256 = createHash('sha256').update(await readFile(launcher)).digest('hex');

    server = await startServer({
      dev: true,
      devListenAddress: '127.0.0.1:0',
      devRootTokenId: ROOT_TOKEN,
      devPluginDirectory: pluginDirectory,
      pluginStartTimeoutMs: 10_000,
      logDestination: { write: (line: string) => logLines.push(line) },
    });
  });

  after(async () => {
    await server?.close();
    await rm(pluginDirectory, { recursive: true, force: true });
  });

  test('register and mount by sha256', async () => {
    const registered = await call('PUT', 'sys/plugins/catalog/secret/notes', { sha256, command: 'notes' });
    assert.equal(registered.status, 204, JSON.stringify(registered.body));

    const entry = await call('GET', 'sys/plugins/catalog/secret/notes');
    assert.equal(entry.status, 200);
    assert.equal(entry.body.data.sha256, sha256);
    assert.equal(entry.body.data.command, 'notes');

    const mounted = await call('POST', 'sys/mounts/notes', { type: 'notes' });
    assert.equal(mounted.status, 204, `${JSON.stringify(mounted.body)}\n${logLines.join('')}`);
    const mounts = await call('GET', 'sys/mounts');
    assert.equal(mounts.body.data['notes/'].type, 'notes');
  });

  test('notes round-trip over HTTP', async () => {
    const created = await call('PUT', 'notes/notes/first', { text: 'hello' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.deepEqual(created.body.data, { revision: 1 });

    const updated = await call('PUT', 'notes/notes/first', { text: 'hello again' });
    assert.deepEqual(updated.body.data, { revision: 2 });

    const read = await call('GET', 'notes/notes/first');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data, { text: 'hello again', revision: 2 });
    assert.equal(read.body.lease_id, '');
    assert.equal(read.body.mount_type, 'notes');

    const listed = await call('LIST', 'notes/notes');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.data, { keys: ['first'] });
  });

  test('errors reach the client', async () => {
    const missing = await call('GET', 'notes/notes/absent');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { errors: ['note "absent" not found'] });

    const noText = await call('PUT', 'notes/notes/empty', {});
    assert.equal(noText.status, 400);
    assert.deepEqual(noText.body, { errors: ['missing required field "text" in a write to a note'] });

    const unknownField = await call('PUT', 'notes/notes/first', { text: 'x', colour: 'red' });
    assert.equal(unknownField.status, 400);
    assert.deepEqual(unknownField.body, { errors: ['unknown field "colour"'] });

    const noToken = await call('GET', 'notes/notes/first', undefined, null);
    assert.equal(noToken.status, 403);
  });

  test('share lease renews and revokes', async () => {
    const shared = await call('GET', 'notes/share/first?ttl=10m');
    assert.equal(shared.status, 200, JSON.stringify(shared.body));
    const code = shared.body.data.code as string;
    assert.match(code, /^[0-9a-f]{32}$/);
    assert.deepEqual(shared.body.data, { code, note: 'first' });
    assert.match(shared.body.lease_id, /^notes\/share\/first\/.+/);
    assert.equal(shared.body.lease_duration, 600);
    assert.equal(shared.body.renewable, true);
    const leaseId = shared.body.lease_id as string;

    const byCode = await call('GET', `notes/shared/${code}`);
    assert.equal(byCode.status, 200);
    assert.deepEqual(byCode.body.data, { note: 'first', text: 'hello again' });

    const renewed = await call('PUT', 'sys/leases/renew', { lease_id: leaseId, increment: 1200 });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.equal(renewed.body.lease_id, leaseId);
    assert.equal(renewed.body.lease_duration, 1200);
    assert.equal(renewed.body.renewable, true);

    const revoked = await call('PUT', 'sys/leases/revoke', { lease_id: leaseId });
    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));

    const afterRevoke = await call('GET', `notes/shared/${code}`);
    assert.equal(afterRevoke.status, 404);
    assert.deepEqual(afterRevoke.body, { errors: ['share code not found; it may have expired or been revoked'] });
  });

  test('plugin stops with the server', async () => {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    assert.equal(processRuns(pid), true, 'the plugin runs while mounted');

    await server.close();
    assert.equal(await waitForExit(pid, 5000), true, `plugin process ${pid} still runs after the server stopped`);
  });
});
