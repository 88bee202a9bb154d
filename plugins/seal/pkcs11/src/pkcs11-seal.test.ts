import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pkcs11js from 'pkcs11js';
import type { BlobInfo, Seal } from '@coffer/sdk';
import { plugin } from './index.js';
import { openSoftHsm, SOFTHSM_LIBRARY, type SoftHsm } from './testing.js';

const silentLogger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

const PIN = '246810';
const AAD = Buffer.from('core/wrapped-root-key');

function openSeal(settings: Record<string, string>): Promise<Seal> {
  return plugin.create({ lib: SOFTHSM_LIBRARY, pin: PIN, ...settings }, { logger: silentLogger, env: {} });
}

/** Reads key attributes through a session of its own; call only while no seal has the library initialized. */
function readKeyAttributes(label: string, tokenLabel: string): { sensitive: boolean; extractable: boolean; valueError: string } {
  const module = new pkcs11js.PKCS11();
  module.load(SOFTHSM_LIBRARY);
  module.C_Initialize();
  try {
    const slot = module.C_GetSlotList(true).find((candidate) => module.C_GetTokenInfo(candidate).label.trimEnd() === tokenLabel);
    assert.ok(slot, `token ${tokenLabel} not found`);
    const session = module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    module.C_Login(session, pkcs11js.CKU_USER, PIN);
    module.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    const [key] = module.C_FindObjects(session, 1);
    module.C_FindObjectsFinal(session);
    assert.ok(key, `key ${label} not found`);
    const [sensitive, extractable] = module.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }]);
    let valueError = '';
    try {
      module.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_VALUE }]);
    } catch (err) {
      valueError = (err as Error).message;
    }
    module.C_CloseSession(session);
    return { sensitive: sensitive.value[0] === 1, extractable: extractable.value[0] === 1, valueError };
  } finally {
    module.C_Finalize();
  }
}

