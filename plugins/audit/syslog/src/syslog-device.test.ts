import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@coffer/sdk';
import { FACILITIES, formatMessage, plugin } from './index.js';

const RSYSLOGD = '/usr/sbin/rsyslogd';
const rsyslogMissing = spawnSync(RSYSLOGD, ['-v']).error !== undefined;
const SKIP_REASON = 'rsyslogd is not installed (Debian package "rsyslog")';

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/**
 * An rsyslogd of the test's own: it listens on a socket in a temporary
 * folder and writes every message to a file there, so the test never touches
 * /dev/log or the machine's syslog.
 */
class Rsyslog {
  private process: ChildProcess | undefined;

  constructor(readonly folder: string) {}

  get socketPath(): string {
    return join(this.folder, 'log.sock');
  }

  get outputPath(): string {
    return join(this.folder, 'messages');
  }

  async start(): Promise<void> {
    const config = [
      `global(workDirectory="${this.folder}" maxMessageSize="64k")`,
      `module(load="imuxsock" SysSock.Use="on" SysSock.Name="${this.socketPath}" SysSock.RateLimit.Interval="0")`,
      'template(name="plain" type="string" string="%syslogfacility-text%.%syslogseverity-text% %syslogtag%%msg%\\n")',
      `:syslogtag, startswith, "rsyslogd" stop`,
      `*.* action(type="omfile" file="${this.outputPath}" template="plain")`,
    ].join('\n');
    const configPath = join(this.folder, 'rsyslog.conf');
    await writeFile(configPath, `${config}\n`);

    this.process = spawn(RSYSLOGD, ['-n', '-f', configPath, '-i', join(this.folder, 'rsyslogd.pid')], { stdio: 'ignore' });
    for (let tries = 0; tries < 200; tries += 1) {
      if (await access(this.socketPath).then(() => true, () => false)) return;
      await sleep(10);
    }
    throw new Error(`rsyslogd did not create ${this.socketPath}`);
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  /** Waits until the output has `count` lines and returns them. */
  async lines(count: number): Promise<string[]> {
    let lines: string[] = [];
    for (let tries = 0; tries < 300; tries += 1) {
      const text = await readFile(this.outputPath, 'utf8').catch(() => '');
      lines = text.split('\n').filter((line) => line !== '');
      if (lines.length >= count) return lines;
      await sleep(10);
    }
    assert.fail(`rsyslogd wrote ${lines.length} of ${count} lines: ${JSON.stringify(lines)}`);
  }
}

describe('syslog audit device', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'coffer-audit-syslog-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  test('rsyslog receives one message per entry', { skip: rsyslogMissing ? SKIP_REASON : false }, async () => {
    const rsyslog = new Rsyslog(await mkdtemp(join(scratch, 'rsyslog-')));
    await rsyslog.start();
    try {
      const device = await plugin.create({ socket_path: rsyslog.socketPath }, { logger: silentLogger });
      const entry = JSON.stringify({ type: 'request', request: { path: 'secret/data/app' } });
      await device.write(Buffer.from(`${entry}\n`));
      await device.write(Buffer.from(`${entry.replace('request"', 'response"')}\n`));
      await device.close();

      const lines = await rsyslog.lines(2);
      assert.deepEqual(lines, [
        `auth.info coffer[${process.pid}]: ${entry}`,
        `auth.info coffer[${process.pid}]: ${entry.replace('request"', 'response"')}`,
      ]);
    } finally {
      await rsyslog.stop();
    }
  });

  test('facility and tag options reach rsyslog', { skip: rsyslogMissing ? SKIP_REASON : false }, async () => {
    const rsyslog = new Rsyslog(await mkdtemp(join(scratch, 'rsyslog-')));
    await rsyslog.start();
    try {
      const device = await plugin.create({ socket_path: rsyslog.socketPath, facility: 'local3', tag: 'vault-audit' }, { logger: silentLogger });
      await device.write(Buffer.from('{"type":"request"}\n'));
      await device.close();
      assert.deepEqual(await rsyslog.lines(1), [`local3.info vault-audit[${process.pid}]: {"type":"request"}`]);
    } finally {
      await rsyslog.stop();
    }
  });

  test('large entry arrives whole', { skip: rsyslogMissing ? SKIP_REASON : false }, async () => {
    const rsyslog = new Rsyslog(await mkdtemp(join(scratch, 'rsyslog-')));
    await rsyslog.start();
    try {
      const device = await plugin.create({ socket_path: rsyslog.socketPath }, { logger: silentLogger });
      const entry = JSON.stringify({ data: 'x'.repeat(20_000) });
      await device.write(Buffer.from(`${entry}\n`));
      await device.close();
      assert.deepEqual(await rsyslog.lines(1), [`auth.info coffer[${process.pid}]: ${entry}`]);
    } finally {
      await rsyslog.stop();
    }
  });

  test('stopped rsyslog fails the write', { skip: rsyslogMissing ? SKIP_REASON : false }, async () => {
    const rsyslog = new Rsyslog(await mkdtemp(join(scratch, 'rsyslog-')));
    await rsyslog.start();
    const device = await plugin.create({ socket_path: rsyslog.socketPath }, { logger: silentLogger });
    await device.write(Buffer.from('{"n":1}\n'));
    await rsyslog.lines(1);
    await rsyslog.stop();

    await assert.rejects(device.write(Buffer.from('{"n":2}\n')), {
      message: `failed to send audit entries to syslog socket "${rsyslog.socketPath}": connect ENOENT`,
    });
    await device.close();
  });

  test('missing socket fails the create', async () => {
    const socketPath = join(scratch, 'no-daemon.sock');
    await assert.rejects(plugin.create({ socket_path: socketPath }, { logger: silentLogger }), {
      message: `failed to connect to syslog socket "${socketPath}": connect ENOENT; start the syslog daemon or set "socket_path"`,
    });
  });

  test('socket without a daemon fails the create', async () => {
    // A regular file at the socket's path, as a stale leftover would be.
    const socketPath = join(scratch, 'not-a-socket');
    await writeFile(socketPath, '');
    await assert.rejects(plugin.create({ socket_path: socketPath }, { logger: silentLogger }), {
      message: `failed to connect to syslog socket "${socketPath}": connect ECONNREFUSED; start the syslog daemon or set "socket_path"`,
    });
  });

  test('message follows the RFC 3164 local format', () => {
    const at = new Date(2024, 0, 5, 9, 7, 3);
    const message = formatMessage(FACILITIES.AUTH, 'coffer', Buffer.from('{"a":1}'), at, 4242);
    assert.equal(message.toString(), '<38>Jan  5 09:07:03 coffer[4242]: {"a":1}');
    const local7 = formatMessage(FACILITIES.LOCAL7, 'x', Buffer.from('m'), new Date(2024, 11, 25, 23, 59, 59), 1);
    assert.equal(local7.toString(), '<190>Dec 25 23:59:59 x[1]: m');
  });

  test('invalid options are rejected by name', async () => {
    await assert.rejects(plugin.create({ facility: 'mail2' }, { logger: silentLogger }), {
      message: `invalid option "facility" "mail2": use one of ${Object.keys(FACILITIES).join(', ')}`,
    });
    await assert.rejects(plugin.create({ tag: 'has space' }, { logger: silentLogger }), {
      message: 'invalid option "tag" "has space": use 1 to 32 letters, digits, "_", "-", "." or "/"',
    });
  });
});
