// Seal wrap of the keyring, with a pkcs11 seal on a private SoftHSM2 token.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { plugin as pkcs11 } from '@coffer/seal-pkcs11';
import { openSoftHsm, SOFTHSM_LIBRARY, type SoftHsm } from '@coffer/seal-pkcs11/testing';
import { silentLogger, type Seal } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { open } from './aead.js';
import { Barrier, KEYRING_PATH } from './barrier.js';
import { encodeSealWrapped, isSealWrapped, parseSealWrapped, SEAL_WRAP_MARKER, sealUnwrap } from './seal-wrap.js';

const PIN = '975310';
const TOKEN = 'coffer-seal-wrap';
/**
 * A second token for the seals that tests close. Closing a seal logs its
 * token out, and PKCS#11 keeps one login state per token for the whole process.
 */
const SPARE_TOKEN = 'coffer-spare';

function openSeal(tokenLabel: string): Promise<Seal> {
  return pkcs11.create(
    { lib: SOFTHSM_LIBRARY, token_label: tokenLabel, pin: PIN, key_label: 'coffer-root', generate_key: 'true' },
    { logger: silentLogger, env: {} },
  );
}

async function storedKeyring(physical: InmemStorage): Promise<Buffer> {
  const entry = await physical.get(KEYRING_PATH);
  assert.ok(entry !== null, 'the keyring is stored');
  return entry.value;
}

/** Returns the active term of a keyring decrypted with the root key. */
function activeTerm(rootKey: Buffer, encrypted: Buffer): number {
  return (JSON.parse(open(rootKey, encrypted, KEYRING_PATH).toString('utf8')) as { activeTerm: number }).activeTerm;
}

