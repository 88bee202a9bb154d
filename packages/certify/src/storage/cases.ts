/**
 * The cases of the storage conformance suite, in groups. Each group takes
 * the suite's `declare`, which wraps a case body in fresh storage.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { childrenOf, type ClosableStorage, type Storage } from '@coffer/sdk';
import { checkAfterCrash, listAllKeys, runCrashChild } from './crash.js';
import { CRASH_KEY_COUNT } from './crash-protocol.js';
import type { StorageCase } from './suite.js';

/** What a case body gets besides the storage the suite opened for it. */
export interface CaseContext {
  /** Opens (or reopens) the case's storage with the case's settings. */
  open(): Promise<ClosableStorage>;
  /** Closes a storage that `open` returned; the suite closes the rest when the case ends. */
  close(storage: ClosableStorage): Promise<void>;
  /** The settings every `open` of the case uses. */
  settings: Record<string, string>;
}

/** Declares one case; a `skip` reason reports it as skipped instead. */
export type DeclareCase = (
  id: StorageCase,
  title: string,
  body: (storage: ClosableStorage, context: CaseContext) => Promise<void>,
  options?: { skip?: string; timeout?: number },
) => void;

const MiB = 1024 * 1024;

/** The tree that the list cases write. */
const TREE = ['a', 'b/c', 'b/d/e', 'b/d/f', 'b/g', 'foo', 'foo/x', 'foobar/y', 'z/y/x/w', 'm/n/o', 'm/p'];

/** Reads, writes and deletes of single keys. */
export function basicCases(declare: DeclareCase): void {
  declare('missing key', 'get of a missing key returns null', async (storage) => {
    assert.equal(await storage.get('missing'), null);
    assert.equal(await storage.get('missing/deep/key'), null);
  });

  declare('round trip', 'put then get returns the key and value', async (storage) => {
    await storage.put({ key: 'alpha', value: Buffer.from('one') });
    await storage.put({ key: 'nested/beta', value: Buffer.from('two') });
    assert.deepEqual(await storage.get('alpha'), { key: 'alpha', value: Buffer.from('one') });
    assert.deepEqual(await storage.get('nested/beta'), { key: 'nested/beta', value: Buffer.from('two') });
  });

  declare('overwrite', 'put overwrites an existing key', async (storage) => {
    await storage.put({ key: 'k', value: Buffer.from('a much longer first value') });
    await storage.put({ key: 'k', value: Buffer.from('short') });
    assert.deepEqual((await storage.get('k'))?.value, Buffer.from('short'));
    assert.deepEqual(await storage.list(''), ['k']);
  });

  declare('delete', 'delete removes a key and leaves its neighbours', async (storage) => {
    await storage.put({ key: 'f/gone', value: Buffer.from('x') });
    await storage.put({ key: 'f/kept', value: Buffer.from('y') });
    await storage.delete('f/gone');
    assert.equal(await storage.get('f/gone'), null);
    assert.deepEqual((await storage.get('f/kept'))?.value, Buffer.from('y'));
    assert.deepEqual(await storage.list('f/'), ['kept']);
  });

  declare('delete missing', 'delete of a missing key succeeds', async (storage) => {
    await storage.delete('never-written');
    await storage.delete('no/such/folder/key');
    await storage.put({ key: 'present', value: Buffer.from('v') });
    await storage.delete('present');
    await storage.delete('present');
    assert.deepEqual(await storage.list(''), []);
  });
}

