import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { StorageEntry } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { REKEY_UNDO_PATH, SEAL_CONFIG_PATH } from '../barrier/barrier.js';
import { ShamirSeal } from './shamir-seal.js';

/**
 * In-memory storage that, once armed, fails the write of `failKey` and then
 * every later write too, as the storage of a server that crashed.
 */
class CrashingStorage extends InmemStorage {
  armed = false;
  crashed = false;

  constructor(private readonly failKey: string) {
    super();
  }

  override async put(entry: StorageEntry): Promise<void> {
    if (this.crashed || (this.armed && entry.key === this.failKey)) {
      this.crashed = true;
      throw new Error('storage is gone');
    }
    await super.put(entry);
  }

  override async delete(key: string): Promise<void> {
    if (this.crashed) throw new Error('storage is gone');
    await super.delete(key);
  }
}

/** Runs a rekey of `shamir` to 5 shares with threshold 3, authorized by `shares`; returns the new shares. */
async function rekey(shamir: ShamirSeal, shares: Buffer[]): Promise<string[]> {
  const { nonce } = shamir.startRekey(5, 3);
  let result: Awaited<ReturnType<ShamirSeal['submitRekeyShare']>> | undefined;
  for (const share of shares) result = await shamir.submitRekeyShare(share.toString('hex'), nonce);
  assert.ok(result !== undefined, 'no share was submitted');
  assert.ok('keys' in result, 'the rekey did not complete');
  return result.keys;
}

/** Unseals a fresh seal over `storage` with `shares`; returns the root key, or null when they are not enough. */
async function unsealWith(storage: InmemStorage, shares: string[]): Promise<Buffer | null> {
  const shamir = new ShamirSeal(storage);
  await shamir.load();
  let rootKey: Buffer | null = null;
  for (const share of shares) rootKey = await shamir.submitUnsealShare(share);
  return rootKey;
}

describe('rekey undo record', () => {
  test('completed rekey leaves no undo record', async () => {
    const storage = new InmemStorage();
    const shamir = new ShamirSeal(storage);
    const rootKey = randomBytes(32);
    const shares = await shamir.initialize(Buffer.from(rootKey), 3, 2);

    const newShares = await rekey(shamir, shares.slice(0, 2));
    assert.equal(await storage.get(REKEY_UNDO_PATH), null);
    assert.deepEqual(await unsealWith(storage, newShares.slice(0, 3)), rootKey);
    assert.equal((await new ShamirSeal(storage).load())?.secretThreshold, 3);
  });

  test('rekey stopped between writes rolls back at load', async () => {
    // The seal configuration write fails, and so does every write after it, as in a crash.
    const storage = new CrashingStorage(SEAL_CONFIG_PATH);
    const shamir = new ShamirSeal(storage);
    const rootKey = randomBytes(32);
    const shares = (await shamir.initialize(Buffer.from(rootKey), 3, 2)).map((share) => share.toString('hex'));

    const { nonce } = shamir.startRekey(5, 3);
    await shamir.submitRekeyShare(shares[0]!, nonce);
    storage.armed = true;
    await assert.rejects(shamir.submitRekeyShare(shares[1]!, nonce), { message: 'storage is gone' });
    // Storage now contains the new wrapped root key beside the old configuration, and the undo record.
    assert.notEqual(await storage.get(REKEY_UNDO_PATH), null);

    // The restarted server restores the previous pair, so the shares its operators hold still work.
    storage.armed = false;
    storage.crashed = false;
    const config = await new ShamirSeal(storage).load();
    assert.deepEqual(config, { type: 'shamir', secretShares: 3, secretThreshold: 2 });
    assert.equal(await storage.get(REKEY_UNDO_PATH), null);
    assert.deepEqual(await unsealWith(storage, shares.slice(1, 3)), rootKey);
  });

  test('failed write is rolled back at once', async () => {
    const storage = new InmemStorage();
    const shamir = new ShamirSeal(storage);
    const rootKey = randomBytes(32);
    const shares = (await shamir.initialize(Buffer.from(rootKey), 3, 2)).map((share) => share.toString('hex'));

    const { nonce } = shamir.startRekey(5, 3);
    await shamir.submitRekeyShare(shares[0]!, nonce);
    // Only the rekey's configuration write fails; the roll back that follows can write.
    const put = storage.put.bind(storage);
    let configWrites = 0;
    storage.put = async (entry: StorageEntry) => {
      if (entry.key === SEAL_CONFIG_PATH && configWrites++ === 0) throw new Error('disk full');
      await put(entry);
    };
    await assert.rejects(shamir.submitRekeyShare(shares[1]!, nonce), { message: 'disk full' });

    assert.equal(await storage.get(REKEY_UNDO_PATH), null);
    assert.deepEqual(await unsealWith(storage, shares.slice(0, 2)), rootKey);
  });

  test('damaged undo record stops the load', async () => {
    const storage = new InmemStorage();
    await new ShamirSeal(storage).initialize(randomBytes(32), 3, 2);
    await storage.put({ key: REKEY_UNDO_PATH, value: Buffer.from('{not json') });
    await assert.rejects(new ShamirSeal(storage).load(), {
      message: `the rekey undo record at ${REKEY_UNDO_PATH} is damaged; restore storage from a backup`,
    });
  });
});
