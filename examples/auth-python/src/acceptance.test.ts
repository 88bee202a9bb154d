/**
 * Runs plugin.py under a real Coffer dev server: generates the Python gRPC
 * stubs from packages/sdk/proto into a temporary folder, registers a
 * launcher by SHA-256, mounts the auth method and logs in over HTTP.
 * Needs /usr/bin/python3 with Debian's python3-grpcio, python3-grpc-tools
 * and python3-cryptography.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '@coffer/server';

const PYTHON = '/usr/bin/python3';
const PLUGIN_SCRIPT = fileURLToPath(new URL('../plugin.py', import.meta.url));
const PROTO_DIRECTORY = fileURLToPath(new URL('../../../packages/sdk/proto/', import.meta.url));
const ROOT_TOKEN = 'root-roster-example';
const ALICE_PASSWORD = 'correct horse battery staple';

interface HttpResult {
  status: number;
  /** Parsed JSON, or `null` for an empty body. */
  body: any;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** True while `pid` runs; a zombie has exited and counts as gone. */
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

/** Compiles the protocol's .proto files into Python modules in `outDirectory`. */
function generateStubs(outDirectory: string): void {
  const wellKnownTypes = spawnSync(PYTHON, ['-c', 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))'], {
    encoding: 'utf8',
  });
  assert.equal(wellKnownTypes.status, 0, `python3-grpc-tools is missing (apt-get install python3-grpcio python3-grpc-tools): ${wellKnownTypes.stderr}`);
  const protoFiles = ['go_plugin.proto', 'grpc_health_v1.proto', 'vault_backend.proto', 'vault_logical.proto', 'vault_multiplexing.proto'];
  const compiled = spawnSync(
    PYTHON,
    ['-m', 'grpc_tools.protoc', `-I${PROTO_DIRECTORY}`, `-I${wellKnownTypes.stdout.trim()}`, `--python_out=${outDirectory}`, `--grpc_python_out=${outDirectory}`, ...protoFiles],
    { cwd: PROTO_DIRECTORY, encoding: 'utf8' },
  );
  assert.equal(compiled.status, 0, `protoc failed: ${compiled.stderr}`);
}

