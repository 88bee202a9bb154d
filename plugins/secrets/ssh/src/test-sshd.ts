/**
 * A throwaway OpenSSH server for tests: sshd on a free loopback port with
 * its own configuration, host key and pid file in the test's folder,
 * stopped by the test. sshd runs its privilege separation only as root and
 * then needs /run/sshd, which this creates as Debian's service would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { run, type Workdir } from './test-support.js';

export const SSHD = '/usr/sbin/sshd';

/** Returns why sshd cannot run here, or undefined when it can. */
export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is missing: install Debian's openssh-server`;
  if (process.getuid?.() !== 0) return 'sshd logs users in only when it runs as root, and the tests do not';
  return undefined;
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

export interface SshdOptions {
  /** File with the CA public keys whose user certificates sshd trusts. */
  trustedUserCaKeys: string;
  /** Principals accepted for the login user, one per line in AuthorizedPrincipalsFile. */
  principals: string[];
  /** The host key and, optionally, its certificate. */
  hostKey: string;
  hostCertificate?: string;
}

export interface Sshd {
  port: number;
  /** The user tests log in as: the user running them. */
  user: string;
  stop(): Promise<void>;
}

/** Starts sshd in the foreground and waits until it listens. */
export async function startSshd(workdir: Workdir, options: SshdOptions): Promise<Sshd> {
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const user = userInfo().username;
  const principalsFile = workdir.file('principals');
  await writeFile(principalsFile, `${options.principals.join('\n')}\n`);
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${options.hostKey}`,
    ...(options.hostCertificate !== undefined ? [`HostCertificate ${options.hostCertificate}`] : []),
    `PidFile ${workdir.file('sshd.pid')}`,
    'UsePAM no',
    'StrictModes no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'AuthorizedKeysFile none',
    `TrustedUserCAKeys ${options.trustedUserCaKeys}`,
    `AuthorizedPrincipalsFile ${principalsFile}`,
    'LogLevel VERBOSE',
  ];
  const configFile = workdir.file('sshd_config');
  await writeFile(configFile, `${config.join('\n')}\n`);
  // A bad configuration fails here with sshd's own message.
  await run(SSHD, ['-t', '-f', configFile]);

  const child = spawn(SSHD, ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitForListening(child, port);
  return {
    port,
    user,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function waitForListening(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`sshd did not listen on port ${port} within 10 s: ${output}`));
    }, 10_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited with ${code} before listening: ${output}`));
    });
  });
}

/** The outcome of one ssh login attempt. */
export interface LoginResult {
  ok: boolean;
  stderr: string;
}

/**
 * Runs `ssh ... true` against the server with a key and its certificate,
 * checking the host against `knownHosts`. Nothing from the user's own ssh
 * configuration is read.
 */
export async function tryLogin(sshd: Sshd, keyFile: string, certificateFile: string, knownHosts: string, principal = sshd.user): Promise<LoginResult> {
  const args = [
    '-F', '/dev/null',
    '-i', keyFile,
    '-o', `CertificateFile=${certificateFile}`,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'ConnectTimeout=10',
    '-p', String(sshd.port),
    `${principal}@127.0.0.1`,
    'true',
  ];
  try {
    await run('ssh', args, { timeout: 20_000 });
    return { ok: true, stderr: '' };
  } catch (err) {
    return { ok: false, stderr: String((err as { stderr?: unknown }).stderr ?? err) };
  }
}
