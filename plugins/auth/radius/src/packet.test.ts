import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHash, createHmac } from 'node:crypto';
import { CODE_ACCESS_ACCEPT, encodeAccessRequest, hidePassword, parsePacket, verifyResponse } from './packet.js';

// The example of RFC 2865 section 7.1: user "nemo" with password "arctangent",
// shared secret "xyzzy5461", and the Access-Request and Access-Accept as sent.
const RFC_SECRET = Buffer.from('xyzzy5461');
const RFC_REQUEST_AUTHENTICATOR = Buffer.from('0f403f9473978057bd83d5cb98f4227a', 'hex');
const RFC_HIDDEN_PASSWORD = Buffer.from('0dbe708d93d413ce3196e43f782a0aee', 'hex');
const RFC_ACCEPT = Buffer.from('0200002686fe220e7624ba2a1005f6bf9b55e0b2060600000001' + '0f06000000000e06c0a80103', 'hex');

describe('packet', () => {
  test('password hiding matches RFC 2865', () => {
    const hidden = hidePassword(Buffer.from('arctangent'), RFC_SECRET, RFC_REQUEST_AUTHENTICATOR);

    assert.equal(hidden.toString('hex'), RFC_HIDDEN_PASSWORD.toString('hex'));
  });

  test('password hiding chains blocks', () => {
    const password = Buffer.from('a-password-of-more-than-16-bytes');
    const hidden = hidePassword(password, RFC_SECRET, RFC_REQUEST_AUTHENTICATOR);

    assert.equal(hidden.length, 32);
    // The first block depends only on the Request Authenticator, so it equals a one-block hiding of the first 16 bytes.
    assert.deepEqual(hidden.subarray(0, 16), hidePassword(password.subarray(0, 16), RFC_SECRET, RFC_REQUEST_AUTHENTICATOR));
    assert.throws(() => hidePassword(Buffer.alloc(129, 1), RFC_SECRET, RFC_REQUEST_AUTHENTICATOR), /password is longer than 128 bytes/);
  });

  test('RFC 2865 Access-Accept verifies', () => {
    const verified = verifyResponse(RFC_ACCEPT, 0, RFC_REQUEST_AUTHENTICATOR, RFC_SECRET);

    assert.ok('packet' in verified, JSON.stringify(verified));
    assert.equal(verified.packet.code, CODE_ACCESS_ACCEPT);
    assert.deepEqual(verified.packet.attributes.map((item) => item.type), [6, 15, 14]);
  });

  test('altered or foreign responses fail', () => {
    const flipped = Buffer.from(RFC_ACCEPT);
    flipped[flipped.length - 1] ^= 1;

    assert.deepEqual(verifyResponse(flipped, 0, RFC_REQUEST_AUTHENTICATOR, RFC_SECRET), { problem: 'invalid response authenticator' });
    assert.deepEqual(verifyResponse(RFC_ACCEPT, 0, RFC_REQUEST_AUTHENTICATOR, Buffer.from('another-secret')), { problem: 'invalid response authenticator' });
    assert.deepEqual(verifyResponse(RFC_ACCEPT, 7, RFC_REQUEST_AUTHENTICATOR, RFC_SECRET), { problem: 'response identifier 0 does not match request identifier 7' });
    assert.deepEqual(verifyResponse(RFC_ACCEPT.subarray(0, 12), 0, RFC_REQUEST_AUTHENTICATOR, RFC_SECRET), { problem: 'malformed response: packet of 12 bytes is shorter than the 20-byte header' });
  });

  test('response Message-Authenticator checked', () => {
    const secret = Buffer.from('s3cret');
    const requestAuthenticator = Buffer.alloc(16, 7);
    const signed = signedAccept(secret, requestAuthenticator);

    assert.ok('packet' in verifyResponse(signed, 9, requestAuthenticator, secret));

    // Recompute the Response Authenticator after changing the HMAC, so that only the Message-Authenticator is wrong.
    const forged = Buffer.from(signed);
    forged[22] ^= 1;
    responseAuthenticator(forged, requestAuthenticator, secret).copy(forged, 4);
    assert.deepEqual(verifyResponse(forged, 9, requestAuthenticator, secret), { problem: 'invalid Message-Authenticator' });
  });

  test('request carries the expected attributes', () => {
    const secret = Buffer.from('s3cret');
    const authenticator = Buffer.alloc(16, 3);
    const packet = encodeAccessRequest({ identifier: 42, authenticator, username: 'alice', password: 'pw', nasPort: 10, nasIdentifier: 'coffer' }, secret);
    const parsed = parsePacket(packet);

    assert.equal(parsed.code, 1);
    assert.equal(parsed.identifier, 42);
    assert.deepEqual(parsed.attributes.map((item) => item.type), [80, 1, 2, 5, 32]);
    assert.equal(parsed.attributes[1].value.toString(), 'alice');
    assert.deepEqual(parsed.attributes[2].value, hidePassword(Buffer.from('pw'), secret, authenticator));
    assert.equal(parsed.attributes[3].value.readUInt32BE(), 10);
    assert.equal(parsed.attributes[4].value.toString(), 'coffer');

    const zeroed = Buffer.from(packet);
    zeroed.fill(0, 22, 38);
    assert.deepEqual(parsed.attributes[0].value, createHmac('md5', secret).update(zeroed).digest());

    const withoutIdentifier = parsePacket(encodeAccessRequest({ identifier: 1, authenticator, username: 'a', password: 'b', nasPort: 0, nasIdentifier: '' }, secret));
    assert.deepEqual(withoutIdentifier.attributes.map((item) => item.type), [80, 1, 2, 5]);
  });
});

function responseAuthenticator(packet: Buffer, requestAuthenticator: Buffer, secret: Buffer): Buffer {
  const copy = Buffer.from(packet);
  requestAuthenticator.copy(copy, 4);
  return createHash('md5').update(copy).update(secret).digest();
}

/** Builds an Access-Accept with identifier 9 and a Message-Authenticator, signed as a server does. */
function signedAccept(secret: Buffer, requestAuthenticator: Buffer): Buffer {
  const packet = Buffer.alloc(38);
  packet[0] = CODE_ACCESS_ACCEPT;
  packet[1] = 9;
  packet.writeUInt16BE(38, 2);
  requestAuthenticator.copy(packet, 4);
  packet[20] = 80;
  packet[21] = 18;
  createHmac('md5', secret).update(packet).digest().copy(packet, 22);
  responseAuthenticator(packet, requestAuthenticator, secret).copy(packet, 4);
  return packet;
}