/** Which keys are accepted, kept apart, and refused. */
export function keyCases(declare: DeclareCase): void {
  declare('key characters', 'keys with slashes, unicode, spaces and punctuation', async (storage) => {
    const keys = [
      'a/b/c/d/e/f/g',
      'unicode/ключ/秘密/🔑',
      'unicode/café',
      'unicode/cafe\u0301',
      'with space/a b',
      ' lead/trail ',
      'punct/!"#$%&\'()*+,;<=>?@[\\]^`{|}~',
      'dots/.hidden/..x/a.b',
      'case/Key',
      'case/key',
      'case/KEY',
      'percent/%41',
      'percent/A',
      'long/' + 'x'.repeat(200),
    ];
    for (const [i, key] of keys.entries()) await storage.put({ key, value: Buffer.from(`value ${i}`) });
    for (const [i, key] of keys.entries()) {
      assert.deepEqual(await storage.get(key), { key, value: Buffer.from(`value ${i}`) }, `get("${key}")`);
    }
    assert.deepEqual(await listAllKeys(storage).then((found) => found.sort()), [...keys].sort());
    for (const prefix of ['', 'unicode/', 'case/', 'percent/', 'unicode/ключ/', 'dots/.hidden/']) {
      assert.deepEqual(await storage.list(prefix), childrenOf(prefix, keys), `list("${prefix}")`);
    }
  });

  declare('key and folder', 'a key and a folder may share a name', async (storage) => {
    // A file backend that marks files with a prefix (Vault uses "_") must
    // keep folder "_x" apart from key "x", and key "x" apart from folder "x".
    const keys = ['x', 'x/y', '_x/z', '_x', 'x/_y', 'x/_y/z'];
    for (const key of keys) await storage.put({ key, value: Buffer.from(key) });
    for (const key of keys) assert.deepEqual((await storage.get(key))?.value, Buffer.from(key), `get("${key}")`);
    assert.deepEqual(await storage.list(''), ['_x', '_x/', 'x', 'x/']);
    assert.deepEqual(await storage.list('x/'), ['_y', '_y/', 'y']);
    assert.deepEqual(await storage.list('_x/'), ['z']);

    await storage.delete('x');
    assert.equal(await storage.get('x'), null);
    assert.deepEqual(await storage.list(''), ['_x', '_x/', 'x/']);
    await storage.delete('_x/z');
    assert.deepEqual(await storage.list(''), ['_x', 'x/']);
  });

  declare('invalid keys', 'invalid keys and prefixes are rejected and change nothing', async (storage) => {
    await storage.put({ key: 'ok', value: Buffer.from('v') });
    // validateStorageKey's rules, plus lone UTF-16 surrogates: they have no
    // UTF-8 form, so a backend that stores UTF-8 would merge such keys.
    const badKeys = ['', '/lead', 'trail/', 'a//b', 'a/./b', 'a/../b', '..', '.', 'nul\0byte', 'lone\uD800surrogate'];
    for (const key of badKeys) {
      await assert.rejects(storage.put({ key, value: Buffer.from('x') }), Error, `put(${JSON.stringify(key)})`);
      await assert.rejects(storage.get(key), Error, `get(${JSON.stringify(key)})`);
      await assert.rejects(storage.delete(key), Error, `delete(${JSON.stringify(key)})`);
    }
    for (const prefix of ['ok', '/', '/a/', 'a//', 'a/../', './', 'nul\0/']) {
      await assert.rejects(storage.list(prefix), Error, `list(${JSON.stringify(prefix)})`);
    }
    assert.deepEqual(await listAllKeys(storage), ['ok']);
  });
}

