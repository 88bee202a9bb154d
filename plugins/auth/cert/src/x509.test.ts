import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRequiredExtension } from './constraints.js';
import { colonHex, extensionText, pemBlocks, serialFromInteger } from './x509.js';

describe('x509 helpers', () => {
  test('serial numbers read as signed integers', () => {
    assert.equal(serialFromInteger(Uint8Array.from([0x10, 0x00]).buffer), '4096');
    assert.equal(serialFromInteger(Uint8Array.from([0x00, 0xff]).buffer), '255');
    assert.equal(serialFromInteger(Uint8Array.from([0xff]).buffer), '-1');
  });

  test('extension text decodes ASN.1 strings', () => {
    assert.equal(extensionText(Buffer.from('0c03616263', 'hex')), 'abc');
    assert.equal(extensionText(Buffer.from('1603616263', 'hex')), 'abc');
    assert.equal(extensionText(Buffer.from('1e0400610062', 'hex')), 'ab');
    assert.equal(extensionText(Buffer.from('020101', 'hex')), '', 'an INTEGER is not a string');
    assert.equal(extensionText(Buffer.from('0c05616263', 'hex')), '', 'a truncated string reads as empty');
  });

  test('key identifiers format as colon hex', () => {
    assert.equal(colonHex(Buffer.from('0aff10', 'hex')), '0a:ff:10');
    assert.equal(colonHex(Buffer.alloc(0)), '');
  });

  test('PEM blocks by label', () => {
    const text = `junk\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n-----BEGIN X509 CRL-----\nBAU=\n-----END X509 CRL-----\n-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n`;
    assert.deepEqual(pemBlocks(text, 'CERTIFICATE'), [Buffer.from([1, 2, 3])]);
    assert.deepEqual(pemBlocks(text, 'X509 CRL'), [Buffer.from([4, 5])]);
  });

  test('required extension forms', () => {
    assert.deepEqual(parseRequiredExtension('1.2.3:prod-*'), { oid: '1.2.3', pattern: 'prod-*', hex: false });
    assert.deepEqual(parseRequiredExtension('hex:1.2.3:0C0B*'), { oid: '1.2.3', pattern: '0c0b*', hex: true });
    assert.deepEqual(parseRequiredExtension('1.2.3:a:b'), { oid: '1.2.3', pattern: 'a:b', hex: false });
    assert.equal(parseRequiredExtension('1.2.3'), undefined);
    assert.equal(parseRequiredExtension('hex:prod:x'), undefined);
  });
});
