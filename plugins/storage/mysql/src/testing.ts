/**
 * Throwaway databases on a MySQL or MariaDB server, for tests of this
 * backend and of anything that runs on it. Import it as
 * `@coffer/storage-mysql/testing`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';

/** A server that tests connect to. */
export interface TestServer {
  host: string;
  port: number;
  username: string;
  password: string;
}

/**
 * Returns the server that tests use: `COFFER_TEST_MYSQL_ADDRESS`,
 * `COFFER_TEST_MYSQL_USERNAME` and `COFFER_TEST_MYSQL_PASSWORD` when set,
 * else the local server on 127.0.0.1:3306 as `root` with no password.
 * The account must be allowed to create and drop databases.
 */
export function testServer(): TestServer {
  const [host, port] = (process.env.COFFER_TEST_MYSQL_ADDRESS ?? '127.0.0.1:3306').split(':');
  return {
    host,
    port: Number(port ?? '3306'),
    username: process.env.COFFER_TEST_MYSQL_USERNAME ?? 'root',
    password: process.env.COFFER_TEST_MYSQL_PASSWORD ?? '',
  };
}

/** Returns a database name that no other test run uses: `coffer_test_` and 16 random hex digits. */
export function throwawayDatabaseName(): string {
  return `coffer_test_${randomBytes(8).toString('hex')}`;
}

/** Returns the stanza settings for `database` on the test server, plus `extra`. */
export function testSettings(database: string, extra: Record<string, string> = {}): Record<string, string> {
  const server = testServer();
  return { address: `${server.host}:${server.port}`, username: server.username, password: server.password, database, ...extra };
}

/** Drops `database` if it exists. Safe to call twice. */
export async function dropDatabase(database: string): Promise<void> {
  await runAdmin(`DROP DATABASE IF EXISTS \`${database}\``);
}

/** Runs one statement on its own connection to the test server and returns its rows, or its result header for a write. */
export async function runAdmin(sql: string, values: unknown[] = []): Promise<unknown> {
  const server = testServer();
  const connection = await mysql.createConnection({ host: server.host, port: server.port, user: server.username, password: server.password });
  try {
    const [result] = await connection.query(sql, values);
    return result;
  } finally {
    await connection.end();
  }
}

/** A MariaDB server with TLS that a test started on a loopback port, with root and no password. */
export interface TlsTestServer {
  /** `127.0.0.1:<port>`. */
  address: string;
  /** The CA that signed the server's certificate, for `tls_ca_file`. */
  caFile: string;
  /** A CA that signed nothing the server presents, to check that verification fails. */
  otherCaFile: string;
  /** Runs one statement as root over a plain connection. */
  runAdmin(sql: string, values?: unknown[]): Promise<unknown>;
  /** Stops the server and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

const TLS_SERVER_TOOLS = ['/usr/sbin/mariadbd', '/usr/bin/mariadb-install-db', '/usr/bin/openssl'];

/** Returns why {@link startTlsTestServer} cannot run here, or undefined when it can. */
export function tlsServerUnavailableReason(): string | undefined {
  const missing = TLS_SERVER_TOOLS.filter((tool) => !existsSync(tool));
  return missing.length === 0 ? undefined : `missing ${missing.join(', ')}; install the mariadb-server and openssl packages`;
}

/**
 * Starts a throwaway MariaDB on a free loopback port with a certificate for
 * `127.0.0.1` and `localhost`, signed by a CA made for this run.
 *
 * @throws Error when a tool fails or the server is not ready within 30 s
 */
export async function startTlsTestServer(): Promise<TlsTestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-mysql-tls-'));
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => runTool('/usr/bin/openssl', args);

  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-subj', '/CN=coffer test ca', '-days', '1');
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('other.key'), '-out', file('other.pem'), '-subj', '/CN=coffer other ca', '-days', '1');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost');
  await writeFile(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.pem'), '-days', '1', '-extfile', file('ext.cnf'));
  runTool('/usr/bin/mariadb-install-db', ['--no-defaults', `--datadir=${file('data')}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db']);

  const port = await freeLoopbackPort();
  const server = spawn(
    '/usr/sbin/mariadbd',
    [
      '--no-defaults',
      `--datadir=${file('data')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${file('mysqld.sock')}`,
      `--pid-file=${file('mysqld.pid')}`,
      '--user=root',
      `--ssl-ca=${file('ca.pem')}`,
      `--ssl-cert=${file('server.pem')}`,
      `--ssl-key=${file('server.key')}`,
      '--innodb-buffer-pool-size=16M',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const admin = { host: '127.0.0.1', port, user: 'root', password: '' };
  const runOnServer = async (sql: string, values: unknown[] = []): Promise<unknown> => {
    const connection = await mysql.createConnection(admin);
    try {
      const [result] = await connection.query(sql, values);
      return result;
    } finally {
      await connection.end();
    }
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (server.exitCode === null) server.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await runOnServer('SELECT 1');
      break;
    } catch (err) {
      if (Date.now() > deadline || server.exitCode !== null) {
        await stop();
        throw new Error(`the TLS test server did not start: ${(err as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { address: `127.0.0.1:${port}`, caFile: file('ca.pem'), otherCaFile: file('other.pem'), runAdmin: runOnServer, stop };
}

function runTool(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} failed with status ${result.status}: ${result.stderr}`);
}

/** Finds a loopback port with nothing listening on it. */
async function freeLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
