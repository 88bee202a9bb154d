import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BlobInfo } from '../seal.js';
import { blobFromWire, blobToWire, unknownSettingMessage } from './seal-service.js';

describe('seal wire form', () => {
  test('full blob round-trips', () => {
    const blob: BlobInfo = {
      ciphertext: Buffer.from('cipher'),
      iv: Buffer.from('nonce'),
      hmac: Buffer.from('mac'),
      keyInfo: { mechanism: 0x1087, hmacMechanism: 0x251, keyId: 'k2', hmacKeyId: 'h1', wrappedKey: Buffer.from('wrapped') },
    };
    assert.deepEqual(blobFromWire(blobToWire(blob)), blob);
  });

  test('absent fields travel as empty bytes', () => {
    const blob: BlobInfo = { ciphertext: Buffer.from('c'), iv: Buffer.alloc(0), keyInfo: { mechanism: 0, hmacMechanism: 0, keyId: 'k', hmacKeyId: '' } };
    const wire = blobToWire(blob);
    assert.deepEqual(wire.hmac, Buffer.alloc(0));
    assert.deepEqual(wire.key_info?.wrapped_key, Buffer.alloc(0));
    const back = blobFromWire(wire);
    assert.equal('hmac' in back, false);
    assert.equal('wrappedKey' in back.keyInfo, false);
    assert.deepEqual(back, blob);
  });

  test('missing key info decodes to defaults', () => {
    assert.deepEqual(blobFromWire({ ciphertext: Buffer.from('c') }), {
      ciphertext: Buffer.from('c'),
      iv: Buffer.alloc(0),
      keyInfo: { mechanism: 0, hmacMechanism: 0, keyId: '', hmacKeyId: '' },
    });
  });
});

describe('unknown settings', () => {
  test('first unknown setting is named', () => {
    assert.equal(unknownSettingMessage({ path: '/x', colour: 'red' }, ['path']), 'unknown setting "colour"; known settings: path');
    assert.equal(unknownSettingMessage({ colour: 'red' }, []), 'unknown setting "colour"; known settings: none');
  });

  test('known settings pass', () => {
    assert.equal(unknownSettingMessage({ path: '/x' }, ['path', 'mode']), undefined);
    assert.equal(unknownSettingMessage({}, []), undefined);
  });
});
