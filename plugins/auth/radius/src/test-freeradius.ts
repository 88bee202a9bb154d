/**
 * A private RADIUS server for tests: Debian's FreeRADIUS 3 (`freeradius`),
 * started in the foreground from a temporary folder. Its minimal radiusd.conf
 * has one client entry for 127.0.0.1 with a test secret, and the files and
 * pap modules authorize users from its own `users` file. It listens on a
 * free loopback UDP port. Nothing outside the folder is written, so
 * /etc/freeradius and the machine's own radiusd stay untouched.
 *
 * Exported as `@coffer/auth-radius/testing` so the server's HTTP tests can
 * start the same server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FREERADIUS = '/usr/sbin/freeradius';
const DICTIONARY_DIR = '/usr/share/freeradius';

/** The shared secret of the test client entry for 127.0.0.1. */
export const TEST_SECRET = 'radius-test-secret-4';

/** Users of the `users` file and their passwords. */
export const TEST_USERS = {
  alice: 'alice-pass-1',
  bob: 'bob-pass-2',
  /** Known to the server but registered under users/ in no test. */
  carol: 'carol-pass-3',
  /** The user of the integration's certify block. */
  certify: 'certify-password',
  /** Passwords at the User-Password block edges: 16 and 17 bytes, and 128 bytes of two-byte characters. */
  block16: 'sixteen-byte-pw!',
  block17: 'seventeen-byte-pw',
  maximum: 'ü'.repeat(64),
} as const;

/** A user whose correct password gets an Access-Challenge, as for a one-time code. */
export const CHALLENGE_USER = { name: 'dave', password: 'dave-pass-4' } as const;

/** A user the server accepts only from NAS-Identifier "coffer-nas" and NAS-Port 7. */
export const NAS_BOUND_USER = { name: 'erin', password: 'erin-pass-5', nasIdentifier: 'coffer-nas', nasPort: 7 } as const;

export interface TestRadiusServer {
  host: string;
  /**
   * Requires a Message-Authenticator in every Access-Request and drops a
   * request whose attribute fails, so a login also checks the client's.
   */
  port: number;
  /** Path of the server's log, for failure messages. */
  logPath: string;
  /** Stops the server by its process ID and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Returns why the RADIUS tests cannot run here, or `undefined` when they can.
 * @throws Error when FreeRADIUS is missing and `CI` is set, so that CI fails loudly instead of skipping.
 */
export function freeradiusSkipReason(): string | undefined {
  const missing = [FREERADIUS, join(DICTIONARY_DIR, 'dictionary')].filter((path) => !existsSync(path));
  if (missing.length === 0) return undefined;
  const reason = `FreeRADIUS is not installed (missing ${missing.join(', ')}): run "apt-get install -y --no-install-recommends freeradius"`;
  if (process.env.CI !== undefined && process.env.CI !== '') throw new Error(reason);
  return reason;
}

function radiusdConf(folder: string, port: number): string {
  return `prefix = /usr
localstatedir = ${folder}
logdir = ${folder}
raddbdir = ${folder}
run_dir = ${folder}
libdir = /usr/lib/freeradius
dictdir = ${DICTIONARY_DIR}
pidfile = ${folder}/radiusd.pid
name = radiusd
max_request_time = 5
cleanup_delay = 0
max_requests = 256
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
log {
  destination = files
  file = ${folder}/radius.log
  auth = no
}
client coffer {
  ipaddr = 127.0.0.1
  secret = ${TEST_SECRET}
  require_message_authenticator = yes
}
modules {
  files {
    filename = ${folder}/users
  }
  pap {
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${port}
  }
  authorize {
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
  }
}
`;
}

function usersFile(): string {
  const users = Object.entries(TEST_USERS).map(([name, password]) => `${name} Cleartext-Password := "${password}"\n`);
  // Response-Packet-Type in the control list makes FreeRADIUS send an Access-Challenge instead of an Access-Accept.
  users.push(`${CHALLENGE_USER.name} Cleartext-Password := "${CHALLENGE_USER.password}", Response-Packet-Type := Access-Challenge\n\tReply-Message = "Enter your one-time code"\n`);
  const erin = NAS_BOUND_USER;
  users.push(`${erin.name} Cleartext-Password := "${erin.password}", NAS-Identifier == "${erin.nasIdentifier}", NAS-Port == ${erin.nasPort}\n`);
  return users.join('');
}

/** Starts FreeRADIUS on a free loopback UDP port and waits until it is ready. */
export async function startTestRadiusServer(): Promise<TestRadiusServer> {
  const folder = await mkdtemp(join(tmpdir(), 'coffer-freeradius-'));
  const logPath = join(folder, 'radius.log');
  try {
    const port = await freeUdpPort();
    await writeFile(join(folder, 'radiusd.conf'), radiusdConf(folder, port));
    await writeFile(join(folder, 'users'), usersFile());
    // FreeRADIUS reads a local dictionary from raddbdir after the system ones; it may be empty.
    await writeFile(join(folder, 'dictionary'), '');

    const child = spawn(FREERADIUS, ['-f', '-d', folder, '-n', 'radiusd', '-l', logPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    await waitUntilReady(child, logPath);

    let stopped = false;
    return {
      host: '127.0.0.1',
      port,
      logPath,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopProcess(child);
        await rm(folder, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(folder, { recursive: true, force: true });
    throw err;
  }
}

/** Returns a UDP port on 127.0.0.1 that was free a moment ago. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(child: ChildProcess, logPath: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`freeradius exited with code ${child.exitCode}: ${stderr}${await readLog(logPath)}`);
    if ((await readLog(logPath)).includes('Ready to process requests')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stopProcess(child);
  throw new Error(`freeradius did not become ready within 30s: ${stderr}${await readLog(logPath)}`);
}

async function readLog(logPath: string): Promise<string> {
  try {
    return await readFile(logPath, 'utf8');
  } catch {
    return '';
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export interface TamperingRelay {
  port: number;
  /** Number of responses relayed so far. */
  responses(): number;
  close(): Promise<void>;
}

/**
 * Starts an on-path attacker between Coffer and the test server: a UDP relay
 * on a free loopback port that forwards each request unchanged and passes
 * each response through `tamper` before sending it back.
 */
export async function startTamperingRelay(serverPort: number, tamper: (response: Buffer) => Buffer): Promise<TamperingRelay> {
  const port = await freeUdpPort();
  const front = createSocket('udp4');
  let relayed = 0;
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.bind(port, '127.0.0.1', () => resolve());
  });
  front.on('message', (request, client) => {
    const back = createSocket('udp4');
    back.on('message', (response) => {
      relayed += 1;
      front.send(tamper(Buffer.from(response)), client.port, client.address);
      back.close();
    });
    back.send(request, serverPort, '127.0.0.1');
    setTimeout(() => {
      try {
        back.close();
      } catch {
        // Already closed after the response.
      }
    }, 10_000).unref();
  });
  return {
    port,
    responses: () => relayed,
    close: () => new Promise((resolve) => front.close(() => resolve())),
  };
}
