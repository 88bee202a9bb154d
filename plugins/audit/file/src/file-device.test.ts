import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger, type AuditDevice } from '@coffer/sdk';
import { DiscardAuditDevice, FileAuditDevice, plugin, StdoutAuditDevice } from './index.js';

function line(text: string): Buffer {
  return Buffer.from(`${text}\n`);
}

async function readLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter((item) => item !== '');
}

describe('file audit device', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'coffer-audit-file-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function openDevice(name: string, options: Record<string, string> = {}): Promise<{ device: FileAuditDevice; path: string }> {
    const path = join(scratch, name, 'audit.log');
    const device = await plugin.create({ file_path: path, ...options }, { logger: silentLogger });
    assert.ok(device instanceof FileAuditDevice);
    return { device, path };
  }

  test('appends entries to a new file with mode 0600', async () => {
    const { device, path } = await openDevice('append');
    await device.write(line('first'));
    await device.write(line('second'));
    await device.close();

    assert.deepEqual(await readLines(path), ['first', 'second']);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  test('appends to an existing file and applies the mode option', async () => {
    const path = join(scratch, 'existing.log');
    await writeFile(path, 'kept\n', { mode: 0o644 });
    const device = await plugin.create({ file_path: path, mode: '0640' }, { logger: silentLogger });
    await device.write(line('added'));
    await device.close();

    assert.deepEqual(await readLines(path), ['kept', 'added']);
    assert.equal((await stat(path)).mode & 0o777, 0o640);
  });

  test('mode 0000 keeps the existing mode', async () => {
    const path = join(scratch, 'keep-mode.log');
    await writeFile(path, '', { mode: 0o604 });
    const device = await plugin.create({ file_path: path, mode: '0000' }, { logger: silentLogger });
    await device.write(line('entry'));
    await device.close();
    assert.equal((await stat(path)).mode & 0o777, 0o604);
  });

  test('group commit covers concurrent writes with few syncs', async () => {
    const { device, path } = await openDevice('group');
    const count = 500;
    await Promise.all(Array.from({ length: count }, (_, index) => device.write(line(`entry-${index}`))));
    const syncs = device.syncCount;
    await device.close();

    const lines = await readLines(path);
    assert.equal(lines.length, count);
    assert.deepEqual(new Set(lines), new Set(Array.from({ length: count }, (_, index) => `entry-${index}`)));
    assert.ok(syncs >= 1, `expected at least one sync, got ${syncs}`);
    assert.ok(syncs <= 5, `expected at most 5 syncs for ${count} concurrent writes, got ${syncs}`);
  });

  test('each sequential write waits for its own sync', async () => {
    const { device } = await openDevice('sequential');
    for (let index = 1; index <= 3; index += 1) {
      await device.write(line(`entry-${index}`));
      assert.equal(device.syncCount, index);
    }
    await device.close();
  });

  test('non-durable write resolves before sync', async () => {
    const { device, path } = await openDevice('not-durable');
    await device.write(line('request'), { durable: false });
    assert.equal(device.syncCount, 0);
    assert.deepEqual(await readLines(path), ['request']);

    await device.write(line('response'));
    assert.equal(device.syncCount, 1);
    await device.close();
    assert.deepEqual(await readLines(path), ['request', 'response']);
  });

  test('write made during a sync waits for the next sync', async () => {
    const { device } = await openDevice('overlap');
    const first = device.write(line('first'));
    // By the next turn of the event loop the first batch is in flight, so the second write cannot join it.
    await new Promise((resolve) => setImmediate(resolve));
    const second = device.write(line('second'));

    await first;
    assert.equal(device.syncCount, 1);
    await second;
    assert.equal(device.syncCount, 2);
    await device.close();
  });

  test('removed folder fails the write', async () => {
    const { device, path } = await openDevice('removed');
    await device.write(line('before'));
    await rm(join(scratch, 'removed'), { recursive: true, force: true });

    await assert.rejects(device.write(line('after')), (err: Error) => {
      assert.equal(err.message, `failed to write audit file "${path}": ENOENT: no such file or directory, open '${path}'`);
      return true;
    });
    await device.close();
  });

  test('deleted file is created again and gets the entry', async () => {
    const { device, path } = await openDevice('deleted');
    await device.write(line('lost with the old file'));
    await unlink(path);

    await device.write(line('kept'));
    await device.close();
    assert.deepEqual(await readLines(path), ['kept']);
  });

  test('unwritable file fails the write', async () => {
    // /dev/full accepts an open and fails every write with ENOSPC.
    const device = await plugin.create({ file_path: '/dev/full' }, { logger: silentLogger });
    const before = (await stat('/dev/full')).mode;
    await assert.rejects(device.write(line('entry')), (err: Error) => {
      assert.equal(err.message, 'failed to write audit file "/dev/full": ENOSPC: no space left on device, write');
      return true;
    });
    await device.close();
    assert.equal((await stat('/dev/full')).mode, before, 'the device file kept its mode');
  });

  test('failed append leaves no partial entry', async () => {
    // A child process whose file size limit (ulimit -f, in 1024-byte blocks)
    // cuts the third entry short, as a full disk does.
    const path = join(scratch, 'size-limit.log');
    const script = `
      import { FileAuditDevice } from ${JSON.stringify(new URL('./file-device.js', import.meta.url).href)};
      import { silentLogger } from '@coffer/sdk';
      const device = await FileAuditDevice.open({ path: ${JSON.stringify(path)}, mode: 0 }, silentLogger);
      const outcomes = [];
      for (const index of [1, 2, 3]) {
        const entry = JSON.stringify({ index, pad: 'x'.repeat(1500) }) + '\\n';
        outcomes.push(await device.writeText(entry).then(() => 'written', (err) => err.message));
      }
      await device.close();
      process.stdout.write(JSON.stringify(outcomes));
    `;
    const child = spawnSync('bash', ['-c', 'ulimit -f 4 && exec "$0" --input-type=module -e "$1"', process.execPath, script], {
      cwd: new URL('.', import.meta.url),
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);

    const outcomes = JSON.parse(child.stdout) as string[];
    assert.deepEqual(outcomes.slice(0, 2), ['written', 'written']);
    assert.match(outcomes[2], /^failed to write audit file ".*size-limit\.log": EFBIG/);
    const written = [1, 2].map((index) => `${JSON.stringify({ index, pad: 'x'.repeat(1500) })}\n`).join('');
    assert.equal(await readFile(path, 'utf8'), written, 'the file has the two written entries and nothing of the third');
  });

  test('character device takes durable writes', async () => {
    // fdatasync fails with EINVAL on /dev/null and on pipes, which have nothing to make durable.
    const device = await plugin.create({ file_path: '/dev/null' }, { logger: silentLogger });
    assert.ok(device instanceof FileAuditDevice);
    await device.write(line('request'), { durable: false });
    await device.write(line('response'));
    await device.reopen!();
    await device.write(line('after reopen'));
    await device.close();
    assert.equal(device.syncCount, 0);
  });

  test('reopen continues in a new file after rename', async () => {
    const { device, path } = await openDevice('rotate');
    await device.write(line('old'));
    await rename(path, `${path}.1`);
    await device.write(line('still old'));

    await device.reopen!();
    await device.write(line('new'));
    await device.close();

    assert.deepEqual(await readLines(`${path}.1`), ['old', 'still old']);
    assert.deepEqual(await readLines(path), ['new']);
  });

  test('reopen syncs request entries left in the old file', async () => {
    const { device, path } = await openDevice('rotate-unsynced');
    await device.write(line('request'), { durable: false });
    assert.equal(device.syncCount, 0);
    await rename(path, `${path}.1`);

    // The response entry's sync goes to the new file, so it cannot cover the request entry in the old one.
    await device.reopen!();
    assert.equal(device.syncCount, 1);
    await device.write(line('response'));
    assert.equal(device.syncCount, 2);
    await device.close();

    assert.deepEqual(await readLines(`${path}.1`), ['request']);
    assert.deepEqual(await readLines(path), ['response']);
  });

  test('close syncs request entries appended since the last sync', async () => {
    const { device, path } = await openDevice('close-unsynced');
    await device.write(line('synced'));
    await device.write(line('request'), { durable: false });
    assert.equal(device.syncCount, 1);

    await device.close();
    assert.equal(device.syncCount, 2);
    assert.deepEqual(await readLines(path), ['synced', 'request']);
  });

  test('close without new entries makes no sync', async () => {
    const { device } = await openDevice('close-clean');
    await device.write(line('synced'));
    await device.close();
    assert.equal(device.syncCount, 1);
  });

  test('close during a sync waits for it and for queued writes', async () => {
    const { device, path } = await openDevice('close-syncing');
    const first = device.write(line('first'));
    await new Promise((resolve) => setImmediate(resolve));
    const second = device.write(line('second'), { durable: false });
    const third = device.write(line('third'));
    const closed = device.close();

    await first;
    await second;
    await third;
    await closed;
    assert.equal(device.syncCount, 2);
    assert.deepEqual(await readLines(path), ['first', 'second', 'third']);
    await assert.rejects(device.write(line('late')), { message: `audit file "${path}" is closed` });
  });

  test('reopen during a sync keeps covered entries in the old file', async () => {
    const { device, path } = await openDevice('reopen-syncing');
    const first = device.write(line('first'));
    await new Promise((resolve) => setImmediate(resolve));
    await rename(path, `${path}.1`);
    const second = device.write(line('second'), { durable: false });
    const reopened = device.reopen!();

    await first;
    await second;
    await reopened;
    await device.write(line('third'));
    await device.close();
    assert.deepEqual(await readLines(`${path}.1`), ['first', 'second']);
    assert.deepEqual(await readLines(path), ['third']);
    assert.equal(device.syncCount, 3);
  });

  test('entries keep call order across batches and syncs', async () => {
    const { device, path } = await openDevice('ordered');
    const writes: Promise<void>[] = [];
    const expected: string[] = [];
    for (let round = 0; round < 20; round++) {
      for (let index = 0; index < 5; index++) {
        const text = `entry-${round}-${index}`;
        expected.push(text);
        writes.push(device.write(line(text), { durable: index % 2 === 1 }));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(writes);
    await device.close();
    assert.deepEqual(await readLines(path), expected);
  });

  test('text and buffers share a batch in order', async () => {
    const { device, path } = await openDevice('text');
    const writes = [
      device.writeText('first ü\n', { durable: false }),
      device.write(line('second')),
      device.writeText('third\nfourth\n'),
    ];
    await Promise.all(writes);
    await device.close();
    assert.deepEqual(await readLines(path), ['first ü', 'second', 'third', 'fourth']);
    assert.equal(device.syncCount, 1);
  });

  test('text is written as Buffer.from encodes it', async () => {
    const { device, path } = await openDevice('encoding');
    // One to four UTF-8 bytes a character, and lone surrogates, which become U+FFFD.
    const texts = ['a\u00e9\u20ac\u{1F600}\n', '\uD83D\n', 'x\uDE00\uD800\n', '\u{10FFFF}'.repeat(40000) + '\n', '\uDBFF'.repeat(30000) + '\n'];
    // Over 4 MiB of text in one batch grows the device's buffer past the size it keeps.
    const huge = `${'\u20ac'.repeat(2 * 1024 * 1024)}\n`;
    await Promise.all([...texts.map((text) => device.writeText(text)), device.write(line('buffer')), device.writeText(huge)]);
    await device.writeText('after\n');
    await device.close();

    const expected = Buffer.concat([...texts.map((text) => Buffer.from(text, 'utf8')), line('buffer'), Buffer.from(huge, 'utf8'), line('after')]);
    assert.ok((await readFile(path)).equals(expected), 'the file differs from the UTF-8 of the entries');
  });

  test('write after close is rejected', async () => {
    const { device, path } = await openDevice('closed');
    await device.close();
    await assert.rejects(device.write(line('late')), { message: `audit file "${path}" is closed` });
  });

  test('path is accepted as the older name of file_path', async () => {
    const path = join(scratch, 'alias', 'audit.log');
    const device = await plugin.create({ path }, { logger: silentLogger });
    await device.write(line('entry'));
    await device.close();
    assert.deepEqual(await readLines(path), ['entry']);
  });

  test('stdout and discard are special values', async () => {
    const stdout = await plugin.create({ file_path: 'stdout' }, { logger: silentLogger });
    assert.ok(stdout instanceof StdoutAuditDevice);
    const discard: AuditDevice = await plugin.create({ file_path: 'DISCARD' }, { logger: silentLogger });
    assert.ok(discard instanceof DiscardAuditDevice);
    await discard.write(line('dropped'));
    await discard.close();
    await stdout.close();
  });

  test('invalid options are rejected by name', async () => {
    await mkdir(join(scratch, 'options'), { recursive: true });
    const file = join(scratch, 'options', 'audit.log');
    const missing = join(scratch, 'options', 'missing.log');
    const cases: [Record<string, string>, string][] = [
      [{}, 'missing required option "file_path"'],
      [{ file_path: '  ' }, 'missing required option "file_path"'],
      [{ file_path: file, path: `${file}.other` }, 'options "file_path" and "path" name different files: set only "file_path"'],
      [{ file_path: file, mode: 'rw' }, 'invalid option "mode" "rw": expected octal permission bits such as "0600"'],
      [{ file_path: file, mode: '0755' }, 'invalid option "mode" "0755": an audit file must not be executable; use a mode such as "0600"'],
      [{ file_path: file, mode: '4600' }, 'invalid option "mode" "4600": setuid, setgid and sticky bits are not allowed; use a mode such as "0600"'],
      [{ file_path: missing, mode: '0000' }, `invalid option "mode" "0000": it keeps the mode of an existing file, but "${missing}" does not exist`],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(plugin.create(options, { logger: silentLogger }), { message }, JSON.stringify(options));
    }
    await assert.rejects(stat(file), { code: 'ENOENT' });
  });
});
