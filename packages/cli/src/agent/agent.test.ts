// End-to-end tests of `coffer agent`: a dev server in this process, and the
// agent as a child process of the built CLI with a config in a temporary folder.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { CofferClient, ResponseError, ResponseWrapped } from '../client.js';
import { makeTempDir, runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer, testRootToken } from '../test-server.js';

const BIN = fileURLToPath(new URL('../../bin/coffer.js', import.meta.url));

/** Deadline for anything the agent does in the background; generous for slow CI machines. */
const DEADLINE_MS = 40_000;

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** An agent child process with its output. */
class AgentProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /** Returns the address of the first listener, from the startup lines. */
  async listenerAddress(): Promise<string> {
    const match = await waitFor('the listener address', async () => /Listener 1: tcp \(addr: "([^"]+)"/.exec(this.stdout) ?? undefined);
    return `http://${match[1]}`;
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** Starts the agent with the config that writeConfig put in `folder`. */
function startAgent(folder: string, flags: string[] = []): AgentProcess {
  const configPath = join(folder, 'agent.hcl');
  const child = spawn(process.execPath, [BIN, 'agent', ...flags, `-config=${configPath}`], {
    env: { PATH: process.env.PATH, HOME: folder },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new AgentProcess(child);
}

async function writeConfig(folder: string, config: string): Promise<void> {
  await writeFile(join(folder, 'agent.hcl'), config);
}

/** Sends one request through the proxy and returns its status, headers and body. */
function proxyRequest(
  address: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${address}${path}`, { method, headers, agent: false }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('agent', { timeout: 600_000 }, () => {
  let server: TestServer;
  let root: CofferClient;

  /** Creates an AppRole role and writes its role ID and a new secret ID to files in `folder`. */
  async function approleFiles(folder: string, role: string, settings: Record<string, unknown>): Promise<{ roleIdFile: string; secretIdFile: string }> {
    await root.write(`auth/approle/role/${role}`, { token_policies: 'agent', ...settings });
    const roleId = (await root.read(`auth/approle/role/${role}/role-id`))!.data!.role_id as string;
    const secretId = (await root.write(`auth/approle/role/${role}/secret-id`, {}))!.data!.secret_id as string;
    const roleIdFile = join(folder, 'role-id');
    const secretIdFile = join(folder, 'secret-id');
    await writeFile(roleIdFile, `${roleId}\n`);
    await writeFile(secretIdFile, `${secretId}\n`);
    return { roleIdFile, secretIdFile };
  }

  function autoAuth(files: { roleIdFile: string; secretIdFile: string }, sinkPath: string, extra = ''): string {
    return `
vault {
  address = "${server.address}"
}

auto_auth {
  method "approle" {
    min_backoff = "1s"
    config = {
      role_id_file_path   = "${files.roleIdFile}"
      secret_id_file_path = "${files.secretIdFile}"
      ${extra}
    }
  }

  sink "file" {
    config = {
      path = "${sinkPath}"
    }
  }
}
`;
  }

  /** Returns the token's lookup data, or undefined when the server rejects the token. */
  async function lookup(token: string): Promise<Record<string, unknown> | undefined> {
    try {
      return (await new CofferClient({ ...root.config, token }).read('auth/token/lookup-self'))?.data ?? undefined;
    } catch (error) {
      if (error instanceof ResponseError && error.statusCode === 403) return undefined;
      throw error;
    }
  }

  before(async () => {
    server = await startDevServer();
    root = new CofferClient({ address: server.address, token: testRootToken, skipVerify: false });
    await root.write('sys/auth/approle', { type: 'approle' });
    await root.write('sys/policies/acl/agent', { policy: 'path "secret/*" { capabilities = ["create", "read", "update", "list"] }\npath "pki/issue/*" { capabilities = ["update"] }\npath "database/creds/*" { capabilities = ["read"] }' });
    await root.write('secret/data/app', { data: { password: 'one', user: 'app' } });
  });

  after(async () => {
    await server.close();
  });

  test('approle login writes sinks and removes secret ID', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'sinks', {});
    const sinkPath = join(folder.path, 'token');
    const privateSink = join(folder.path, 'token-private');
    const pidFile = join(folder.path, 'agent.pid');
    const config = autoAuth(files, sinkPath).replace(
      /\n}\n$/,
      `\n  sink "file" {\n    config = {\n      path = "${privateSink}"\n      mode = 0600\n    }\n  }\n}\npid_file = "${pidFile}"\n`,
    );
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    try {
      const token = await waitFor('the sink file', () => readIfExists(sinkPath));
      const data = await lookup(token);
      assert.ok(data !== undefined, 'the sink token is valid');
      assert.deepEqual(data.meta, { role_name: 'sinks' });
      assert.deepEqual(data.policies, ['agent', 'default']);
      assert.equal((await stat(sinkPath)).mode & 0o777, 0o640);

      assert.equal(await waitFor('the second sink', () => readIfExists(privateSink)), token);
      assert.equal((await stat(privateSink)).mode & 0o777, 0o600);
      assert.equal(await exists(files.secretIdFile), false);
      assert.equal(await readFile(pidFile, 'utf8'), String(agent.child.pid));
      assert.equal(agent.stderr.includes(token), false, 'the log never shows the token');

      agent.child.kill('SIGHUP');
      await waitFor('the SIGHUP warning', async () => (/received SIGHUP, which coffer agent ignores/.test(agent.stderr) ? true : undefined));
      assert.equal(agent.child.exitCode, null);
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr);
      await folder.remove();
    }
    assert.equal(await exists(pidFile), false);
    assert.match(agent.stdout, /==> Coffer agent shutdown triggered by SIGTERM\n$/);
  });

  test('token is renewed, then replaced at max TTL', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'renew', { token_ttl: '4s', token_max_ttl: '14s' });
    const sinkPath = join(folder.path, 'token');
    const config = autoAuth(files, sinkPath);
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    try {
      const first = await waitFor('the sink file', () => readIfExists(sinkPath));
      const issued = Date.now();
      // Past the first TTL of 4s, the token still works because the agent renewed it.
      await sleep(Math.max(0, issued + 6_000 - Date.now()));
      assert.ok((await lookup(first)) !== undefined, 'the first token is still valid past its first TTL');
      assert.equal(await readFile(sinkPath, 'utf8'), first);

      const second = await waitFor('a new token in the sink', async () => {
        const text = await readIfExists(sinkPath);
        return text !== undefined && text !== first ? text : undefined;
      });
      assert.ok((await lookup(second)) !== undefined, 'the new token is valid');
      assert.match(agent.stderr, /near its max TTL, logging in again/);
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr);
      await folder.remove();
    }
  });

  test('revoked token is replaced by a new login', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'revoke', { token_ttl: '6s', token_max_ttl: '1h' });
    const sinkPath = join(folder.path, 'token');
    const config = autoAuth(files, sinkPath);
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    try {
      const first = await waitFor('the sink file', () => readIfExists(sinkPath));
      await root.write('auth/token/revoke', { token: first });
      assert.equal(await lookup(first), undefined);

      const second = await waitFor('a new token in the sink', async () => {
        const text = await readIfExists(sinkPath);
        return text !== undefined && text !== first ? text : undefined;
      });
      assert.ok((await lookup(second)) !== undefined, 'the new token is valid');
      assert.match(agent.stderr, /token renewal failed, logging in again/);
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr);
      await folder.remove();
    }
  });

  test('exit_after_auth writes sink, renders and exits', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'once', {});
    const sinkPath = join(folder.path, 'token');
    const rendered = join(folder.path, 'app.env');
    const config = `${autoAuth(files, sinkPath)}
exit_after_auth = true

template {
  destination = "${rendered}"
  contents    = "{{ with secret \\"secret/data/app\\" }}USER={{ .Data.data.user }}{{ end }}\\n"
}
`;
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    assert.equal(await agent.exited, 0, agent.stderr);
    const token = await readFile(sinkPath, 'utf8');
    assert.ok((await lookup(token)) !== undefined, 'the sink token is valid');
    assert.equal(await readFile(rendered, 'utf8'), 'USER=app\n');
    assert.equal((await stat(rendered)).mode & 0o777, 0o644);
    assert.match(agent.stderr, /exit_after_auth is set, exiting/);
    await folder.remove();
  });

  test('exit_after_auth fails on unwritable sink', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'unwritable', {});
    const sinkPath = join(folder.path, 'missing-folder', 'token');
    const config = `${autoAuth(files, sinkPath)}\nexit_after_auth = true\n`;
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    assert.equal(await agent.exited, 1);
    assert.match(agent.stderr, /\[ERROR\] +agent\.sink\.file: error writing token to sink: path=\S+missing-folder\/token error="ENOENT: no such file or directory/);
    assert.match(agent.stderr, /\nError writing the token to the sinks: see the log above\n$/);
    await folder.remove();
  });

  test('wrapped secret ID is unwrapped', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'wrapped-secret', {});
    const wrapper = new CofferClient({ ...root.config, wrapTtl: 300 });
    const wrappingToken = async (): Promise<string> => {
      try {
        await wrapper.write('auth/approle/role/wrapped-secret/secret-id', {});
      } catch (error) {
        if (error instanceof ResponseWrapped) return error.secret.wrap_info!.token;
        throw error;
      }
      throw new Error('the server did not wrap the secret ID');
    };
    const withPath = (path: string): string =>
      `${autoAuth(files, join(folder.path, 'token'), `secret_id_response_wrapping_path = "${path}"`).replace('min_backoff = "1s"', 'min_backoff = "1s"\n    exit_on_err = true')}\nexit_after_auth = true\n`;
    try {
      await writeFile(files.secretIdFile, await wrappingToken());
      await writeConfig(folder.path, withPath('auth/approle/role/other/secret-id'));
      const rejected = startAgent(folder.path);
      assert.equal(await rejected.exited, 1);
      assert.match(
        rejected.stderr,
        /^Error authenticating: the wrapped secret ID was created at "auth\/approle\/role\/wrapped-secret\/secret-id", not at secret_id_response_wrapping_path "auth\/approle\/role\/other\/secret-id"\n$/,
      );
      assert.equal(await exists(join(folder.path, 'token')), false);
      assert.equal(await exists(files.secretIdFile), true, 'a rejected wrapping token stays in its file');

      await writeFile(files.secretIdFile, await wrappingToken());
      await writeConfig(folder.path, withPath('auth/approle/role/wrapped-secret/secret-id'));
      const accepted = startAgent(folder.path);
      assert.equal(await accepted.exited, 0, accepted.stderr);
      const token = await readFile(join(folder.path, 'token'), 'utf8');
      assert.deepEqual((await lookup(token))!.meta, { role_name: 'wrapped-secret' });
      assert.equal(await exists(files.secretIdFile), false);
    } finally {
      await folder.remove();
    }
  });

  test('failed login retries with backoff', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'backoff', {});
    const secretId = await readFile(files.secretIdFile, 'utf8');
    await writeFile(files.secretIdFile, '');
    const sinkPath = join(folder.path, 'token');
    const config = autoAuth(files, sinkPath).replace('min_backoff = "1s"', 'min_backoff = "1s"\n    max_backoff = "2s"');
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    try {
      await waitFor('two failed logins', async () => ((agent.stderr.match(/authentication failed, retrying/g) ?? []).length >= 2 ? true : undefined));
      assert.match(agent.stderr, /authentication failed, retrying: method=approle backoff=1s error="no secret ID found: secret ID file .+ is missing or empty"/);
      assert.match(agent.stderr, /authentication failed, retrying: method=approle backoff=2s /);
      assert.equal(await exists(sinkPath), false);

      await writeFile(files.secretIdFile, secretId);
      const token = await waitFor('the sink file', () => readIfExists(sinkPath));
      assert.ok((await lookup(token)) !== undefined, 'the sink token is valid');
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr);
      await folder.remove();
    }
  });

  test('wrapped sink contains wrapping token', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'wrapped', {});
    const sinkPath = join(folder.path, 'token');
    const config = `${autoAuth(files, sinkPath).replace('  sink "file" {', '  sink "file" {\n    wrap_ttl = "5m"')}
exit_after_auth = true
`;
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    assert.equal(await agent.exited, 0, agent.stderr);
    const wrapInfo = JSON.parse(await readFile(sinkPath, 'utf8')) as Record<string, unknown>;
    assert.equal(wrapInfo.ttl, 300);
    assert.equal(wrapInfo.creation_path, 'sys/wrapping/wrap');
    const unwrapped = await new CofferClient({ ...root.config, token: '' }).unwrap(wrapInfo.token as string);
    const token = unwrapped!.data!.token as string;
    assert.deepEqual((await lookup(token))!.meta, { role_name: 'wrapped' });
    await folder.remove();
  });

  test('token_file and userpass methods', async () => {
    await root.write('sys/auth/userpass', { type: 'userpass' });
    await root.write('auth/userpass/users/agent-user', { password: 'agent-password', token_policies: 'agent' });
    const created = await root.write('auth/token/create', { policies: ['agent'], ttl: '1h' });
    const fileToken = created!.auth!.client_token;

    const folder = await makeTempDir('coffer-agent-');
    await writeFile(join(folder.path, 'token-in'), `${fileToken}\n`);
    await writeFile(join(folder.path, 'password'), 'agent-password\n');
    const methods: [string, string][] = [
      ['token_file', `token_file_path = "${join(folder.path, 'token-in')}"`],
      ['userpass', `username = "agent-user"\n      password_file_path = "${join(folder.path, 'password')}"`],
    ];
    for (const [method, settings] of methods) {
      const sinkPath = join(folder.path, `${method}-token`);
      // token_file exits through the config, userpass through the -exit-after-auth flag.
      const config = `vault {
  address = "${server.address}"
}
exit_after_auth = ${method === 'token_file'}
auto_auth {
  method "${method}" {
    config = {
      ${settings}
    }
  }
  sink "file" {
    config = {
      path = "${sinkPath}"
    }
  }
}
`;
      await writeConfig(folder.path, config);
      const agent = startAgent(folder.path, method === 'userpass' ? ['-exit-after-auth'] : []);
      assert.equal(await agent.exited, 0, agent.stderr);
      const token = await readFile(sinkPath, 'utf8');
      if (method === 'token_file') assert.equal(token, fileToken);
      else assert.deepEqual((await lookup(token))!.meta, { username: 'agent-user' });
    }
    await folder.remove();
  });

  test('token without TTL is kept', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const sinkPath = join(folder.path, 'token');
    await writeFile(join(folder.path, 'token-in'), testRootToken);
    await writeConfig(
      folder.path,
      `vault {\n  address = "${server.address}"\n}\nauto_auth {\n  method "token_file" {\n    config = {\n      token_file_path = "${join(folder.path, 'token-in')}"\n    }\n  }\n  sink "file" {\n    config = {\n      path = "${sinkPath}"\n    }\n  }\n}\n`,
    );
    const agent = startAgent(folder.path);
    try {
      assert.equal(await waitFor('the sink file', () => readIfExists(sinkPath)), testRootToken);
      await sleep(2_000);
      assert.equal((agent.stderr.match(/authentication successful/g) ?? []).length, 1, agent.stderr);
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr);
      await folder.remove();
    }
  });

  test('jwt method reads and removes JWT file', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await root.write('sys/auth/jwt', { type: 'jwt' });
    await root.write('auth/jwt/config', { jwt_validation_pubkeys: [pair.publicKey.export({ format: 'pem', type: 'spki' }).toString()] });
    await root.write('auth/jwt/role/agent', { role_type: 'jwt', user_claim: 'sub', bound_audiences: 'coffer', token_policies: 'agent' });
    const now = Math.floor(Date.now() / 1000);
    const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ alg: 'ES256', typ: 'JWT' })}.${encode({ sub: 'service-7', aud: 'coffer', iat: now, exp: now + 300 })}`;
    const jwt = `${input}.${sign('sha256', Buffer.from(input), { key: pair.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;

    const folder = await makeTempDir('coffer-agent-');
    const jwtPath = join(folder.path, 'jwt');
    const sinkPath = join(folder.path, 'token');
    await writeFile(jwtPath, jwt);
    await writeConfig(
      folder.path,
      `vault {\n  address = "${server.address}"\n}\nexit_after_auth = true\nauto_auth {\n  method "jwt" {\n    config = {\n      path = "${jwtPath}"\n      role = "agent"\n    }\n  }\n  sink "file" {\n    config = {\n      path = "${sinkPath}"\n    }\n  }\n}\n`,
    );
    const agent = startAgent(folder.path);
    assert.equal(await agent.exited, 0, agent.stderr);
    const data = await lookup(await readFile(sinkPath, 'utf8'));
    assert.deepEqual(data!.meta, { role: 'agent' });
    assert.deepEqual(data!.policies, ['agent', 'default']);
    assert.equal(await exists(jwtPath), false);
    await folder.remove();
  });

  describe('proxy', () => {
    /** Starts an agent with a listener and the given api_proxy stanza, runs `check`, and stops it. */
    async function withProxy(apiProxy: string, check: (address: string) => Promise<void>, listenerSettings = ''): Promise<void> {
      const folder = await makeTempDir('coffer-agent-');
      const files = await approleFiles(folder.path, 'proxy', {});
      const sinkPath = join(folder.path, 'token');
      const config = `${autoAuth(files, sinkPath)}
listener "tcp" {
  address     = "127.0.0.1:0"
  tls_disable = true
  ${listenerSettings}
}
${apiProxy}
`;
      await writeConfig(folder.path, config);
      const agent = startAgent(folder.path);
      try {
        const address = await agent.listenerAddress();
        await waitFor('the sink file', () => readIfExists(sinkPath));
        await check(address);
      } finally {
        assert.equal(await agent.stop(), 0, agent.stderr);
        await folder.remove();
      }
    }

    test('without use_auto_auth_token forwards as sent', async () => {
      await withProxy('', async (address) => {
        const anonymous = await proxyRequest(address, 'GET', '/v1/secret/data/app');
        assert.equal(anonymous.status, 403);
        assert.deepEqual(JSON.parse(anonymous.body), { errors: ['permission denied'] });

        const withRoot = await proxyRequest(address, 'GET', '/v1/secret/data/app', { 'X-Vault-Token': testRootToken });
        assert.equal(withRoot.status, 200);
        assert.equal(withRoot.headers['content-type'], 'application/json');
        assert.deepEqual(JSON.parse(withRoot.body).data.data, { password: 'one', user: 'app' });

        const health = await proxyRequest(address, 'GET', '/v1/sys/health');
        assert.equal(health.status, 200);
        assert.equal(JSON.parse(health.body).sealed, false);
      });
    });

    test('use_auto_auth_token adds token when missing', async () => {
      await withProxy('api_proxy {\n  use_auto_auth_token = true\n}', async (address) => {
        const anonymous = await proxyRequest(address, 'GET', '/v1/secret/data/app');
        assert.equal(anonymous.status, 200);
        assert.equal(JSON.parse(anonymous.body).data.data.password, 'one');

        const bogus = await proxyRequest(address, 'GET', '/v1/secret/data/app', { 'X-Vault-Token': 'not-a-token' });
        assert.equal(bogus.status, 403);

        const body = JSON.stringify({ data: { written: 'through-proxy' } });
        const write = await proxyRequest(address, 'PUT', '/v1/secret/data/proxied', { 'Content-Type': 'application/json' }, body);
        assert.equal(write.status, 200);
        assert.deepEqual((await root.read('secret/data/proxied'))!.data!.data, { written: 'through-proxy' });

        const missing = await proxyRequest(address, 'GET', '/v1/secret/data/no-such-secret');
        assert.equal(missing.status, 404);
      });
    });

    test('require_request_header rejects plain requests', async () => {
      await withProxy('api_proxy {\n  use_auto_auth_token = true\n}', async (address) => {
        const plain = await proxyRequest(address, 'GET', '/v1/secret/data/app');
        assert.equal(plain.status, 412);
        assert.deepEqual(JSON.parse(plain.body), { errors: ['missing "X-Vault-Request: true" header'] });

        const marked = await proxyRequest(address, 'GET', '/v1/secret/data/app', { 'X-Vault-Request': 'true' });
        assert.equal(marked.status, 200);
        assert.equal(JSON.parse(marked.body).data.data.user, 'app');
      }, 'require_request_header = true');
    });

    test('use_auto_auth_token force replaces token', async () => {
      await withProxy('api_proxy {\n  use_auto_auth_token = "force"\n}', async (address) => {
        const bogus = await proxyRequest(address, 'GET', '/v1/secret/data/app', { 'X-Vault-Token': 'not-a-token' });
        assert.equal(bogus.status, 200);
        assert.equal(JSON.parse(bogus.body).data.data.user, 'app');

        const self = await proxyRequest(address, 'GET', '/v1/auth/token/lookup-self', { 'X-Vault-Token': testRootToken });
        assert.equal(self.status, 200);
        assert.deepEqual(JSON.parse(self.body).data.meta, { role_name: 'proxy' });
      });
    });

    test('cache stanza serves repeated login', async () => {
      const audit = await makeTempDir('coffer-agent-audit-');
      const auditPath = join(audit.path, 'audit.log');
      await root.write('sys/audit/agent-cache', { type: 'file', options: { file_path: auditPath } });
      const logins = async (): Promise<number> =>
        (await readFile(auditPath, 'utf8'))
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as { type: string; request: { path: string } })
          .filter((entry) => entry.type === 'request' && entry.request.path === 'auth/approle/login').length;
      await root.write('auth/approle/role/cached-client', { token_policies: 'agent' });
      const roleId = (await root.read('auth/approle/role/cached-client/role-id'))!.data!.role_id as string;
      const secretId = (await root.write('auth/approle/role/cached-client/secret-id', {}))!.data!.secret_id as string;
      const body = JSON.stringify({ role_id: roleId, secret_id: secretId });
      const headers = { 'Content-Type': 'application/json' };
      try {
        await withProxy('cache {\n  use_auto_auth_token = true\n}', async (address) => {
          const before = await logins();
          const first = await proxyRequest(address, 'POST', '/v1/auth/approle/login', headers, body);
          const second = await proxyRequest(address, 'POST', '/v1/auth/approle/login', headers, body);
          assert.equal(first.status, 200);
          assert.equal(second.status, 200);
          assert.equal(second.body, first.body);
          assert.equal(second.headers['x-cache'], 'HIT');
          assert.equal(await logins(), before + 1);

          const cleared = await proxyRequest(address, 'POST', '/agent/v1/cache-clear', headers, '{"type": "all"}');
          assert.equal(cleared.status, 200);
          assert.equal(cleared.body, '');
          const third = await proxyRequest(address, 'POST', '/v1/auth/approle/login', headers, body);
          assert.notEqual(JSON.parse(third.body).auth.client_token, JSON.parse(first.body).auth.client_token);
          assert.equal(await logins(), before + 2);

          const anonymous = await proxyRequest(address, 'GET', '/v1/secret/data/app');
          assert.equal(anonymous.status, 200);
          assert.equal(anonymous.headers['x-cache'], 'MISS');
        });
      } finally {
        await root.delete('sys/audit/agent-cache');
        await audit.remove();
      }
    });
  });

  test('KV template renders again after a change', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'template', {});
    const sinkPath = join(folder.path, 'token');
    const rendered = join(folder.path, 'out', 'app.conf');
    const listing = join(folder.path, 'listing.txt');
    const commandLog = join(folder.path, 'command.log');
    const source = join(folder.path, 'listing.tpl');
    await root.write('secret/data/render', { data: { password: 'one', port: 5432 } });
    await root.write('secret/data/list/b', { data: { n: 2 } });
    await root.write('secret/data/list/a', { data: { n: 1 } });
    await writeFile(
      source,
      [
        '{{ range secrets "secret/list/" }}{{ . }},{{ end }}',
        '{{- with secret "secret/data/render" -}}',
        '{{ range $key, $value := .Data.data }}{{ printf "%s=%v" $key $value }}',
        '{{ end }}json={{ toJSON .Data.data }}',
        '{{ if eq .Data.data.password "one" }}first{{ else }}changed{{ end }}',
        '{{- end }}',
        '',
      ].join('\n'),
    );
    const config = `${autoAuth(files, sinkPath)}
template_config {
  static_secret_render_interval = "1s"
}

template {
  destination = "${rendered}"
  perms       = "0600"
  contents    = "{{ with secret \\"secret/render\\" }}password={{ .Data.data.password }}{{ end }}"
  command     = "cat ${rendered} >> ${commandLog}; echo >> ${commandLog}"
}

template {
  source      = "${source}"
  destination = "${listing}"
}
`;
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    try {
      await waitFor('the first render', async () => ((await readIfExists(rendered)) === 'password=one' ? true : undefined));
      assert.equal((await stat(rendered)).mode & 0o777, 0o600);
      assert.equal(
        await waitFor('the listing', () => readIfExists(listing)),
        'a,b,password=one\nport=5432\njson={"password":"one","port":5432}\nfirst\n',
      );
      await waitFor('the first command run', async () => ((await readIfExists(commandLog)) === 'password=one\n' ? true : undefined));

      await root.write('secret/data/render', { data: { password: 'two', port: 5432 } });
      await root.write('secret/data/list/c', { data: { n: 3 } });
      await waitFor('the second render', async () => ((await readIfExists(rendered)) === 'password=two' ? true : undefined));
      assert.equal((await stat(rendered)).mode & 0o777, 0o600);
      await waitFor('the second command run', async () => ((await readIfExists(commandLog)) === 'password=one\npassword=two\n' ? true : undefined));
      const secondListing = 'a,b,c,password=two\nport=5432\njson={"password":"two","port":5432}\nchanged\n';
      await waitFor('the second listing', async () => ((await readIfExists(listing)) === secondListing ? true : undefined)).catch(async (error: Error) => {
        assert.equal(await readIfExists(listing), secondListing, error.message);
      });
      assert.equal(agent.stderr.includes('password=two'), false, 'the log never shows a secret');
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr);
      await folder.remove();
    }
  });

  test('exec child restarts on env_template change', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'exec', {});
    const output = join(folder.path, 'child.out');
    const childPid = join(folder.path, 'child.pid');
    await root.write('secret/data/exec', { data: { password: 'one' } });
    const config = `${autoAuth(files, join(folder.path, 'token'))}
template_config {
  static_secret_render_interval = "1s"
}

env_template "APP_PASSWORD" {
  contents = "{{ with secret \\"secret/data/exec\\" }}{{ .Data.data.password }}{{ end }}"
}

exec {
  command = ["/bin/sh", "-c", "echo \\"$APP_PASSWORD\\" >> ${output}; echo $$ > ${childPid}; exec sleep 120"]
}
`;
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    let lastPid = 0;
    try {
      await waitFor('the first child', async () => ((await readIfExists(output)) === 'one\n' ? true : undefined));
      await root.write('secret/data/exec', { data: { password: 'two' } });
      await waitFor('the restarted child', async () => ((await readIfExists(output)) === 'one\ntwo\n' ? true : undefined));
      lastPid = Number(await waitFor('the child pid', async () => ((await readIfExists(childPid))?.trim() || undefined)));
      assert.equal(agent.stderr.includes('two'), false, 'the log never shows the value');
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr);
      await folder.remove();
    }
    assert.throws(() => process.kill(lastPid, 0), { code: 'ESRCH' });
  });

  test('exec restart leaves one child', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'exec-two', {});
    const pids = join(folder.path, 'child.pids');
    await root.write('secret/data/exec-two', { data: { user: 'one', password: 'one' } });
    const config = `${autoAuth(files, join(folder.path, 'token'))}
template_config {
  static_secret_render_interval = "1s"
}

env_template "APP_USER" {
  contents = "{{ with secret \\"secret/data/exec-two\\" }}{{ .Data.data.user }}{{ end }}"
}

env_template "APP_PASSWORD" {
  contents = "{{ with secret \\"secret/data/exec-two\\" }}{{ .Data.data.password }}{{ end }}"
}

exec {
  command = ["/bin/sh", "-c", "echo $$ >> ${pids}; exec sleep 120"]
}
`;
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    let started: number[] = [];
    try {
      await waitFor('the first child', async () => ((await readIfExists(pids))?.trim().split('\n').length === 1 ? true : undefined));
      // One change of the secret changes both variables at once.
      await root.write('secret/data/exec-two', { data: { user: 'two', password: 'two' } });
      await waitFor('a restarted child', async () => (((await readIfExists(pids))?.trim().split('\n').length ?? 0) >= 2 ? true : undefined));
      await sleep(3000);
      started = (await readFile(pids, 'utf8')).trim().split('\n').map(Number);
      const alive = started.filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
      assert.equal(alive.length, 1, `children still running: ${alive.join(', ')}`);
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr);
      await folder.remove();
      for (const pid of started) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone, as it should be.
        }
      }
    }
  });

  test('exec child exit code ends agent', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'exec-exit', {});
    const config = `${autoAuth(files, join(folder.path, 'token'))}
env_template "GREETING" {
  contents = "{{ with secret \\"secret/data/app\\" }}{{ .Data.data.user }}{{ end }}"
}

exec {
  command = ["/bin/sh", "-c", "test \\"$GREETING\\" = app && exit 3"]
}
`;
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    assert.equal(await agent.exited, 3, agent.stderr);
    assert.match(agent.stdout, /==> Coffer agent shutdown because the child process exited with code 3\n$/);
    await folder.remove();
  });

  test('PKI template issues a certificate', async () => {
    await root.write('sys/mounts/pki', { type: 'pki' });
    await root.write('pki/root/generate/internal', { common_name: 'agent test root', ttl: '24h' });
    await root.write('pki/roles/web', { allowed_domains: 'example.com', allow_subdomains: true, max_ttl: '1h' });
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'pki', {});
    const sinkPath = join(folder.path, 'token');
    const rendered = join(folder.path, 'cert.pem');
    const config = `${autoAuth(files, sinkPath)}
exit_after_auth = true

template {
  destination = "${rendered}"
  perms       = 0600
  contents    = <<EOT
{{ with secret "pki/issue/web" "common_name=app.example.com" "ttl=10m" }}{{ .Data.certificate }}
{{ .Data.private_key }}{{ end }}
EOT
}
`;
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    assert.equal(await agent.exited, 0, agent.stderr);
    const pem = await readFile(rendered, 'utf8');
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n-----BEGIN [A-Z ]*PRIVATE KEY-----\n[\s\S]+-----END [A-Z ]*PRIVATE KEY-----\n$/);
    assert.equal((await stat(rendered)).mode & 0o777, 0o600);
    const { X509Certificate } = await import('node:crypto');
    const certificate = new X509Certificate(pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25));
    assert.equal(certificate.subject, 'CN=app.example.com');
    await folder.remove();
  });

  test('database template renews lease then re-fetches', async () => {
    await root.write('sys/mounts/database', { type: 'database' });
    await root.write('database/config/cache', { plugin_name: 'redis-database-plugin', host: '127.0.0.1', port: 6379, allowed_roles: 'agent' });
    await root.write('database/roles/agent', { db_name: 'cache', creation_statements: '["~cache:*", "+@read"]', default_ttl: '6s', max_ttl: '15s' });
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'database', {});
    const rendered = join(folder.path, 'redis.txt');
    const config = `${autoAuth(files, join(folder.path, 'token'))}
template {
  destination = "${rendered}"
  contents    = "{{ with secret \\"database/creds/agent\\" }}{{ .LeaseID }} {{ .Renewable }} {{ .Data.username }}{{ end }}"
}
`;
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    try {
      const first = await waitFor('the first render', () => readIfExists(rendered));
      const issued = Date.now();
      const [leaseId, renewable, username] = first.split(' ');
      assert.match(leaseId, /^database\/creds\/agent\/.+/);
      assert.equal(renewable, 'true');
      assert.match(username, /^V_APPROLE_AGENT_/);

      // Past the first lease of 6s, the lease still exists because the agent renewed it.
      await sleep(Math.max(0, issued + 8_000 - Date.now()));
      const lease = await root.write('sys/leases/lookup', { lease_id: leaseId });
      assert.ok((lease!.data!.ttl as number) > 0, 'the lease was renewed');
      assert.equal(await readFile(rendered, 'utf8'), first);

      // Near the max TTL of 15s, renewal falls short and the agent fetches new credentials.
      const second = await waitFor('new credentials', async () => {
        const text = await readIfExists(rendered);
        return text !== undefined && text !== first ? text : undefined;
      });
      assert.notEqual(second.split(' ')[2], username);
      assert.match(agent.stderr, /renewed secret lease|rendered template/);
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr);
      await root.write('sys/leases/revoke-prefix/database/creds/agent', {});
      await folder.remove();
    }
  });

  test('exit_on_retry_failure stops after num_retries', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'retries', {});
    const config = `${autoAuth(files, join(folder.path, 'token')).replace('vault {', 'vault {\n  retry {\n    num_retries = 2\n  }')}
template_config {
  exit_on_retry_failure = true
}

template {
  destination = "${join(folder.path, 'out')}"
  contents    = "{{ with secret \\"secret/data/no-such-secret\\" }}{{ .Data.data.x }}{{ end }}"
}
`;
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    assert.equal(await agent.exited, 1);
    assert.equal((agent.stderr.match(/error rendering template, retrying/g) ?? []).length, 2);
    assert.match(agent.stderr, /\nError: template contents failed after 2 retries: contents:1: error calling secret: no secret exists at secret\/data\/no-such-secret\n$/);
    assert.equal(await exists(join(folder.path, 'out')), false);
    await folder.remove();
  });

  test('bad template stops agent with its line', async () => {
    const folder = await makeTempDir('coffer-agent-');
    const files = await approleFiles(folder.path, 'bad', {});
    const source = join(folder.path, 'bad.tpl');
    await writeFile(source, 'first line\n{{ with secret "secret/data/app" }}\n{{ .Data.data | shout }}\n{{ end }}\n');
    const config = `${autoAuth(files, join(folder.path, 'token'))}
template {
  source      = "${source}"
  destination = "${join(folder.path, 'out')}"
}
`;
    await writeConfig(folder.path, config);
    const agent = startAgent(folder.path);
    assert.equal(await agent.exited, 1);
    assert.match(agent.stderr, new RegExp(`^Error parsing template: ${source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: function "shout" is not supported by coffer agent templates; the supported functions are and, base64Decode, `));
    assert.equal(await exists(join(folder.path, 'token')), false, 'the agent did not log in');
    await folder.remove();
  });
});

describe('agent config errors', () => {
  // Each case: the test name, the config text, and the error after the file name, from the line on.
  const cases: [string, string, string][] = [
    [
      'missing role ID file',
      'auto_auth {\n  method "approle" {\n    config = {\n      secret_id_file_path = "/tmp/s"\n    }\n  }\n}\n',
      ':3: auto_auth.method "approle".config.role_id_file_path: missing value: set it to the file that contains the role ID',
    ],
    [
      'unknown sink field',
      'auto_auth {\n  method "token_file" {\n    config = {\n      token_file_path = "/tmp/t"\n    }\n  }\n  sink "file" {\n    config = {\n      path = "/tmp/x"\n      owner = "me"\n    }\n  }\n}\n',
      ':10: auto_auth.sink "file".config.owner: unknown field; the fields of this stanza are path, mode',
    ],
    [
      'bad sink mode',
      'auto_auth {\n  method "token_file" {\n    config = {\n      token_file_path = "/tmp/t"\n    }\n  }\n  sink "file" {\n    config = {\n      path = "/tmp/x"\n      mode = "rw"\n    }\n  }\n}\n',
      ':10: auto_auth.sink "file".config.mode: expected an octal file mode such as "0640", got "rw"',
    ],
    [
      'unsupported method',
      'auto_auth {\n  method "kubernetes" {\n    config = {\n      role = "x"\n    }\n  }\n}\n',
      ':2: auto_auth.method "kubernetes": unsupported auth method "kubernetes": coffer agent supports approle, token_file, userpass, cert, jwt, ldap',
    ],
    [
      'listener without TLS files',
      'listener "tcp" {\n  address = "127.0.0.1:0"\n}\n',
      ':1: listener "tcp".tls_cert_file: missing value: set it to a PEM certificate, or set tls_disable = true',
    ],
    [
      'unsupported approle field',
      'auto_auth {\n  method "approle" {\n    config = {\n      role_id_file_path = "/tmp/r"\n      remove_secret_id_file_follows_symlinks = true\n    }\n  }\n}\n',
      ':5: auto_auth.method "approle".config.remove_secret_id_file_follows_symlinks: this Vault Agent setting is not supported by coffer agent; remove it',
    ],
    [
      'second template missing destination',
      'template {\n  destination = "/tmp/a"\n  contents = "x"\n}\n\ntemplate {\n  contents = "y"\n}\n',
      ':6: template[1].destination: missing value: set it to the file the template renders to',
    ],
    ['env_template without exec', 'env_template "A" {\n  contents = "x"\n}\n', ':1: env_template: env_template needs an exec stanza to run with the values'],
    ['bad exec command', 'exec {\n  command = "./app"\n}\n', ':2: exec.command: expected a list of strings, got "./app"'],
    [
      'exec with file template',
      'auto_auth {\n  method "token_file" {\n    config = {\n      token_file_path = "/tmp/t"\n    }\n  }\n}\nenv_template "A" {\n  contents = "x"\n}\nexec {\n  command = ["./app"]\n}\ntemplate {\n  destination = "/tmp/out"\n  contents = "x"\n}\n',
      ':11: exec: exec cannot be used with template stanzas: use env_template stanzas',
    ],
    ['bad duration', 'template_config {\n  static_secret_render_interval = "soon"\n}\n', ':2: template_config.static_secret_render_interval: expected a duration such as "30s" or "5m", got "soon"'],
    ['unsupported stanza', 'telemetry {\n  disable_hostname = true\n}\n', ':1: telemetry: this Vault Agent setting is not supported by coffer agent; remove it'],
    ['syntax error', 'vault {\n  address = \n}\n', ':2:13: expected a value (a quoted string, number, true, false, list or object), found a newline'],
  ];

  for (const [name, text, message] of cases) {
    test(name, async () => {
      const folder = await makeTempDir('coffer-agent-config-');
      const path = join(folder.path, 'agent.hcl');
      await writeFile(path, text);
      const result = await runCli(['agent', `-config=${path}`], { env: { HOME: folder.path } });
      await folder.remove();
      assert.deepEqual(result, { code: 1, stdout: '', stderr: `Error loading configuration: ${path}${message}\n` });
    });
  }

  test('missing -config exits 1', async () => {
    const result = await runCli(['agent'], { env: {} });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^Must specify at least one config path using -config\n/);
  });

  test('JSON config names the stanza', async () => {
    const folder = await makeTempDir('coffer-agent-config-');
    const path = join(folder.path, 'agent.json');
    await writeFile(path, JSON.stringify({ auto_auth: { method: [{ type: 'approle', config: { role_id_file_path: '/tmp/r', remove_secret_id_file_after_reading: 'maybe' } }] } }));
    const result = await runCli(['agent', `-config=${path}`], { env: { HOME: folder.path } });
    await folder.remove();
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr: `Error loading configuration: ${path}:1: auto_auth.method "approle".config.remove_secret_id_file_after_reading: expected true or false, got "maybe"\n`,
    });
  });
});
