import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateLaunchCertificate } from './certificate.js';
import { formatHandshake, parseHandshake } from './handshake.js';

describe('handshake line', () => {
  test('round trip keeps every field', async () => {
    const certificate = await generateLaunchCertificate();
    const line = formatHandshake({
      coreVersion: 1,
      appVersion: 5,
      network: 'unix',
      address: '/tmp/plugin1/plugin.sock',
      protocol: 'grpc',
      serverCertificate: certificate.certificateDer,
    });
    assert.match(line, /^1\|5\|unix\|\/tmp\/plugin1\/plugin\.sock\|grpc\|[A-Za-z0-9+/]+$/);
    assert.equal(line.endsWith('='), false, 'the certificate is base64 without padding');

    const parsed = parseHandshake(`${line}\n`, 5);
    assert.equal(parsed.address, '/tmp/plugin1/plugin.sock');
    assert.deepEqual(parsed.serverCertificate, certificate.certificateDer);
  });

  test('empty certificate field means no TLS', () => {
    const parsed = parseHandshake('1|5|unix|/tmp/p.sock|grpc|', 5);
    assert.equal(parsed.serverCertificate, undefined);
    // go-plugin ignores a short sixth field that older plugins filled with other data.
    assert.equal(parseHandshake('1|5|unix|/tmp/p.sock|grpc|something', 5).serverCertificate, undefined);
  });

  test('seventh field is ignored', () => {
    assert.equal(parseHandshake('1|5|unix|/tmp/p.sock|grpc||true', 5).address, '/tmp/p.sock');
  });

  test('invalid lines are rejected', () => {
    const cases: [string, string][] = [
      ['hello', 'malformed handshake line "hello": expected "core-version|app-version|network|address|protocol|server-cert"'],
      ['2|5|unix|/tmp/p.sock|grpc|', 'unsupported core protocol version "2" in the handshake: expected 1'],
      ['1|4|unix|/tmp/p.sock|grpc|', 'unsupported protocol version "4" in the handshake: expected 5'],
      ['1|5|pipe|/tmp/p.sock|grpc|', 'unsupported network "pipe" in the handshake: expected "unix" or "tcp"'],
      ['1|5|unix||grpc|', 'empty address in the handshake'],
      ['1|5|unix|/tmp/p.sock|netrpc|', 'unsupported protocol "netrpc" in the handshake: only "grpc" is supported'],
      ['1|5|unix|/tmp/p.sock', 'unsupported protocol "netrpc" in the handshake: only "grpc" is supported'],
      [`1|5|unix|/tmp/p.sock|grpc|AAAA${'='.repeat(60)}`, 'invalid server certificate in the handshake: expected base64 without padding'],
    ];
    for (const [line, message] of cases) {
      assert.throws(() => parseHandshake(line, 5), { message });
    }
  });

  test('certificate that is no certificate is rejected', () => {
    // The rest of the message is OpenSSL's, whose wording varies between versions.
    assert.throws(() => parseHandshake(`1|5|unix|/tmp/p.sock|grpc|${'A'.repeat(60)}`, 5), /^Error: invalid server certificate in the handshake: ./);
  });
});