/** Values of every size and byte, and who owns their buffers. */
export function valueCases(declare: DeclareCase): void {
  declare('empty value', 'an empty value is stored and is not a missing key', async (storage) => {
    await storage.put({ key: 'empty', value: Buffer.alloc(0) });
    const entry = await storage.get('empty');
    assert.notEqual(entry, null);
    assert.equal(entry?.value.length, 0);
    assert.deepEqual(await storage.list(''), ['empty']);
  });

  declare('large value', 'a 4 MiB value round-trips byte for byte', async (storage) => {
    const big = randomBytes(4 * MiB + 7);
    await storage.put({ key: 'big/one', value: big });
    assert.ok((await storage.get('big/one'))?.value.equals(big), 'the 4 MiB value came back changed');
    const bigger = randomBytes(6 * MiB);
    await storage.put({ key: 'big/one', value: bigger });
    assert.ok((await storage.get('big/one'))?.value.equals(bigger), 'the overwritten 6 MiB value came back changed');
  });

  declare('binary value', 'binary values keep every byte value', async (storage) => {
    const everyByte = Buffer.from(Array.from({ length: 256 * 4 }, (_, i) => (i * 7) % 256));
    const nulls = Buffer.alloc(1000);
    const invalidUtf8 = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc, 0x00, 0x0a, 0x0d]);
    for (const [key, value] of [['every', everyByte], ['nulls', nulls], ['utf8', invalidUtf8]] as const) {
      await storage.put({ key, value });
      assert.deepEqual((await storage.get(key))?.value, value, `get("${key}")`);
    }
  });

  declare('value copies', 'stored values are independent of the caller\'s buffers', async (storage) => {
    const value = Buffer.from('original');
    const written = storage.put({ key: 'k', value });
    // Changing the buffer while the put is in flight must not change what is stored.
    value.fill(0x21);
    await written;
    assert.deepEqual((await storage.get('k'))?.value, Buffer.from('original'));
    const read = await storage.get('k');
    read?.value.fill(0x21);
    assert.deepEqual((await storage.get('k'))?.value, Buffer.from('original'));
  });
}

/** What `list` returns at every depth. */
export function listCases(declare: DeclareCase): void {
    declare('list depths', 'list returns the immediate children at every depth', async (storage) => {
    for (const key of TREE) await storage.put({ key, value: Buffer.from(key) });
    const expected: Record<string, string[]> = {
      '': ['a', 'b/', 'foo', 'foo/', 'foobar/', 'm/', 'z/'],
      'b/': ['c', 'd/', 'g'],
      'b/d/': ['e', 'f'],
      'foo/': ['x'],
      'foobar/': ['y'],
      'm/': ['n/', 'p'],
      'm/n/': ['o'],
      'z/': ['y/'],
      'z/y/': ['x/'],
      'z/y/x/': ['w'],
    };
    for (const [prefix, children] of Object.entries(expected)) {
      assert.deepEqual(await storage.list(prefix), children, `list("${prefix}")`);
      assert.deepEqual(children, childrenOf(prefix, TREE), `expected children of "${prefix}"`);
    }
  });

  declare('list empty', 'list of a prefix with nothing under it returns []', async (storage) => {
    assert.deepEqual(await storage.list(''), []);
    for (const key of TREE) await storage.put({ key, value: Buffer.from(key) });
    for (const prefix of ['nothing/', 'deep/nothing/here/', 'a/', 'b/c/', 'fo/', 'foob/', 'b/d/e/']) {
      assert.deepEqual(await storage.list(prefix), [], `list("${prefix}")`);
    }
  });

  declare('list order', 'list sorts children by UTF-16 code units, like childrenOf', async (storage) => {
    // Code-unit order differs from UTF-8 byte order for characters above U+FFFF
    // against U+E000..U+FFFF, and from locale order for case and accents.
    const names = ['b', 'B', 'a', 'A', '_', '~', '0', 'é', 'e', 'ｚ', '😀', 'z', '-', ' sp', 'a b'];
    const keys = names.flatMap((name) => [`order/${name}`, `order/${name}x/leaf`]);
    for (const key of keys) await storage.put({ key, value: Buffer.from(key) });
    assert.deepEqual(await storage.list('order/'), childrenOf('order/', keys));
  });

  declare('folder removal', 'a folder leaves its parent\'s listing once its last key is deleted', async (storage) => {
    for (const key of TREE) await storage.put({ key, value: Buffer.from(key) });
    await storage.delete('z/y/x/w');
    assert.deepEqual(await storage.list(''), ['a', 'b/', 'foo', 'foo/', 'foobar/', 'm/']);
    for (const prefix of ['z/', 'z/y/', 'z/y/x/']) assert.deepEqual(await storage.list(prefix), [], `list("${prefix}")`);

    await storage.delete('b/d/e');
    assert.deepEqual(await storage.list('b/'), ['c', 'd/', 'g']);
    await storage.delete('b/d/f');
    assert.deepEqual(await storage.list('b/'), ['c', 'g']);

    await storage.delete('m/n/o');
    assert.deepEqual(await storage.list('m/'), ['p']);
    await storage.delete('m/p');
    assert.deepEqual(await storage.list(''), ['a', 'b/', 'foo', 'foo/', 'foobar/']);

    // A folder that comes back after removal lists again.
    await storage.put({ key: 'z/y/x/w', value: Buffer.from('again') });
    assert.deepEqual(await storage.list('z/y/x/'), ['w']);
    assert.deepEqual(await storage.list(''), ['a', 'b/', 'foo', 'foo/', 'foobar/', 'z/']);
  });
}