describe('pkcs11 seal against SoftHSM2', () => {
  let hsm: SoftHsm;
  let slot: bigint;

  before(async () => {
    hsm = await openSoftHsm();
    slot = await hsm.initToken('coffer-main', PIN);
    await hsm.initToken('coffer-rsa', PIN);
  });
  after(() => hsm.close());

  test('aes-gcm round trip with generated key', async () => {
    const seal = await openSeal({ token_label: 'coffer-main', key_label: 'root-aes', generate_key: 'true' });
    try {
      assert.equal(seal.type, 'pkcs11');
      assert.equal(await seal.keyId(), 'root-aes');
      const blob = await seal.encrypt(Buffer.from('the root key'), AAD);
      assert.equal(blob.iv.length, 12);
      assert.equal(blob.ciphertext.length, 'the root key'.length + 16);
      assert.equal(blob.keyInfo.mechanism, 0x1087);
      assert.equal(blob.keyInfo.keyId, 'root-aes');
      assert.equal(blob.hmac, undefined);
      assert.equal((await seal.decrypt(blob, AAD)).toString(), 'the root key');

      const again = await seal.encrypt(Buffer.from('the root key'), AAD);
      assert.notDeepEqual(again.iv, blob.iv);
    } finally {
      await seal.close();
    }
  });

  test('closing one seal keeps another on the token', async () => {
    const settings = { token_label: 'coffer-main', key_label: 'root-aes', hmac_key_label: 'root-hmac', generate_key: 'true' };
    const first = await openSeal(settings);
    const second = await openSeal(settings);
    try {
      await first.close();

      const blob = await second.encrypt(Buffer.from('still logged in'), AAD);

      assert.equal((await second.decrypt(blob, AAD)).toString(), 'still logged in');
    } finally {
      await second.close();
    }
  });

  test('generated key is not extractable', () => {
    const attributes = readKeyAttributes('root-aes', 'coffer-main');
    assert.equal(attributes.sensitive, true);
    assert.equal(attributes.extractable, false);
    assert.equal(attributes.valueError, 'CKR_ATTRIBUTE_SENSITIVE');
  });

  test('existing key found by slot', async () => {
    const seal = await openSeal({ slot: slot.toString(), key_label: 'root-aes' });
    try {
      const blob = await seal.encrypt(Buffer.from('by slot'), AAD);
      assert.equal((await seal.decrypt(blob, AAD)).toString(), 'by slot');
    } finally {
      await seal.close();
    }
  });

  test('wrong aad or ciphertext fails', async () => {
    const seal = await openSeal({ token_label: 'coffer-main', key_label: 'root-aes' });
    try {
      const blob = await seal.encrypt(Buffer.from('secret'), AAD);
      await assert.rejects(seal.decrypt(blob, Buffer.from('core/other')), { message: 'pkcs11 seal: decrypt failed: CKR_GENERAL_ERROR' });
      const tampered: BlobInfo = { ...blob, ciphertext: Buffer.from(blob.ciphertext) };
      tampered.ciphertext[0] ^= 1;
      await assert.rejects(seal.decrypt(tampered, AAD), { message: 'pkcs11 seal: decrypt failed: CKR_GENERAL_ERROR' });
      // The session was closed by the failure and opens again on the next call.
      assert.equal((await seal.decrypt(blob, AAD)).toString(), 'secret');
    } finally {
      await seal.close();
    }
  });

  test('missing key without generate_key', async () => {
    const seal = await openSeal({ token_label: 'coffer-main', key_label: 'absent' });
    try {
      await assert.rejects(seal.keyId(), {
        message: 'pkcs11 seal: key lookup failed: key "absent" not found: create it in the HSM, or set generate_key = "true"',
      });
    } finally {
      await seal.close();
    }
  });

  test('wrong pin is not echoed', async () => {
    const seal = await plugin.create(
      { lib: SOFTHSM_LIBRARY, token_label: 'coffer-main', pin: '999999', key_label: 'root-aes' },
      { logger: silentLogger, env: {} },
    );
    try {
      await assert.rejects(seal.keyId(), (err: Error) => {
        assert.equal(err.message, 'pkcs11 seal: key lookup failed: CKR_PIN_INCORRECT');
        assert.ok(!err.message.includes('999999'));
        return true;
      });
    } finally {
      await seal.close();
    }
  });

  test('hmac key authenticates blobs', async () => {
    const seal = await openSeal({ token_label: 'coffer-main', key_label: 'root-aes', hmac_key_label: 'root-hmac', generate_key: 'true' });
    const plain = await openSeal({ token_label: 'coffer-main', key_label: 'root-aes' });
    try {
      const blob = await seal.encrypt(Buffer.from('macced'), AAD);
      assert.equal(blob.hmac?.length, 32);
      assert.equal(blob.keyInfo.hmacMechanism, 0x0251);
      assert.equal(blob.keyInfo.hmacKeyId, 'root-hmac');
      assert.equal((await seal.decrypt(blob, AAD)).toString(), 'macced');

      const tampered: BlobInfo = { ...blob, iv: Buffer.from(blob.iv) };
      tampered.iv[0] ^= 1;
      await assert.rejects(seal.decrypt(tampered, AAD), { message: 'pkcs11 seal: decrypt failed: CKR_SIGNATURE_INVALID' });

      const unmacced = await plain.encrypt(Buffer.from('no mac'), AAD);
      await assert.rejects(seal.decrypt(unmacced, AAD), {
        message: 'pkcs11 seal: decrypt failed: blob has no HMAC, but "hmac_key_label" "root-hmac" is configured',
      });
      await assert.rejects(plain.decrypt(blob, AAD), {
        message: 'pkcs11 seal: decrypt failed: blob has an HMAC, but no "hmac_key_label" is configured',
      });
    } finally {
      await seal.close();
      await plain.close();
    }
  });

  test('rsa-oaep wraps data key', async () => {
    // SoftHSM 2.6 implements OAEP with SHA-1 only, so this test sets it.
    const seal = await openSeal({ token_label: 'coffer-rsa', key_label: 'root-rsa', mechanism: '0x0009', rsa_oaep_hash: 'sha1', generate_key: 'true' });
    try {
      const blob = await seal.encrypt(Buffer.from('enveloped root key'), AAD);
      assert.equal(blob.keyInfo.mechanism, 0x0009);
      assert.equal(blob.keyInfo.wrappedKey?.length, 256);
      assert.equal((await seal.decrypt(blob, AAD)).toString(), 'enveloped root key');
      await assert.rejects(seal.decrypt(blob, Buffer.from('other')), { message: 'pkcs11 seal: decrypt failed: Unsupported state or unable to authenticate data' });
    } finally {
      await seal.close();
    }

    const detected = await openSeal({ token_label: 'coffer-rsa', key_label: 'root-rsa', rsa_oaep_hash: 'sha1' });
    try {
      const blob = await detected.encrypt(Buffer.from('mechanism from key type'), AAD);
      assert.equal(blob.keyInfo.mechanism, 0x0009);
    } finally {
      await detected.close();
    }
  });

  test('rsa-oaep sha256 unsupported by softhsm', async () => {
    const seal = await openSeal({ token_label: 'coffer-rsa', key_label: 'root-rsa' });
    try {
      await assert.rejects(seal.encrypt(Buffer.from('x'), AAD), { message: 'pkcs11 seal: encrypt failed: CKR_ARGUMENTS_BAD' });
    } finally {
      await seal.close();
    }
  });

  test('mechanism must match key type', async () => {
    const seal = await openSeal({ token_label: 'coffer-rsa', key_label: 'root-rsa', mechanism: '0x1087' });
    try {
      await assert.rejects(seal.keyId(), { message: 'pkcs11 seal: key lookup failed: key "root-rsa" is an RSA key, but "mechanism" is AES-GCM' });
    } finally {
      await seal.close();
    }
  });

  test('concurrent calls run in order', async () => {
    const seal = await openSeal({ token_label: 'coffer-main', key_label: 'root-aes' });
    try {
      const inputs = Array.from({ length: 12 }, (_, index) => Buffer.from(`value ${index}`));
      const blobs = await Promise.all(inputs.map((input) => seal.encrypt(input, AAD)));
      const outputs = await Promise.all(blobs.map((blob) => seal.decrypt(blob, AAD)));
      assert.deepEqual(outputs.map(String), inputs.map(String));
    } finally {
      await seal.close();
    }
  });

  test('absent token retried until present', async () => {
    const seal = await openSeal({ token_label: 'coffer-late', key_label: 'late', generate_key: 'true' });
    try {
      await assert.rejects(seal.keyId(), { message: 'pkcs11 seal: key lookup failed: no token with label "coffer-late" found' });
      await hsm.initToken('coffer-late', PIN);
      // The failure finalized the library, so the next call initializes it again and finds the new token.
      assert.equal(await seal.keyId(), 'late');
    } finally {
      await seal.close();
    }
  });

  test('closed seal rejects calls', async () => {
    const seal = await openSeal({ token_label: 'coffer-main', key_label: 'root-aes' });
    await seal.close();
    await assert.rejects(seal.keyId(), { message: 'pkcs11 seal: key lookup failed: the seal is closed' });
  });
});
