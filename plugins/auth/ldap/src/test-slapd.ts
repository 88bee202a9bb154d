/**
 * A private OpenLDAP server for tests: Debian's `slapd` started from a
 * temporary folder with its own cn=config, an mdb database seeded with a
 * small directory, a throwaway CA and server certificate for StartTLS and
 * LDAPS, and listeners on free loopback ports. Nothing outside the folder is
 * written, so the machine's own slapd and /etc/ldap stay untouched; the
 * schema files under /etc/ldap/schema are only read.
 *
 * Exported as `@coffer/auth-ldap/testing` so the server's HTTP tests can
 * start the same directory.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configLdif, directoryLdif, type SeedPasswords } from './test-slapd-ldif.js';

const run = promisify(execFile);

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';
const SLAPPASSWD = '/usr/sbin/slappasswd';
const SCHEMA_DIR = '/etc/ldap/schema';

/** The seeded directory's names, for building configs and assertions. */
export const DIRECTORY = {
  baseDn: 'dc=example,dc=com',
  peopleDn: 'ou=people,dc=example,dc=com',
  groupsDn: 'ou=groups,dc=example,dc=com',
  /** Service account for `binddn`; it lives outside `peopleDn`. */
  readerDn: 'cn=reader,ou=services,dc=example,dc=com',
  readerPassword: 'reader-secret-7',
  /**
   * Service account that may write every entry and password, including its
   * own; another entry named `cn=manager-<suffix>` in ou=services gets the same rights.
   */
  managerDn: 'cn=manager,ou=services,dc=example,dc=com',
  managerPassword: 'manager-secret-5',
  /** The database's root DN, which bypasses access control; it has no entry, so its password cannot be changed over LDAP. */
  rootDn: 'cn=admin,dc=example,dc=com',
  rootPassword: 'root-secret-0',
  upnDomain: 'example.com',
  /**
   * alice is a direct member of admins. carol is a member of developers,
   * which is a member of engineering, which is a member of staff. bob is a
   * member of developers and a contractor (employeeType).
   */
  users: {
    alice: { dn: 'cn=alice,ou=people,dc=example,dc=com', password: 'alice-pass-1' },
    bob: { dn: 'cn=bob,ou=people,dc=example,dc=com', password: 'bob-pass-2' },
    carol: { dn: 'cn=carol,ou=people,dc=example,dc=com', password: 'carol-pass-3' },
  },
} as const;

