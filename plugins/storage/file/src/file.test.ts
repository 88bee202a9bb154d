import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger, type ClosableStorage } from '@coffer/sdk';
import { runStorageConformance } from '@coffer/certify';
import { plugin } from './index.js';
import { decodeSegment, encodeSegment } from './layout.js';

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
    await assert.rejects(storage.put({ key: 'long/' + 'é'.repeat(60), value: Buffer.from('v') }), {
      message: /segment of 360 bytes once escaped; the file backend allows 254/,
    });
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