/** Many writers at once. */
export function concurrencyCases(declare: DeclareCase): void {
  declare('concurrent writers', 'hundreds of concurrent puts and deletes all land', async (storage) => {
    await concurrentWriters(storage);
  });
}

/**
 * Durability: persistence across close and reopen, and acknowledged puts
 * across SIGKILL of the writing process.
 *
 * @param plugin - where the crash case's child process finds the plugin
 * @param notPersistent - the skip reason for a backend that keeps nothing, if it is one
 */
export function durabilityCases(
  declare: DeclareCase,
  plugin: { module: string; exportName: string },
  notPersistent: string | undefined,
): void {
  declare(
    'persistence',
    'entries survive close and reopen',
    async (storage, context) => {
      const big = randomBytes(2 * MiB);
      await storage.put({ key: 'p/kept', value: Buffer.from('kept') });
      await storage.put({ key: 'p/big', value: big });
      await storage.put({ key: 'p/gone', value: Buffer.from('gone') });
      await storage.put({ key: 'p/empty', value: Buffer.alloc(0) });
      await storage.delete('p/gone');
      // Puts still in flight when close is called: each that resolves must be durable.
      const inFlight = Array.from({ length: 50 }, (_, i) => storage.put({ key: `late/k${i}`, value: Buffer.from(`late ${i}`) }));
      // Settling starts before the close, so a put that the close makes fail is not an unhandled rejection.
      const settling = Promise.allSettled(inFlight);
      await context.close(storage);
      const settled = await settling;

      const reopened = await context.open();
      assert.deepEqual((await reopened.get('p/kept'))?.value, Buffer.from('kept'));
      assert.ok((await reopened.get('p/big'))?.value.equals(big), 'the 2 MiB value changed across reopen');
      assert.equal((await reopened.get('p/empty'))?.value.length, 0);
      assert.equal(await reopened.get('p/gone'), null);
      for (const [i, result] of settled.entries()) {
        if (result.status !== 'fulfilled') continue;
        assert.deepEqual((await reopened.get(`late/k${i}`))?.value, Buffer.from(`late ${i}`), `late/k${i}: its put resolved, so it must survive close and reopen`);
      }
      assert.deepEqual(await reopened.list('p/'), ['big', 'empty', 'kept']);
    },
    { skip: notPersistent },
  );

  declare(
    'crash',
    'acknowledged writes survive SIGKILL of the writing process',
    async (storage, context) => {
      // The parent only reads; the child process writes. Close the parent's
      // handle first so the child is the only writer, as after a restart.
      await context.close(storage);
      let known: Array<number | null> = Array.from({ length: CRASH_KEY_COUNT }, () => null);
      // Two rounds: the second starts from the state the first crash left.
      // Both are killed after 450 acknowledgements: the first late in its
      // third pass over the keys, which deletes them all, the second while
      // it fills the emptied folders again.
      const killAfter = 450;
      for (let round = 0; round < 2; round++) {
        const firstSeq = round * 1_000_000;
        const run = await runCrashChild({ ...plugin, settings: context.settings, firstSeq, concurrency: 32 }, killAfter);
        assert.ok(run.count >= killAfter, `round ${round + 1}: the child reported ${run.count} acknowledgements`);
        const reopened = await context.open();
        known = await checkAfterCrash(reopened, known, run, firstSeq);
        await context.close(reopened);
      }
    },
    { skip: notPersistent, timeout: 120_000 },
  );
}

