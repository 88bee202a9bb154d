import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isCofferError, silentLogger, type ClosableStorage } from '@coffer/sdk';
import { runStorageConformance } from '@coffer/certify';
import { failure } from './file.js';
import { plugin } from './index.js';
import { decodeSegment, encodeSegment, MAX_PATH_BYTES } from './layout.js';

/** Asserts that `promise` rejects with a CofferError of status 400 and exactly `message`. */
async function assertBadRequest(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isCofferError(err), `expected a CofferError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.equal(err.message, message);
    return true;
  });
}

/** Returns `text` quoted as the backend's messages quote it: keys cut at 100 characters, segments at 40. */
function quoted(text: string, maxLength = 100): string {
  return text.length <= maxLength ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, maxLength))}... (${text.length} characters)`;
}

runStorageConformance({
  name: 'file',
  module: new URL('./index.js', import.meta.url).href,
  settings: ({ dir }) => ({ path: join(dir, 'data') }),
  persistent: true,
});

describe('file storage', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'coffer-file-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function open(name: string): Promise<{ storage: ClosableStorage; root: string }> {
    const root = join(scratch, name);
    return { storage: await plugin.create({ path: root }, { logger: silentLogger }), root };
  }

  test('layout keeps folder "_x" and key "x" apart', async () => {
    const { storage, root } = await open('collision');
    await storage.put({ key: '_x/y', value: Buffer.from('in folder _x') });
    await storage.put({ key: 'x', value: Buffer.from('key x') });
    assert.deepEqual((await readdir(root)).sort(), ['%5Fx', '_x']);
    assert.deepEqual((await storage.get('x'))?.value, Buffer.from('key x'));
    assert.deepEqual(await storage.list(''), ['_x/', 'x']);
  });

  test('layout escapes case, dots and non-ASCII', () => {
    assert.equal(encodeSegment('plain-name.v2'), 'plain-name.v2');
    assert.equal(encodeSegment('Key'), '%4Bey');
    assert.equal(encodeSegment('.hidden'), '%2Ehidden');
    assert.equal(encodeSegment('_x'), '%5Fx');
    assert.equal(encodeSegment('a b'), 'a%20b');
    assert.equal(encodeSegment('é'), '%C3%A9');
    for (const segment of ['Key', '.hidden', '_x', 'a b', '秘密', '%41', 'a.b', '~']) {
      assert.equal(decodeSegment(encodeSegment(segment)), segment);
    }
    assert.equal(decodeSegment('%4bey'), null, 'lower-case hex is never written');
    assert.equal(decodeSegment('README'), null, 'upper case is never written');
  });

  test('put leaves no temporary file', async () => {
    const { storage, root } = await open('temps');
    await Promise.all(Array.from({ length: 20 }, (_, i) => storage.put({ key: 'f/k', value: Buffer.from(`v${i}`) })));
    assert.deepEqual(await readdir(join(root, 'f')), ['_k']);
  });

  test('delete removes folders that become empty', async () => {
    const { storage, root } = await open('prune');
    await storage.put({ key: 'a/b/c/d', value: Buffer.from('v') });
    await storage.put({ key: 'a/e', value: Buffer.from('v') });
    await storage.delete('a/b/c/d');
    assert.deepEqual(await readdir(root), ['a']);
    assert.deepEqual(await readdir(join(root, 'a')), ['_e']);
    await storage.delete('a/e');
    assert.deepEqual(await readdir(root), []);
  });

  test('open sweeps temporary files and empty folders that a crash left', async () => {
    const root = join(scratch, 'sweep');
    await mkdir(join(root, 'a', 'empty', 'deeper'), { recursive: true });
    await mkdir(join(root, 'b'), { recursive: true });
    await writeFile(join(root, 'b', '_k'), 'kept');
    await writeFile(join(root, 'b', '.tmp-0123456789abcdef'), 'torn');
    const storage = await plugin.create({ path: root }, { logger: silentLogger });
    assert.deepEqual(await readdir(root), ['b']);
    assert.deepEqual(await readdir(join(root, 'b')), ['_k']);
    assert.deepEqual(await storage.list(''), ['b/']);
  });

  test('list skips files that the layout never writes', async () => {
    const { storage, root } = await open('foreign');
    await storage.put({ key: 'k', value: Buffer.from('v') });
    await writeFile(join(root, 'README'), 'not a key');
    await writeFile(join(root, 'notes'), 'a file without the key mark');
    await writeFile(join(root, '.DS_Store'), 'not a key');
    assert.deepEqual(await storage.list(''), ['k']);
  });

  test('a bad key gets an error naming the key and the problem', async () => {
    const { storage } = await open('bad-keys');
    await assert.rejects(storage.put({ key: 'a/../b', value: Buffer.from('v') }), {
      message: 'storage "file": invalid key: key "a/../b" contains a ".." segment',
    });
    await assert.rejects(storage.get('/abs'), { message: 'storage "file": invalid key: key "/abs" must not start with "/"' });
    await assert.rejects(storage.list('a'), { message: 'storage "file": invalid list prefix "a": must be empty or end with "/"' });
  });

  test('long segment is a 400 naming the limit', async () => {
    const { storage, root } = await open('long-segment');
    const cases: Array<[string, string, number]> = [
      ['long/' + 'é'.repeat(60), 'é'.repeat(60), 360],
      ['a'.repeat(255), 'a'.repeat(255), 255],
      ['upper/' + 'A'.repeat(85), 'A'.repeat(85), 255],
    ];

    for (const [key, segment, bytes] of cases) {
      const message =
        `storage "file": invalid key ${quoted(key)}: segment ${quoted(segment, 40)} is ${bytes} bytes once escaped, ` +
        'more than the maximum of 254: shorten it, counting 3 bytes for each byte other than a-z, 0-9, "-" and a "." that is not first';
      await assertBadRequest(storage.put({ key, value: Buffer.from('v') }), message);
      await assertBadRequest(storage.get(key), message);
      await assertBadRequest(storage.delete(key), message);
    }
    const prefix = 'a'.repeat(255) + '/';
    await assertBadRequest(
      storage.list(prefix),
      `storage "file": invalid list prefix ${quoted(prefix)}: segment ${quoted('a'.repeat(255), 40)} is 255 bytes once escaped, ` +
        'more than the maximum of 254: shorten it, counting 3 bytes for each byte other than a-z, 0-9, "-" and a "." that is not first',
    );
    assert.deepEqual(await readdir(root), []);
  });

  test('segment of 254 escaped bytes is stored', async () => {
    const { storage } = await open('max-segment');
    const segment = 'a'.repeat(254);

    await storage.put({ key: `${segment}/${segment}`, value: Buffer.from('v') });

    assert.deepEqual((await storage.get(`${segment}/${segment}`))?.value, Buffer.from('v'));
    assert.deepEqual(await storage.list(`${segment}/`), [segment]);
  });

  test('deep key is a 400 naming the limit', async () => {
    const { storage, root } = await open('deep');

    for (const depth of [257, 2000]) {
      const key = Array.from({ length: depth }, () => 'a').join('/');
      const message =
        `storage "file": invalid key ${quoted(key)}: it has ${depth} segments, more than the maximum of 256: use fewer segments`;
      await assertBadRequest(storage.put({ key, value: Buffer.from('v') }), message);
      await assertBadRequest(storage.get(key), message);
      await assertBadRequest(storage.delete(key), message);
      await assertBadRequest(
        storage.list(`${key}/`),
        `storage "file": invalid list prefix ${quoted(`${key}/`)}: it has ${depth} segments, more than the maximum of 256: use fewer segments`,
      );
    }
    assert.deepEqual(await readdir(root), []);
  });

  test('key of 256 segments is stored', async () => {
    const { storage } = await open('max-depth');
    const key = Array.from({ length: 256 }, () => 'a').join('/');

    await storage.put({ key, value: Buffer.from('v') });

    assert.deepEqual((await storage.get(key))?.value, Buffer.from('v'));
    await storage.delete(key);
    assert.equal(await storage.get(key), null);
  });

  test('long file path is a 400 naming the limit', async () => {
    const { storage, root } = await open('long-path');
    const segments = Array.from({ length: 17 }, () => 'a'.repeat(254));
    const key = segments.join('/');
    const bytes = Buffer.byteLength(join(root, ...segments.slice(0, -1), '_' + segments[16]));

    await assertBadRequest(
      storage.put({ key, value: Buffer.from('v') }),
      `storage "file": invalid key ${quoted(key)}: its file path would be ${bytes} bytes with the storage folder, ` +
        `more than the maximum of ${MAX_PATH_BYTES}: use fewer or shorter segments`,
    );
    assert.deepEqual(await readdir(root), []);
  });

  test('long temporary file path is a 400', async () => {
    const { storage, root } = await open('long-temp');
    // Folders that bring the key's folder to 10 bytes under the limit: the
    // key's file "_k" fits, and the 21-byte temporary file name does not.
    // Each folder adds its name and a "/".
    let remaining = MAX_PATH_BYTES - 10 - Buffer.byteLength(root);
    const folders: string[] = [];
    while (remaining > 256) {
      folders.push('a'.repeat(254));
      remaining -= 255;
    }
    if (remaining === 256) {
      folders.push('c'.repeat(99));
      remaining -= 100;
    }
    folders.push('b'.repeat(remaining - 1));
    const key = [...folders, 'k'].join('/');
    const dir = join(root, ...folders);
    assert.equal(Buffer.byteLength(dir), MAX_PATH_BYTES - 10);

    await assertBadRequest(
      storage.put({ key, value: Buffer.from('v') }),
      `storage "file": invalid key ${quoted(key)}: its file path would be ${MAX_PATH_BYTES + 12} bytes with the storage folder, ` +
        `more than the maximum of ${MAX_PATH_BYTES}: use fewer or shorter segments`,
    );
    assert.deepEqual(await readdir(root), []);
  });

  test('ENAMETOOLONG from the file system is a 400', () => {
    const tooLong = Object.assign(new Error("ENAMETOOLONG: name too long, open '/srv/coffer/data/_k'"), { code: 'ENAMETOOLONG' });
    const ioError = Object.assign(new Error('EIO: i/o error, open'), { code: 'EIO' });

    const mapped = failure('put', 'k', tooLong);
    const kept = failure('put', 'k', ioError);

    assert.ok(isCofferError(mapped));
    assert.equal(mapped.status, 400);
    assert.equal(
      mapped.message,
      'storage "file": put "k" failed: a file name or path is longer than the file system under the storage folder allows: ' +
        'use fewer or shorter segments',
    );
    assert.equal(isCofferError(kept), false);
    assert.equal(kept.message, 'storage "file": put "k" failed: EIO: i/o error, open');
  });

  test('settings: missing, empty or non-folder path is an error', async () => {
    await assert.rejects(plugin.create({}, { logger: silentLogger }), {
      message: 'storage "file": missing required setting "path"',
    });
    await assert.rejects(plugin.create({ path: ' ' }, { logger: silentLogger }), {
      message: 'storage "file": setting "path" must not be empty',
    });
    const notAFolder = join(scratch, 'a-file');
    await writeFile(notAFolder, 'x');
    await assert.rejects(plugin.create({ path: notAFolder }, { logger: silentLogger }), {
      message: `storage "file": setting "path" names "${notAFolder}", which is not a folder`,
    });
    assert.deepEqual(plugin.settings, ['path']);
  });
});