describe('roster auth plugin in Python under a real server', () => {
  let server: RunningServer;
  let workDirectory: string;
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

  /** Returns the PIDs of every plugin process started so far, oldest first. */
  async function readPids(): Promise<number[]> {
    return (await readFile(pidFile, 'utf8')).trim().split('\n').map(Number);
  }

  before(async () => {
    workDirectory = await mkdtemp(join(tmpdir(), 'coffer-roster-'));
    const stubDirectory = join(workDirectory, 'stubs');
    pluginDirectory = join(workDirectory, 'plugins');
    await mkdir(stubDirectory);
    await mkdir(pluginDirectory);
    generateStubs(stubDirectory);
    pidFile = join(workDirectory, 'roster.pid');

    // The launcher appends its PID, which exec keeps for the plugin, and
    // points Python at the generated stubs. Coffer hashes the launcher only.
    const launcher = join(pluginDirectory, 'roster');
    await writeFile(
      launcher,
      `#!/bin/sh\necho $$ >> ${shellQuote(pidFile)}\nPYTHONPATH=${shellQuote(stubDirectory)} exec ${PYTHON} ${shellQuote(PLUGIN_SCRIPT)}\n`,
    );
    await chmod(launcher, 0o755);
    sha256 = sha256Hex(await readFile(launcher));

    server = await startServer({
      dev: true,
      devListenAddress: '127.0.0.1:0',
      devRootTokenId: ROOT_TOKEN,
      devPluginDirectory: pluginDirectory,
      pluginStartTimeoutMs: 20_000,
      logDestination: { write: (line: string) => logLines.push(line) },
    });
  });

  after(async () => {
    await server?.close();
    if (pidFile !== undefined) {
      for (const pid of await readPids().catch(() => [])) if (processRuns(pid)) process.kill(pid, 'SIGKILL');
    }
    await rm(workDirectory, { recursive: true, force: true });
  });

  test('plugin refuses to run by hand', () => {
    const run = spawnSync(PYTHON, [PLUGIN_SCRIPT], { encoding: 'utf8', env: {} });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /register it in the plugin catalog/);
    assert.equal(run.stdout, '');
  });

  test('register and mount by sha256', async () => {
    const registered = await call('PUT', 'sys/plugins/catalog/auth/roster', { sha256, command: 'roster' });
    assert.equal(registered.status, 204, JSON.stringify(registered.body));

    const users = { alice: { password_sha256: sha256Hex(ALICE_PASSWORD), policies: ['dev', 'ops'] } };
    const mounted = await call('POST', 'sys/auth/corp', { type: 'roster', options: { users: JSON.stringify(users) } });
    assert.equal(mounted.status, 204, `${JSON.stringify(mounted.body)}\n${logLines.join('')}`);
    const auths = await call('GET', 'sys/auth');
    assert.equal(auths.body.data['corp/'].type, 'roster');
  });

  test('malformed roster fails the mount', async () => {
    const mounted = await call('POST', 'sys/auth/broken', { type: 'roster', options: { users: '{"bob": {"password_sha256": "abc"}}' } });
    assert.equal(mounted.status, 400, JSON.stringify(mounted.body));
    assert.deepEqual(mounted.body.errors.length, 1);
    assert.match(mounted.body.errors[0], /user "bob": missing or invalid "password_sha256"; expected 64 hex digits/);

    const auths = await call('GET', 'sys/auth');
    assert.equal(auths.body.data['broken/'], undefined);

    // The plugin does not multiplex, so the failed mount had a process of its own.
    const pids = await readPids();
    assert.equal(pids.length, 2);
    assert.equal(await waitForExit(pids[1]!, 5000), true, `plugin process ${pids[1]} of the failed mount still runs`);
  });

  test('login issues a token with the policies', async () => {
    const login = await call('POST', 'auth/corp/login', { username: 'alice', password: ALICE_PASSWORD }, null);
    assert.equal(login.status, 200, `${JSON.stringify(login.body)}\n${logLines.join('')}`);
    const auth = login.body.auth;
    assert.deepEqual([...auth.policies].sort(), ['default', 'dev', 'ops']);
    assert.deepEqual([...auth.token_policies].sort(), ['default', 'dev', 'ops']);
    assert.equal(auth.metadata.username, 'alice');
    assert.equal(auth.lease_duration, 3600);

    const self = await call('GET', 'auth/token/lookup-self', undefined, auth.client_token);
    assert.equal(self.status, 200, JSON.stringify(self.body));
    assert.deepEqual([...self.body.data.policies].sort(), ['default', 'dev', 'ops']);
    assert.equal(self.body.data.path, 'auth/corp/login');
    assert.equal(self.body.data.display_name, 'corp-alice');

    // The alias the plugin returned becomes an identity entity alias.
    const entity = await call('GET', `identity/entity/id/${self.body.data.entity_id}`);
    assert.equal(entity.status, 200, JSON.stringify(entity.body));
    assert.deepEqual(
      entity.body.data.aliases.map((alias: { name: string; mount_path: string }) => [alias.name, alias.mount_path]),
      [['alice', 'auth/corp/']],
    );
    assert.ok(
      logLines.some((line) => line.includes('mounted at auth/corp/ with 1 users')),
      'the plugin reached the host over the brokered connection',
    );
  });

  test('wrong credentials are rejected', async () => {
    const wrongPassword = await call('POST', 'auth/corp/login', { username: 'alice', password: 'guess' }, null);
    assert.equal(wrongPassword.status, 400);
    assert.deepEqual(wrongPassword.body, { errors: ['invalid username or password'] });

    const unknownUser = await call('POST', 'auth/corp/login', { username: 'mallory', password: ALICE_PASSWORD }, null);
    assert.equal(unknownUser.status, 400);
    assert.deepEqual(unknownUser.body, { errors: ['invalid username or password'] });

    const noPassword = await call('POST', 'auth/corp/login', { username: 'alice' }, null);
    assert.equal(noPassword.status, 400);
  });

  test('plugin stops with the server', async () => {
    const pid = (await readPids())[0]!;
    assert.equal(processRuns(pid), true, 'the plugin of auth/corp/ runs while mounted');

    await server.close();
    assert.equal(await waitForExit(pid, 5000), true, `plugin process ${pid} still runs after the server stopped`);
  });
});