describe('keyring seal wrap', () => {
  let hsm: SoftHsm;
  let seal: Seal;

  before(async () => {
    hsm = await openSoftHsm();
    // Both tokens exist before the library is first initialized, so both are found.
    await hsm.initToken(TOKEN, PIN);
    await hsm.initToken(SPARE_TOKEN, PIN);
    seal = await openSeal(TOKEN);
  });
  after(async () => {
    await seal.close();
    await hsm.close();
  });

  test('shamir barrier stores the keyring plain', async () => {
    const physical = new InmemStorage();
    const rootKey = randomBytes(32);
    await new Barrier(physical).initialize(rootKey);

    const stored = await storedKeyring(physical);
    assert.equal(isSealWrapped(stored), false);
    assert.equal(activeTerm(rootKey, stored), 1);
  });

  test('auto seal barrier wraps the keyring', async () => {
    const physical = new InmemStorage();
    const rootKey = randomBytes(32);
    const barrier = new Barrier(physical, seal);
    await barrier.initialize(rootKey);

    const stored = await storedKeyring(physical);
    assert.deepEqual(stored.subarray(0, SEAL_WRAP_MARKER.length), SEAL_WRAP_MARKER);
    assert.equal(parseSealWrapped(KEYRING_PATH, stored).sealType, 'pkcs11');
    assert.throws(() => open(rootKey, stored, KEYRING_PATH), { message: 'Unsupported state or unable to authenticate data' });
    assert.equal(activeTerm(rootKey, await sealUnwrap(seal, KEYRING_PATH, stored)), 1);

    await barrier.unseal(rootKey);
    await barrier.put({ key: 'logical/app', value: Buffer.from('wrapped-world') });
    assert.deepEqual((await barrier.get('logical/app'))?.value, Buffer.from('wrapped-world'));
  });

  test('plain keyring loads and rotation wraps it', async () => {
    const physical = new InmemStorage();
    const rootKey = randomBytes(32);
    const shamir = new Barrier(physical);
    await shamir.initialize(rootKey);
    await shamir.unseal(rootKey);
    await shamir.put({ key: 'logical/before', value: Buffer.from('written-plain') });
    const plain = await storedKeyring(physical);

    // An upgraded server with an auto seal reads the plain keyring and leaves it as it is.
    const upgraded = new Barrier(physical, seal);
    await upgraded.unseal(rootKey);
    assert.deepEqual(await storedKeyring(physical), plain);
    assert.deepEqual((await upgraded.get('logical/before'))?.value, Buffer.from('written-plain'));

    assert.equal((await upgraded.rotate()).term, 2);
    const rotated = await storedKeyring(physical);
    assert.equal(isSealWrapped(rotated), true);
    assert.equal(activeTerm(rootKey, await sealUnwrap(seal, KEYRING_PATH, rotated)), 2);

    const restarted = new Barrier(physical, seal);
    await restarted.unseal(rootKey);
    assert.equal(restarted.activeTerm().term, 2);
    assert.deepEqual((await restarted.get('logical/before'))?.value, Buffer.from('written-plain'));
  });

  test('plain keyring is wrapped on request', async () => {
    const physical = new InmemStorage();
    const rootKey = randomBytes(32);
    const shamir = new Barrier(physical);
    await shamir.initialize(rootKey);
    await shamir.unseal(rootKey);
    assert.equal(await shamir.wrapPlainKeyring(), false);
    assert.equal(isSealWrapped(await storedKeyring(physical)), false);

    const upgraded = new Barrier(physical, seal);
    await assert.rejects(upgraded.wrapPlainKeyring(), { message: 'Vault is sealed' });
    await upgraded.unseal(rootKey);
    assert.equal(await upgraded.wrapPlainKeyring(), true);
    const wrapped = await storedKeyring(physical);
    assert.equal(isSealWrapped(wrapped), true);
    assert.equal(activeTerm(rootKey, await sealUnwrap(seal, KEYRING_PATH, wrapped)), 1);
    assert.equal(await upgraded.wrapPlainKeyring(), false);
    assert.deepEqual(await storedKeyring(physical), wrapped);
  });

  test('standby reloads a rotated wrapped keyring', async () => {
    const physical = new InmemStorage();
    const rootKey = randomBytes(32);
    const active = new Barrier(physical, seal);
    await active.initialize(rootKey);
    await active.unseal(rootKey);
    const standby = new Barrier(physical, seal);
    await standby.unseal(rootKey);

    await active.rotate();
    await active.put({ key: 'logical/new', value: Buffer.from('term-two') });
    await standby.reloadKeyring();
    assert.equal(standby.activeTerm().term, 2);
    assert.deepEqual((await standby.get('logical/new'))?.value, Buffer.from('term-two'));
  });

  test('tampered wrapped keyring fails closed', async () => {
    const physical = new InmemStorage();
    const rootKey = randomBytes(32);
    await new Barrier(physical, seal).initialize(rootKey);
    const wrapped = parseSealWrapped(KEYRING_PATH, await storedKeyring(physical));
    wrapped.blob.ciphertext[5] ^= 1;
    const tampered = encodeSealWrapped('pkcs11', wrapped.blob);
    await physical.put({ key: KEYRING_PATH, value: tampered });

    const barrier = new Barrier(physical, seal);
    await assert.rejects(barrier.unseal(rootKey), (err: Error & { code?: string; status?: number }) => {
      // SoftHSM2 reports a failed GCM tag check as CKR_GENERAL_ERROR.
      assert.equal(err.message, 'the pkcs11 seal could not decrypt the seal-wrapped "core/keyring": pkcs11 seal: decrypt failed: CKR_GENERAL_ERROR');
      assert.equal(err.code, 'COFFER_ERR_SEAL_DECRYPT');
      assert.equal(err.status, 500);
      return true;
    });
    assert.equal(barrier.sealed, true);
    assert.deepEqual(await storedKeyring(physical), tampered);
  });

  test('missing seal key fails closed', async () => {
    const physical = new InmemStorage();
    const rootKey = randomBytes(32);
    await new Barrier(physical, seal).initialize(rootKey);

    // The spare token lacks the key that wrapped the keyring, as an HSM that lost it would.
    const otherKey = await openSeal(SPARE_TOKEN);
    try {
      const barrier = new Barrier(physical, otherKey);
      await assert.rejects(barrier.unseal(rootKey), {
        message: 'the pkcs11 seal could not decrypt the seal-wrapped "core/keyring": pkcs11 seal: decrypt failed: CKR_GENERAL_ERROR',
      });
      assert.equal(barrier.sealed, true);
    } finally {
      await otherKey.close();
    }
  });

  test('wrapped keyring needs its seal type', async () => {
    const physical = new InmemStorage();
    const rootKey = randomBytes(32);
    await new Barrier(physical, seal).initialize(rootKey);

    await assert.rejects(new Barrier(physical).unseal(rootKey), {
      message:
        '"core/keyring" is seal-wrapped by the pkcs11 seal, but the server has the shamir seal: ' +
        'configure the pkcs11 seal, or migrate from it with its seal stanza marked disabled = "true"',
    });

    const wrapped = parseSealWrapped(KEYRING_PATH, await storedKeyring(physical));
    await physical.put({ key: KEYRING_PATH, value: encodeSealWrapped('awskms', wrapped.blob) });
    await assert.rejects(new Barrier(physical, seal).unseal(rootKey), {
      message:
        '"core/keyring" is seal-wrapped by the awskms seal, but the server has the pkcs11 seal: ' +
        'configure the awskms seal, or migrate from it with its seal stanza marked disabled = "true"',
    });
  });

  test('damaged wrap envelope is rejected', async () => {
    const physical = new InmemStorage();
    const rootKey = randomBytes(32);
    await physical.put({ key: KEYRING_PATH, value: Buffer.concat([SEAL_WRAP_MARKER, Buffer.from('{"seal_type":"pkcs11"}')]) });
    await assert.rejects(new Barrier(physical, seal).unseal(rootKey), {
      message: 'invalid seal-wrapped entry "core/keyring": invalid sealed blob: expected "ciphertext", "iv" and "key_info"',
    });
    await physical.put({ key: KEYRING_PATH, value: Buffer.concat([SEAL_WRAP_MARKER, Buffer.from('not json')]) });
    await assert.rejects(new Barrier(physical, seal).unseal(rootKey), { message: /^invalid seal-wrapped entry "core\/keyring": Unexpected token/ });
  });

  test('unreachable seal leaves rotation undone', async () => {
    const physical = new InmemStorage();
    const rootKey = randomBytes(32);
    const second = await openSeal(SPARE_TOKEN);
    const barrier = new Barrier(physical, second);
    await barrier.initialize(rootKey);
    await barrier.unseal(rootKey);
    const before = await storedKeyring(physical);

    // A closed seal fails every call, as an HSM that went away does.
    await second.close();
    await assert.rejects(barrier.rotate(), { message: 'pkcs11 seal: encrypt failed: the seal is closed' });
    assert.equal(barrier.activeTerm().term, 1);
    assert.deepEqual(await storedKeyring(physical), before);
  });
});
