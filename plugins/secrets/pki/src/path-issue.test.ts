import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { x509 } from './x509.js';
import {
  assertRejectedUnchanged,
  certificateText,
  createHarness,
  dataOf,
  generateRoot,
  withOpenssl,
  type Harness,
  type OpensslRun,
} from './test-support.js';

async function setUp(role: Record<string, unknown> = {}): Promise<{ harness: Harness; root: Record<string, unknown> }> {
  const harness = createHarness();
  const root = await generateRoot(harness);
  await harness.send('create', 'roles/web', { allowed_domains: 'example.com', allow_subdomains: true, key_type: 'ec', ...role });
  return { harness, root };
}

/** Runs openssl verify of `leaf` against `root` and returns its output. */
async function verify(tools: OpensslRun, root: string, leaf: string): Promise<{ code: number; stdout: string }> {
  const rootPath = await tools.file('root.pem', root);
  const leafPath = await tools.file('leaf.pem', leaf);
  return tools.openssl(['verify', '-CAfile', rootPath, leafPath]);
}

/** Makes a CSR with openssl and returns its PEM. */
async function opensslCsr(tools: OpensslRun, subject: string, extra: string[] = [], keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']): Promise<string> {
  const result = await tools.openssl(['req', '-new', ...keyArgs, '-nodes', '-keyout', 'csr.key', '-subj', subject, ...extra, '-out', '-']);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

/** Encodes one DER element: tag, definite length and content. */
function der(tag: number, ...parts: Buffer[]): Buffer {
  const content = Buffer.concat(parts);
  const length = content.length;
  let header = [0x82, length >> 8, length & 0xff];
  if (length < 0x80) header = [length];
  else if (length < 0x100) header = [0x81, length];
  return Buffer.concat([Buffer.from([tag, ...header]), content]);
}

/**
 * Builds a CSR for CN=a.example.com whose RSA key has public exponent 1,
 * with no private key at all: with e = 1 the signature is the PKCS #1 v1.5
 * encoded digest itself, so anyone can compute it.
 */
function exponentOneCsr(): string {
  const oid = (hex: string) => der(0x06, Buffer.from(hex, 'hex'));
  const algorithm = (hex: string) => der(0x30, oid(hex), Buffer.from([0x05, 0x00]));
  const modulus = Buffer.concat([Buffer.from([0]), Buffer.alloc(256, 0xff)]);
  const rsaKey = der(0x30, der(0x02, modulus), der(0x02, Buffer.from([1])));
  const spki = der(0x30, algorithm('2a864886f70d010101'), der(0x03, Buffer.from([0]), rsaKey));
  const subject = der(0x30, der(0x31, der(0x30, oid('550403'), der(0x0c, Buffer.from('a.example.com')))));
  const info = der(0x30, der(0x02, Buffer.from([0])), subject, spki, Buffer.from([0xa0, 0x00]));

  const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), createHash('sha256').update(info).digest()]);
  const encoded = Buffer.concat([Buffer.from([0x00, 0x01]), Buffer.alloc(256 - 3 - digestInfo.length, 0xff), Buffer.from([0x00]), digestInfo]);
  const request = der(0x30, info, algorithm('2a864886f70d01010b'), der(0x03, Buffer.from([0]), encoded));
  return `-----BEGIN CERTIFICATE REQUEST-----\n${request.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}

describe('issue', () => {
  test('ec certificate verifies with openssl', async () => {
    const { harness, root } = await setUp();

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'www.example.com', alt_names: 'api.example.com', ip_sans: '127.0.0.1', ttl: '1h' }));

    assert.equal(issued.issuing_ca, root.certificate);
    assert.deepEqual(issued.ca_chain, [root.certificate]);
    assert.equal(issued.private_key_type, 'ec');
    assert.match(String(issued.private_key), /^-----BEGIN EC PRIVATE KEY-----\n/);
    const certificate = new x509.X509Certificate(String(issued.certificate));
    assert.equal(issued.expiration, Math.floor(certificate.notAfter.getTime() / 1000));
    assert.equal(certificate.notAfter.getTime() - certificate.notBefore.getTime(), 3630_000);
    const keyFromCert = createPublicKey(String(issued.certificate)).export({ type: 'spki', format: 'pem' });
    assert.equal(createPublicKey(createPrivateKey(String(issued.private_key))).export({ type: 'spki', format: 'pem' }), keyFromCert);
    await withOpenssl(async (tools) => {
      const result = await verify(tools, String(root.certificate), String(issued.certificate));
      assert.equal(result.code, 0);
      assert.match(result.stdout, /leaf\.pem: OK/);
    });
    const text = await certificateText(String(issued.certificate));
    assert.match(text, /Subject: CN = www\.example\.com\n/);
    assert.match(text, /DNS:www\.example\.com, DNS:api\.example\.com, IP Address:127\.0\.0\.1/);
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment, Key Agreement/);
    assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.doesNotMatch(text, /Basic Constraints/);
    assert.match(text, /Issuer: CN = Example Root/);
  });

  test('rsa role with flags, usages and subject fields', async () => {
    const { harness } = await setUp({
      key_type: 'rsa',
      key_bits: 2048,
      server_flag: false,
      client_flag: true,
      code_signing_flag: true,
      key_usage: 'DigitalSignature',
      ext_key_usage: 'TimeStamping',
      organization: 'Acme',
      ou: 'Ops',
      country: 'US',
      basic_constraints_valid_for_non_ca: true,
    });

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'svc.example.com', private_key_format: 'pkcs8' }));

    assert.equal(issued.private_key_type, 'rsa');
    assert.match(String(issued.private_key), /^-----BEGIN PRIVATE KEY-----\n/);
    const text = await certificateText(String(issued.certificate));
    assert.match(text, /Subject: C = US, O = Acme, OU = Ops, CN = svc\.example\.com\n/);
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/);
    assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication, Code Signing, Time Stamping\n/);
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /Public-Key: \(2048 bit\)/);
  });

  test('urls from config/urls are written', async () => {
    const { harness } = await setUp();
    await harness.send('update', 'config/urls', { issuing_certificates: 'http://127.0.0.1:8200/v1/pki/ca', crl_distribution_points: 'http://127.0.0.1:8200/v1/pki/crl' });

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'www.example.com' }));

    const text = await certificateText(String(issued.certificate));
    assert.match(text, /CA Issuers - URI:http:\/\/127\.0\.0\.1:8200\/v1\/pki\/ca/);
    assert.match(text, /X509v3 CRL Distribution Points: \n\s+Full Name:\n\s+URI:http:\/\/127\.0\.0\.1:8200\/v1\/pki\/crl/);
  });

  test('certificates are stored and listed unless no_store', async () => {
    const { harness, root } = await setUp();
    const active = dataOf(await harness.send('update', 'issue/web', { common_name: 'a.example.com' }));
    await harness.send('create', 'roles/ephemeral', { allow_any_name: true, key_type: 'ec', no_store: true });

    const dropped = dataOf(await harness.send('update', 'issue/ephemeral', { common_name: 'b.example.com' }));

    const listed = dataOf(await harness.send('list', 'certs/')).keys as string[];
    assert.deepEqual([...listed].sort(), [String(root.serial_number), String(active.serial_number)].sort());
    assert.equal(dataOf(await harness.send('read', `cert/${String(active.serial_number).replace(/:/g, '-')}`)).certificate, active.certificate);
    assert.equal(await harness.send('read', `cert/${String(dropped.serial_number)}`), null);
  });

  test('der and pem_bundle formats', async () => {
    const { harness, root } = await setUp();

    const der = dataOf(await harness.send('update', 'issue/web', { common_name: 'a.example.com', format: 'der' }));
    const bundle = dataOf(await harness.send('update', 'issue/web', { common_name: 'b.example.com', format: 'pem_bundle' }));

    const fromDer = new x509.X509Certificate(Buffer.from(String(der.certificate), 'base64'));
    assert.equal(fromDer.subject, 'CN=a.example.com');
    assert.equal(createPrivateKey({ key: Buffer.from(String(der.private_key), 'base64'), format: 'der', type: 'sec1' }).asymmetricKeyType, 'ec');
    const blocks = String(bundle.certificate).match(/-----BEGIN [A-Z ]+-----/g);
    assert.deepEqual(blocks, ['-----BEGIN EC PRIVATE KEY-----', '-----BEGIN CERTIFICATE-----', '-----BEGIN CERTIFICATE-----']);
    assert.ok(String(bundle.certificate).endsWith(String(root.certificate)));
  });

  test('ttl past role max_ttl is capped with a warning', async () => {
    const { harness } = await setUp({ max_ttl: '2h' });

    const response = await harness.send('update', 'issue/web', { common_name: 'a.example.com', ttl: '5h' });

    assert.deepEqual(response?.warnings, ['TTL "18000s" is longer than permitted maxTTL "7200s", so using maxTTL']);
    const certificate = new x509.X509Certificate(String(dataOf(response).certificate));
    assert.equal(certificate.notAfter.getTime() - certificate.notBefore.getTime(), 7230_000);
  });

  test('role rejections name the value and store nothing', async () => {
    const { harness } = await setUp({ allow_ip_sans: false, allow_localhost: false });
    await harness.send('create', 'roles/any', { allow_any_name: true, key_type: 'any' });
    await harness.send('create', 'roles/uris', { allow_any_name: true, key_type: 'ec', allowed_uri_sans: 'spiffe://example/*' });
    const cases: [string, Record<string, unknown>, string][] = [
      ['issue/web', { common_name: 'www.example.org' }, 'common name www.example.org not allowed by this role'],
      ['issue/web', { common_name: 'example.com' }, 'common name example.com not allowed by this role'],
      ['issue/web', { common_name: 'localhost' }, 'common name localhost not allowed by this role'],
      ['issue/web', { common_name: 'a.example.com', alt_names: 'b.example.com,evil.test' }, 'subject alternate name evil.test not allowed by this role'],
      ['issue/web', { common_name: 'a.example.com', alt_names: 'root@evil.test' }, 'email address root@evil.test not allowed by this role'],
      ['issue/web', { common_name: 'a.example.com', ip_sans: '10.1.1.1' }, 'IP Subject Alternative Names are not allowed in this role, but was provided 10.1.1.1'],
      ['issue/web', { common_name: 'a.example.com', uri_sans: 'spiffe://example/a' }, 'URI Subject Alternative Names are not allowed in this role, but were provided via the API'],
      ['issue/uris', { common_name: 'a.example.com', uri_sans: 'spiffe://other/a' }, 'URI Subject Alternative Name spiffe://other/a provided via the API is not allowed by this role'],
      ['issue/web', { common_name: 'a b.example.com' }, 'common name a b.example.com not allowed by this role'],
      ['issue/web', {}, 'the common_name field is required, or must be provided in a CSR with "use_csr_common_name" set to true, unless "require_cn" is set to false'],
      ['issue/web', { common_name: 'a.example.com', ttl: 'later' }, 'invalid field "ttl": expected a duration such as 30, "30s", "90m" or "1h", got "later"'],
      ['issue/none', { common_name: 'a.example.com' }, 'unknown role: none'],
      ['issue/any', { common_name: 'a.example.com' }, 'role key type "any" not allowed for issuing certificates, only signing'],
      ['issue/web', { common_name: 'a.example.com', ip_sans: 'nope' }, 'invalid field "ip_sans": the value "nope" is not a valid IP address'],
    ];

    for (const [path, body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, body), message);
    }
    const allowed = dataOf(await harness.send('update', 'issue/uris', { common_name: 'a.example.com', uri_sans: 'spiffe://example/a' }));
    assert.match(await certificateText(String(allowed.certificate)), /DNS:a\.example\.com, URI:spiffe:\/\/example\/a/);
  });

  test('ttl past the ca expiry is rejected', async () => {
    const harness = createHarness();
    await generateRoot(harness, { ttl: '2h' });
    await harness.send('create', 'roles/web', { allow_any_name: true, key_type: 'ec' });
    const before = await harness.snapshot();

    await assert.rejects(harness.send('update', 'issue/web', { common_name: 'a.example.com', ttl: '3h' }), (err: Error & { status?: number }) => {
      assert.equal(err.status, 400);
      assert.match(err.message, /^cannot satisfy request, as TTL would result in notAfter of \S+ that is beyond the expiration of the CA certificate at \S+$/);
      return true;
    });
    assert.deepEqual(await harness.snapshot(), before);
  });

  test('ip sans are encoded as requested', async () => {
    const { harness } = await setUp({ allow_ip_sans: true });

    const issued = dataOf(
      await harness.send('update', 'issue/web', { common_name: 'a.example.com', ip_sans: '::ffff:10.1.2.3,::10.4.5.6,2001:DB8::1,10.1.2.3' }),
    );

    const text = await certificateText(String(issued.certificate));
    assert.match(text, /IP Address:10\.1\.2\.3, IP Address:0:0:0:0:0:0:A04:506, IP Address:2001:DB8:0:0:0:0:0:1\n/);
  });

  test('ip sans with a zone are rejected', async () => {
    const { harness } = await setUp({ allow_ip_sans: true });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'issue/web', { common_name: 'a.example.com', ip_sans: 'fe80::1%eth0' }),
      'invalid field "ip_sans": the value "fe80::1%eth0" is not a valid IP address',
    );
  });

  test('issue without a ca', async () => {
    const harness = createHarness();
    await harness.send('create', 'roles/web', { allow_any_name: true, key_type: 'ec' });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'issue/web', { common_name: 'a.example.com' }),
      'no CA is configured for this mount: generate a root, set a signed intermediate, or import one through config/ca',
    );
  });
});

describe('sign', () => {
  test('openssl csr is signed with names from the csr', async () => {
    const { harness, root } = await setUp();

    await withOpenssl(async (tools) => {
      const csr = await opensslCsr(tools, '/CN=app.example.com', ['-addext', 'subjectAltName=DNS:alt.example.com,IP:10.2.3.4']);
      const signed = dataOf(await harness.send('update', 'sign/web', { csr, ttl: '30m' }));

      assert.equal(signed.private_key, undefined);
      const result = await verify(tools, String(root.certificate), String(signed.certificate));
      assert.equal(result.code, 0);
      const text = await certificateText(String(signed.certificate));
      assert.match(text, /DNS:app\.example\.com, DNS:alt\.example\.com, IP Address:10\.2\.3\.4/);
      const fromCsr = await tools.openssl(['pkey', '-pubout', '-in', 'csr.key']);
      assert.equal(createPublicKey(String(signed.certificate)).export({ type: 'spki', format: 'pem' }), fromCsr.stdout);
    });
  });

  test('csr with rsa exponent 1 is rejected', async () => {
    const { harness } = await setUp({ key_type: 'rsa' });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'sign/web', { csr: exponentOneCsr() }),
      'invalid field "csr": RSA public exponent 1 is not allowed: use an odd exponent of at least 3, such as 65537',
    );
  });

  test('csr rejections store nothing', async () => {
    const { harness } = await setUp();
    await harness.send('create', 'roles/rsa4096', { allow_any_name: true, key_type: 'rsa', key_bits: 4096 });

    await withOpenssl(async (tools) => {
      const evil = await opensslCsr(tools, '/CN=app.evil.test');
      const rsa = await opensslCsr(tools, '/CN=app.example.com', [], ['-newkey', 'rsa:2048']);
      const badSan = await opensslCsr(tools, '/CN=app.example.com', ['-addext', 'subjectAltName=DNS:x.evil.test']);
      const tampered = rsa.replace(/^(-----BEGIN CERTIFICATE REQUEST-----\n.{40})(.)/m, (_all, head: string, char: string) => head + (char === 'A' ? 'B' : 'A'));
      const cases: [string, string, string][] = [
        ['sign/web', evil, 'common name app.evil.test not allowed by this role'],
        ['sign/web', badSan, 'subject alternate name x.evil.test not allowed by this role'],
        ['sign/web', rsa, 'role requires keys of type ec, but the CSR has a key of type rsa'],
        ['sign/rsa4096', rsa, "role requires rsa keys of at least 4096 bits, but the CSR's key has 2048"],
        ['sign/web', 'not a csr', 'invalid field "csr": no PEM block "CERTIFICATE REQUEST" found'],
      ];
      for (const [path, csr, message] of cases) {
        await assertRejectedUnchanged(harness, () => harness.send('update', path, { csr }), message);
      }
      const before = await harness.snapshot();
      await assert.rejects(harness.send('update', 'sign/rsa4096', { csr: tampered }), /invalid field "csr": /);
      assert.deepEqual(await harness.snapshot(), before);
    });
  });

  test('missing csr', async () => {
    const { harness } = await setUp();

    await assertRejectedUnchanged(harness, () => harness.send('update', 'sign/web', {}), 'missing required field "csr"');
  });

  test('use_csr_common_name false takes common_name', async () => {
    const { harness } = await setUp({ use_csr_common_name: false, use_csr_sans: false });

    await withOpenssl(async (tools) => {
      const csr = await opensslCsr(tools, '/CN=ignored.evil.test');
      const signed = dataOf(await harness.send('update', 'sign/web', { csr, common_name: 'real.example.com' }));

      assert.equal(new x509.X509Certificate(String(signed.certificate)).subject, 'CN=real.example.com');
    });
  });
});

describe('sign-verbatim', () => {
  test('keeps the csr subject and names', async () => {
    const { harness, root } = await setUp();

    await withOpenssl(async (tools) => {
      const csr = await opensslCsr(tools, '/C=NL/O=Verbatim BV/OU=Team/CN=anything.test', ['-addext', 'subjectAltName=DNS:anything.test,URI:spiffe://x/y']);
      const signed = dataOf(await harness.send('update', 'sign-verbatim', { csr, ext_key_usage: 'ClientAuth', ttl: '1h' }));

      assert.equal((await verify(tools, String(root.certificate), String(signed.certificate))).code, 0);
      const text = await certificateText(String(signed.certificate));
      assert.match(text, /Subject: C = NL, O = Verbatim BV, OU = Team, CN = anything\.test\n/);
      assert.match(text, /DNS:anything\.test, URI:spiffe:\/\/x\/y/);
      assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication\n/);
    });
  });

  test('role ttl applies and bad usage is rejected', async () => {
    const { harness } = await setUp({ max_ttl: '1h' });

    await withOpenssl(async (tools) => {
      const csr = await opensslCsr(tools, '/CN=anything.test');
      const response = await harness.send('update', 'sign-verbatim/web', { csr, ttl: '3h' });
      assert.deepEqual(response?.warnings, ['TTL "10800s" is longer than permitted maxTTL "3600s", so using maxTTL']);

      await assertRejectedUnchanged(
        harness,
        () => harness.send('update', 'sign-verbatim', { csr, key_usage: 'Nonsense' }),
        'invalid field "key_usage": unknown key usage "Nonsense": use names such as DigitalSignature, KeyEncipherment, KeyAgreement, CertSign or CRLSign',
      );
      await assertRejectedUnchanged(harness, () => harness.send('update', 'sign-verbatim/none', { csr }), 'unknown role: none');
    });
  });
});

describe('sign key support', () => {
  test('p-224 csr key is rejected', async () => {
    const { harness } = await setUp({ key_type: 'any' });

    await withOpenssl(async (tools) => {
      const csr = await opensslCsr(tools, '/CN=a.example.com', [], ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-224']);

      await assertRejectedUnchanged(
        harness,
        () => harness.send('update', 'sign/web', { csr }),
        'invalid field "csr": unsupported elliptic curve secp224r1: use P-256, P-384 or P-521',
      );
    });
  });

  test('rsa 1024 csr is rejected on every path', async () => {
    const { harness } = await setUp({ key_type: 'any' });
    const message = 'invalid field "csr": RSA keys < 2048 bits are unsafe and not supported, but the CSR\'s key has 1024 bits';

    await withOpenssl(async (tools) => {
      const csr = await opensslCsr(tools, '/CN=a.example.com', [], ['-newkey', 'rsa:1024']);

      await assertRejectedUnchanged(harness, () => harness.send('update', 'sign/web', { csr }), message);
      await assertRejectedUnchanged(harness, () => harness.send('update', 'sign-verbatim', { csr }), message);
      await assertRejectedUnchanged(harness, () => harness.send('update', 'root/sign-intermediate', { csr, common_name: 'Int', ttl: '1h' }), message);
    });
  });
});

describe('not_after', () => {
  test('sets the exact expiry', async () => {
    const { harness } = await setUp();
    const expiry = new Date(Math.floor(Date.now() / 1000) * 1000 + 3 * 86400_000);
    const text = expiry.toISOString().replace('.000Z', 'Z');

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'a.example.com', not_after: text }));

    assert.equal(new x509.X509Certificate(String(issued.certificate)).notAfter.getTime(), expiry.getTime());
    assert.equal(issued.expiration, expiry.getTime() / 1000);
  });

  test('capped by the role maximum', async () => {
    const { harness } = await setUp({ max_ttl: '1h' });
    const text = new Date(Date.now() + 86400_000).toISOString().replace(/\.\d+Z$/, 'Z');

    const response = await harness.send('update', 'issue/web', { common_name: 'a.example.com', not_after: text });

    assert.match(String(response?.warnings?.[0]), /^TTL "\d+s" is longer than permitted maxTTL "3600s", so using maxTTL$/);
    const certificate = new x509.X509Certificate(String(dataOf(response).certificate));
    assert.equal(certificate.notAfter.getTime() - certificate.notBefore.getTime(), 3630_000);
  });

  test('invalid values are rejected', async () => {
    const { harness } = await setUp();
    const cases: [Record<string, unknown>, string][] = [
      [{ not_after: '2030-01-02 03:04:05' }, 'invalid field "not_after": "2030-01-02 03:04:05" is not a UTC time such as 2030-01-02T03:04:05Z'],
      [{ not_after: '2030-13-02T03:04:05Z' }, 'invalid field "not_after": "2030-13-02T03:04:05Z" is not a UTC time such as 2030-01-02T03:04:05Z'],
      [{ not_after: '2030-01-02T03:04:05Z', ttl: '1h' }, 'invalid field "not_after": either ttl or not_after should be provided, not both'],
      [{ not_after: '2001-01-02T03:04:05Z' }, 'invalid field "not_after": 2001-01-02T03:04:05.000Z is not in the future'],
    ];

    for (const [body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'issue/web', { common_name: 'a.example.com', ...body }), message);
    }
  });
});