/**
 * Several hundred puts and deletes at once, over shared folders, then a
 * full check of values and listings. Includes a delete of a folder's last
 * key racing a put of a new key into the same folder, which a file backend
 * that removes empty folders must survive.
 */
async function concurrentWriters(storage: Storage): Promise<void> {
  const value = (key: string, round: number) => Buffer.from(`${key} round ${round}`);
  const expected = new Map<string, Buffer>();

  // Round 1: 300 new keys in 10 folders, all at once.
  const first = Array.from({ length: 300 }, (_, i) => `conc/f${i % 10}/k${i}`);
  await Promise.all(first.map((key) => storage.put({ key, value: value(key, 1) })));
  for (const key of first) expected.set(key, value(key, 1));
  for (let j = 0; j < 100; j++) {
    const key = `race/r${j}/old`;
    await storage.put({ key, value: value(key, 1) });
    expected.set(key, value(key, 1));
  }

  // Round 2: deletes, overwrites, new keys, folder churn and reads, all at once.
  const operations: Array<Promise<unknown>> = [];
  for (const [i, key] of first.entries()) {
    if (i % 10 === 0 || i % 3 === 0) {
      // Empties folder f0 entirely and a third or more of every other folder.
      operations.push(storage.delete(key));
      expected.delete(key);
    } else {
      operations.push(storage.put({ key, value: value(key, 2) }));
      expected.set(key, value(key, 2));
    }
  }
  for (let j = 0; j < 100; j++) {
    const old = `race/r${j}/old`;
    const fresh = `race/r${j}/new`;
    operations.push(storage.delete(old), storage.put({ key: fresh, value: value(fresh, 2) }));
    expected.delete(old);
    expected.set(fresh, value(fresh, 2));
  }
  for (let i = 0; i < 100; i++) {
    const key = `conc/new${i % 5}/deep/k${i}`;
    operations.push(storage.put({ key, value: value(key, 2) }));
    expected.set(key, value(key, 2));
  }
  const contested = Array.from({ length: 50 }, (_, i) => value('same', i));
  for (const candidate of contested) operations.push(storage.put({ key: 'same', value: candidate }));
  for (let i = 1; i < 300; i += 20) {
    // Reads racing the writes must not fail; their result may be old or new.
    operations.push(storage.get(`conc/f${i % 10}/k${i}`), storage.list(`conc/f${i % 10}/`));
  }
  await Promise.all(operations);

  for (const [key, want] of expected) {
    assert.deepEqual((await storage.get(key))?.value, want, `get("${key}") after the concurrent writes`);
  }
  for (const key of first.filter((key) => !expected.has(key))) {
    assert.equal(await storage.get(key), null, `get("${key}") after its concurrent delete`);
  }
  const same = (await storage.get('same'))?.value;
  assert.ok(same !== undefined && contested.some((candidate) => candidate.equals(same)), 'key "same" holds none of the values written to it');

  const keys = [...expected.keys(), 'same'];
  for (const prefix of ['', 'conc/', 'conc/f0/', 'conc/f1/', 'conc/new3/', 'conc/new3/deep/', 'race/', 'race/r7/']) {
    assert.deepEqual(await storage.list(prefix), childrenOf(prefix, keys), `list("${prefix}") after the concurrent writes`);
  }
  assert.deepEqual((await listAllKeys(storage)).sort(), keys.sort());
}
