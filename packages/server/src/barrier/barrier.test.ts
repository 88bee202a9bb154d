import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { InmemStorage } from '@coffer/storage-inmem';
import { Barrier, KEYRING_PATH } from './barrier.js';

async function unsealedBarrier(): Promise<{ barrier: Barrier; physical: InmemStorage; rootKey: Buffer }> {
  const physical = new InmemStorage();
  const barrier = new Barrier(physical);
  const rootKey = randomBytes(32);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  return { barrier, physical, rootKey };
}

test('barrier stores ciphertext, not plaintext', async () => {
  const { barrier, physical } = await unsealedBarrier();
  await barrier.put({ key: 'logical/a/secret', value: Buffer.from('hunter2-plaintext') });

  const stored = await physical.get('logical/a/secret');
  assert.ok(stored !== null);
  assert.equal(stored.value.includes(Buffer.from('hunter2')), false);
  assert.deepEqual((await barrier.get('logical/a/secret'))?.value, Buffer.from('hunter2-plaintext'));
});

test('barrier rejects an entry copied to another path', async () => {
  const { barrier, physical } = await unsealedBarrier();
  await barrier.put({ key: 'logical/a/one', value: Buffer.from('value') });
  const stored = await physical.get('logical/a/one');
  await physical.put({ key: 'logical/a/two', value: stored!.value });

  await assert.rejects(barrier.get('logical/a/two'), {
    status: 500,
    message: 'storage entry "logical/a/two" failed to decrypt: it was changed or moved',
  });
});

test('barrier rejects a tampered entry', async () => {
  const { barrier, physical } = await unsealedBarrier();
  await barrier.put({ key: 'k', value: Buffer.from('value') });
  const stored = (await physical.get('k'))!.value;
  stored[stored.length - 1] ^= 1;
  await physical.put({ key: 'k', value: stored });

  await assert.rejects(barrier.get('k'), /failed to decrypt/);
});

test('barrier rotation keeps old entries readable', async () => {
  const { barrier, physical, rootKey } = await unsealedBarrier();
  await barrier.put({ key: 'old', value: Buffer.from('written under term 1') });
  const term = await barrier.rotate();
  assert.equal(term.term, 2);
  await barrier.put({ key: 'new', value: Buffer.from('written under term 2') });

  assert.equal((await physical.get('old'))!.value.readUInt32BE(1), 1);
  assert.equal((await physical.get('new'))!.value.readUInt32BE(1), 2);

  barrier.seal();
  await barrier.unseal(rootKey);
  assert.equal(barrier.activeTerm().term, 2);
  assert.equal((await barrier.get('old'))!.value.toString(), 'written under term 1');
  assert.equal((await barrier.get('new'))!.value.toString(), 'written under term 2');
});

test('barrier refuses access while sealed', async () => {
  const { barrier } = await unsealedBarrier();
  barrier.seal();
  await assert.rejects(barrier.get('anything'), { status: 503, message: 'Vault is sealed' });
  await assert.rejects(barrier.put({ key: 'anything', value: Buffer.alloc(1) }), { status: 503 });
});

test('barrier unseal fails with a wrong root key', async () => {
  const { barrier } = await unsealedBarrier();
  barrier.seal();
  await assert.rejects(barrier.unseal(randomBytes(32)));
  assert.equal(barrier.sealed, true);
});

test('barrier refuses to overwrite the keyring', async () => {
  const { barrier } = await unsealedBarrier();
  await assert.rejects(barrier.put({ key: KEYRING_PATH, value: Buffer.alloc(1) }), /reserved/);
});