export interface TestDirectory {
  /** `ldap://127.0.0.1:<port>`, plain LDAP that also offers StartTLS. */
  url: string;
  /** `ldaps://127.0.0.1:<port>`. */
  ldapsUrl: string;
  /** PEM of the throwaway CA that signed the server certificate. */
  caCertificate: string;
  /** PEM of a client certificate and key signed by the same CA. */
  clientCertificate: string;
  clientKey: string;
  /** PEM of a self-signed client certificate and key, which slapd rejects during the handshake. */
  untrustedClientCertificate: string;
  untrustedClientKey: string;
  /** Stops slapd and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Returns why the LDAP tests cannot run here, or `undefined` when they can.
 * @throws Error when a tool is missing and `CI` is set, so that CI fails
 *   loudly instead of skipping.
 */
export function slapdSkipReason(): string | undefined {
  const missing = [SLAPD, SLAPADD, SLAPPASSWD, join(SCHEMA_DIR, 'core.ldif')].filter((path) => !existsSync(path));
  if (missing.length === 0) return undefined;

  const reason = `OpenLDAP is not installed (missing ${missing.join(', ')}): run "apt-get install -y slapd ldap-utils"`;
  if (process.env.CI !== undefined && process.env.CI !== '') throw new Error(reason);
  return reason;
}

/** Starts slapd with the seeded directory on free loopback ports. */
export async function startTestDirectory(): Promise<TestDirectory> {
  const folder = await mkdtemp(join(tmpdir(), 'coffer-slapd-'));
  try {
    const certificates = await createCertificates(folder);
    await buildDatabase(folder);
    const { child, url, ldapsUrl } = await launch(folder);
    return {
      url,
      ldapsUrl,
      ...certificates,
      stop: async () => {
        await stopProcess(child);
        await rm(folder, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(folder, { recursive: true, force: true });
    throw err;
  }
}

async function buildDatabase(folder: string): Promise<void> {
  const configDir = join(folder, 'slapd.d');
  const dataDir = join(folder, 'data');
  await mkdir(configDir);
  await mkdir(dataDir);

  const passwords: SeedPasswords = {
    root: await hashPassword(DIRECTORY.rootPassword),
    reader: await hashPassword(DIRECTORY.readerPassword),
    manager: await hashPassword(DIRECTORY.managerPassword),
    alice: await hashPassword(DIRECTORY.users.alice.password),
    bob: await hashPassword(DIRECTORY.users.bob.password),
    carol: await hashPassword(DIRECTORY.users.carol.password),
  };

  const configPath = join(folder, 'config.ldif');
  await writeFile(configPath, configLdif({ folder, dataDir, schemaDir: SCHEMA_DIR, rootPasswordHash: passwords.root }));
  await runTool(SLAPADD, ['-n0', '-F', configDir, '-l', configPath]);

  const dataPath = join(folder, 'directory.ldif');
  await writeFile(dataPath, directoryLdif(passwords));
  await runTool(SLAPADD, ['-n1', '-F', configDir, '-l', dataPath]);
}

async function hashPassword(password: string): Promise<string> {
  const { stdout } = await run(SLAPPASSWD, ['-h', '{SSHA}', '-s', password]);
  return stdout.trim();
}

async function runTool(tool: string, args: string[]): Promise<void> {
  try {
    await run(tool, args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`${tool} ${args.join(' ')} failed: ${stderr.trim() || String(err)}`);
  }
}

/**
 * Creates a CA, a server certificate for 127.0.0.1 only (so that a URL
 * naming localhost fails the host name check), client certificates, and a
 * self-signed client certificate.
 */
type Certificates = Pick<TestDirectory, 'caCertificate' | 'clientCertificate' | 'clientKey' | 'untrustedClientCertificate' | 'untrustedClientKey'>;

async function createCertificates(folder: string): Promise<Certificates> {
  const path = (name: string): string => join(folder, name);
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  await run('openssl', ['req', '-x509', ...ecKey, '-keyout', path('ca.key'), '-out', path('ca.pem'), '-days', '1', '-subj', '/CN=Coffer Test CA']);
  await run('openssl', ['req', '-x509', ...ecKey, '-keyout', path('untrusted.key'), '-out', path('untrusted.pem'), '-days', '1', '-subj', '/CN=coffer-test-untrusted']);
  await writeFile(path('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await writeFile(path('client.ext'), 'extendedKeyUsage=clientAuth\n');

  for (const name of ['server', 'client']) {
    await run('openssl', ['req', ...ecKey, '-keyout', path(`${name}.key`), '-out', path(`${name}.csr`), '-subj', `/CN=coffer-test-${name}`]);
    await run('openssl', [
      'x509', '-req', '-in', path(`${name}.csr`), '-CA', path('ca.pem'), '-CAkey', path('ca.key'), '-CAcreateserial',
      '-out', path(`${name}.pem`), '-days', '1', '-extfile', path(`${name}.ext`),
    ]);
  }

  return {
    caCertificate: await readFile(path('ca.pem'), 'utf8'),
    clientCertificate: await readFile(path('client.pem'), 'utf8'),
    clientKey: await readFile(path('client.key'), 'utf8'),
    untrustedClientCertificate: await readFile(path('untrusted.pem'), 'utf8'),
    untrustedClientKey: await readFile(path('untrusted.key'), 'utf8'),
  };
}

/** Returns a port that was free on 127.0.0.1 a moment ago; tests also use it as a port nothing listens on. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port assigned'))));
    });
  });
}

/**
 * Starts slapd in the foreground (`-d 0` keeps it attached, so the test
 * process owns it) and waits until both listeners accept connections. A port
 * taken between choosing it and slapd binding it makes slapd exit, and the
 * start is retried on new ports.
 */
async function launch(folder: string): Promise<{ child: ChildProcess; url: string; ldapsUrl: string }> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const ldapPort = await freePort();
    const ldapsPort = await freePort();
    const url = `ldap://127.0.0.1:${ldapPort}`;
    const ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
    const child = spawn(SLAPD, ['-d', '0', '-F', join(folder, 'slapd.d'), '-h', `${url}/ ${ldapsUrl}/`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));

    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 8192) stderr += chunk.toString('utf8');
    });

    try {
      await waitForPorts(child, [ldapPort, ldapsPort]);
      return { child, url, ldapsUrl };
    } catch (err) {
      await stopProcess(child);
      lastError = new Error(`slapd did not start: ${(err as Error).message}; stderr: ${stderr.trim()}`);
    }
  }
  throw lastError ?? new Error('slapd did not start');
}

async function waitForPorts(child: ChildProcess, ports: number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    while (!(await accepts(port))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`slapd exited with ${child.exitCode ?? child.signalCode}`);
      if (Date.now() > deadline) throw new Error(`port ${port} did not open within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
