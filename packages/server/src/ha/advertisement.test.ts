import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { InmemStorage } from '@coffer/storage-inmem';
import { Barrier, KEYRING_PATH, KeyringMismatchError } from '../barrier/barrier.js';
import { readAdvertisement, writeAdvertisement } from './advertisement.js';

test('standby reads advertisement after rotation', async () => {
  // Two barriers on one storage, as the active node and a standby unsealed with the same root key.
  const physical = new InmemStorage();
  const rootKey = randomBytes(32);
  const active = new Barrier(physical);
  await active.initialize(rootKey);
  await active.unseal(rootKey);
  const standby = new Barrier(physical);
  await standby.unseal(rootKey);

  assert.equal(await readAdvertisement(standby), null);
  await active.rotate();
  const advertisement = { apiAddr: 'http://a:8200', clusterAddr: 'https://a:8201', activeTime: '2026-01-02T03:04:05.000Z', forwardingKey: 'key' };
  await writeAdvertisement(active, advertisement);

  // The standby's keyring predates the rotation, so the read reloads it.
  assert.deepEqual(await readAdvertisement(standby), advertisement);
  assert.equal(standby.activeTerm().term, 2);
});

test('reloadKeyring fails after a root key change', async () => {
  const physical = new InmemStorage();
  const rootKey = randomBytes(32);
  const barrier = new Barrier(physical);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);

  // A keyring stored under another root key, as after a forced restore of another cluster's snapshot.
  await physical.delete(KEYRING_PATH);
  await new Barrier(physical).initialize(randomBytes(32));
  await assert.rejects(barrier.reloadKeyring(), (err: unknown) => {
    assert.ok(err instanceof KeyringMismatchError);
    assert.equal(err.message, 'the stored keyring does not open with this root key; unseal with the key shares of the storage as it is now');
    return true;
  });

  barrier.seal();
  await assert.rejects(barrier.reloadKeyring(), { message: 'Vault is sealed' });
});
