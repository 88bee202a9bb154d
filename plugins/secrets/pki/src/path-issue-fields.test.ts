import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { describe, test } from 'node:test';
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

async function setUp(role: Record<string, unknown>, root: Record<string, unknown> = {}): Promise<{ harness: Harness; root: Record<string, unknown> }> {
  const harness = createHarness();
  const rootData = await generateRoot(harness, root);
  await harness.send('create', 'roles/web', { allowed_domains: 'example.com', allow_subdomains: true, key_type: 'ec', ...role });
  return { harness, root: rootData };
}

/** Runs openssl verify of `leaf` against `root` and asserts that it passes. */
async function assertVerifies(root: unknown, leaf: unknown): Promise<void> {
  await withOpenssl(async (tools) => {
    const rootPath = await tools.file('root.pem', String(root));
    const leafPath = await tools.file('leaf.pem', String(leaf));
    const result = await tools.openssl(['verify', '-CAfile', rootPath, leafPath]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /leaf\.pem: OK/);
  });
}

/** Makes an EC CSR with openssl and returns its PEM. */
async function opensslCsr(tools: OpensslRun, subject: string, extra: string[] = []): Promise<string> {
  const result = await tools.openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'csr.key', '-subj', subject, ...extra, '-out', '-']);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

describe('other_sans', () => {
  test('otherName sans are encoded with oid and value', async () => {
    const { harness, root } = await setUp({ allowed_other_sans: '1.3.6.1.4.1.311.20.2.3;UTF8:*@example.com,1.2.3.4;utf-8:*' });

    const issued = dataOf(
      await harness.send('update', 'issue/web', {
        common_name: 'a.example.com',
        other_sans: '1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.com,1.2.3.4;UTF-8:hello world',
      }),
    );

    await assertVerifies(root.certificate, issued.certificate);
    const text = await certificateText(String(issued.certificate));
    assert.match(text, /X509v3 Subject Alternative Name: \n\s+DNS:a\.example\.com, othername: UPN::alice@example\.com, othername: 1\.2\.3\.4::hello world\n/);
  });

  test('any other san with a bare star', async () => {
    const { harness } = await setUp({ allowed_other_sans: '*' });

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'a.example.com', other_sans: '1.3.6.1.4.1.99999.1;UTF8:anything' }));

    assert.match(await certificateText(String(issued.certificate)), /othername: 1\.3\.6\.1\.4\.1\.99999\.1::anything/);
  });

  test('san critical without a subject', async () => {
    const { harness, root } = await setUp({ require_cn: false, allowed_other_sans: '*' });

    for (const request of [{ alt_names: 'b.example.com' }, { other_sans: '1.2.3.4;UTF8:svc-web' }]) {
      const issued = dataOf(await harness.send('update', 'issue/web', request));

      const text = await certificateText(String(issued.certificate));
      assert.match(text, /Subject: \n/);
      assert.match(text, /X509v3 Subject Alternative Name: critical\n/);
      await withOpenssl(async (tools) => {
        const rootPath = await tools.file('root.pem', String(root.certificate));
        const leafPath = await tools.file('leaf.pem', String(issued.certificate));
        const result = await tools.openssl(['verify', '-x509_strict', '-CAfile', rootPath, leafPath]);
        assert.equal(result.code, 0, result.stderr);
      });
    }
  });

  test('other sans from a csr are signed', async () => {
    const { harness, root } = await setUp({ allowed_other_sans: '1.2.3.4;UTF8:svc-*' });

    await withOpenssl(async (tools) => {
      const csr = await opensslCsr(tools, '/CN=app.example.com', ['-addext', 'subjectAltName=DNS:app.example.com,otherName:1.2.3.4;UTF8:svc-web']);
      const signed = dataOf(await harness.send('update', 'sign/web', { csr }));

      await assertVerifies(root.certificate, signed.certificate);
      assert.match(await certificateText(String(signed.certificate)), /DNS:app\.example\.com, othername: 1\.2\.3\.4::svc-web\n/);

      const other = await opensslCsr(tools, '/CN=app.example.com', ['-addext', 'subjectAltName=otherName:1.2.3.4;UTF8:db-main']);
      await assertRejectedUnchanged(harness, () => harness.send('update', 'sign/web', { csr: other }), 'other SAN db-main not allowed for OID 1.2.3.4 by this role');
      const ia5 = await opensslCsr(tools, '/CN=app.example.com', ['-addext', 'subjectAltName=otherName:1.2.3.4;IA5STRING:svc-web']);
      await assertRejectedUnchanged(
        harness,
        () => harness.send('update', 'sign/web', { csr: ia5 }),
        'invalid field "csr": other SAN 1.2.3.4 has a value that is not a UTF8String, the only type supported',
      );
    });
  });

  test('disallowed and malformed other sans are rejected', async () => {
    const { harness } = await setUp({ allowed_other_sans: '1.2.3.4;UTF8:svc-*' });
    await harness.send('create', 'roles/plain', { allow_any_name: true, key_type: 'ec' });
    await harness.send('create', 'roles/any', { allow_any_name: true, key_type: 'ec', allowed_other_sans: '*' });
    const cases: [string, string, string][] = [
      ['issue/web', '1.2.3.5;UTF8:svc-a', 'other SAN OID 1.2.3.5 not allowed by this role'],
      ['issue/web', '1.2.3.4;UTF8:db-a', 'other SAN db-a not allowed for OID 1.2.3.4 by this role'],
      ['issue/plain', '1.2.3.4;UTF8:svc-a', 'other SAN OID 1.2.3.4 not allowed by this role'],
      ['issue/web', '1.2.3.4:svc-a', 'invalid field "other_sans": expected a semicolon in other SAN "1.2.3.4:svc-a"'],
      ['issue/web', '1.2.3.4;svc-a', 'invalid field "other_sans": expected a colon in other SAN "1.2.3.4;svc-a"'],
      ['issue/web', '1.2.3.4;IA5:svc-a', 'invalid field "other_sans": only utf8 other SANs are supported; found non-supported type in other SAN "1.2.3.4;IA5:svc-a"'],
      ['issue/web', 'upn;UTF8:svc-a', 'invalid field "other_sans": "upn" in other SAN "upn;UTF8:svc-a" is not a dotted object identifier'],
      ['issue/web', '1.2.3.4;UTF8:svc-a\u0000.evil', 'other SAN "svc-a\\u0000.evil" for OID 1.2.3.4 contains a control character, which no role allows'],
      ['issue/any', '1.2.3.4;UTF8:a\u007f', 'other SAN "a\u007f" for OID 1.2.3.4 contains a control character, which no role allows'],
      ['issue/web', '1.40;UTF8:svc-a', 'invalid field "other_sans": "1.40" in other SAN "1.40;UTF8:svc-a" is not a valid object identifier: under arc 0 or 1 the second arc must be below 40'],
    ];

    for (const [path, otherSans, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, { common_name: 'a.example.com', other_sans: otherSans }), message);
    }
  });
});

/** Encodes a DER element of `tag` around `parts`, with a one-byte length, so contents must stay under 128 bytes. */
function der(tag: number, ...parts: Buffer[]): Buffer {
  const content = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag, content.length]), content]);
}

/** Makes an EC CSR for a.example.com whose subject alternative name extension is `generalNames`, as given. */
async function csrWithSan(generalNames: Buffer): Promise<string> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=a.example.com',
    keys: keys as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.Extension('2.5.29.17', false, generalNames)],
  });
  return request.toString('pem');
}

describe('malformed csr other sans', () => {
  test('rejected with 400 unchanged', async () => {
    const { harness } = await setUp({ allowed_other_sans: '*', key_type: 'any' });
    const oid123 = der(0x06, Buffer.from([0x2a, 0x03]));
    const otherName = (...parts: Buffer[]) => der(0x30, der(0xa0, ...parts));
    const cases: [Buffer, string][] = [
      [otherName(der(0x06), der(0xa0, der(0x0c, Buffer.from('x')))), 'subject alternative names could not be parsed: truncated OBJECT IDENTIFIER'],
      [otherName(der(0x06, Buffer.from([0x2a, 0x83])), der(0xa0, der(0x0c, Buffer.from('x')))), 'extensions could not be parsed: End of input reached before message was fully decoded'],
      [otherName(oid123, der(0xa0, der(0x0c, Buffer.from([0xff, 0xfe])))), 'subject alternative names could not be parsed: The encoded data was not valid for encoding utf-8'],
      [otherName(oid123, der(0xa0, der(0x0c, Buffer.from('x')), der(0x0c, Buffer.from('y')))), 'subject alternative names could not be parsed: the value of otherName 1.2.3 is not one [0] EXPLICIT element'],
      [otherName(oid123, der(0xa0, der(0x0c, Buffer.from('x'))), der(0x05)), 'subject alternative names could not be parsed: an otherName is not a type-id OID followed by one value'],
    ];

    for (const [generalNames, problem] of cases) {
      const csr = await csrWithSan(generalNames);
      await assertRejectedUnchanged(harness, () => harness.send('update', 'sign/web', { csr }), `invalid field "csr": ${problem}`);
      await assertRejectedUnchanged(harness, () => harness.send('update', 'sign-verbatim', { csr }), `invalid field "csr": ${problem}`);
    }
  });
});

describe('policy_identifiers', () => {
  test('plain oids become certificate policies', async () => {
    const { harness, root } = await setUp({ policy_identifiers: '1.3.6.1.4.1.44947.1.1.1,2.23.140.1.2.1' });

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'a.example.com' }));

    await assertVerifies(root.certificate, issued.certificate);
    const text = await certificateText(String(issued.certificate));
    assert.match(text, /X509v3 Certificate Policies: \n\s+Policy: 1\.3\.6\.1\.4\.1\.44947\.1\.1\.1\n\s+Policy: 2\.23\.140\.1\.2\.1\n/);
  });

  test('json form adds cps and notice qualifiers', async () => {
    const policies = JSON.stringify([
      { oid: '1.3.6.1.4.1.7.8', notice: 'I am a user notice' },
      { oid: '1.3.6.1.4.1.44947.1.2.4', cps: 'https://example.com/cps' },
    ]);
    const { harness, root } = await setUp({ policy_identifiers: policies });

    const role = dataOf(await harness.send('read', 'roles/web'));
    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'a.example.com' }));

    assert.deepEqual(role.policy_identifiers, ['{"oid":"1.3.6.1.4.1.7.8","notice":"I am a user notice"}', '{"oid":"1.3.6.1.4.1.44947.1.2.4","cps":"https://example.com/cps"}']);
    await assertVerifies(root.certificate, issued.certificate);
    const text = await certificateText(String(issued.certificate));
    assert.match(text, /Policy: 1\.3\.6\.1\.4\.1\.7\.8\n\s+User Notice:\n\s+Explicit Text: I am a user notice\n/);
    assert.match(text, /Policy: 1\.3\.6\.1\.4\.1\.44947\.1\.2\.4\n\s+CPS: https:\/\/example\.com\/cps\n/);
  });

  test('invalid policies are rejected', async () => {
    const harness = createHarness();
    const cases: [unknown, string][] = [
      ['1.2.x', 'invalid field "policy_identifiers": "1.2.x" is not a dotted object identifier such as 1.3.6.1.5.5.7.3.1'],
      // DER joins the first two arcs as 40 * first + second, so 1.40 would be written as 2.0.
      ['1.40', 'invalid field "policy_identifiers": "1.40" is not a valid object identifier: under arc 0 or 1 the second arc must be below 40'],
      ['1.2.3,1.2.4,1.2.3', 'invalid field "policy_identifiers": policy 1.2.3 is listed more than once: list each OID once, with its cps and notice in one object'],
      ['[{"oid":"1.2.3","cps":"https://example.com/cps"},{"oid":"1.2.3","notice":"n"}]', 'invalid field "policy_identifiers": policy 1.2.3 is listed more than once: list each OID once, with its cps and notice in one object'],
      ['[{"oid":"0.99.1"}]', 'invalid field "policy_identifiers": "0.99.1" is not a valid object identifier: under arc 0 or 1 the second arc must be below 40'],
      ['[{"oid":"1.2.3"', 'invalid field "policy_identifiers": "[{\\"oid\\":\\"1.2.3\\"" is not valid JSON: use a list of objects with "oid" and optional "cps" and "notice"'],
      ['[{"cps":"https://example.com"}]', 'invalid field "policy_identifiers": a policy needs "oid" as a string, got undefined'],
      ['[{"oid":"1.2.3","url":"x"}]', 'invalid field "policy_identifiers": unknown key "url" in a policy: use "oid", "cps" and "notice"'],
      ['[{"oid":"1.2.3","cps":"not a uri"}]', 'invalid field "policy_identifiers": "cps" of policy 1.2.3 must be an ASCII URI, got "not a uri"'],
      [JSON.stringify([{ oid: '1.2.3', notice: 'n'.repeat(201) }]), 'invalid field "policy_identifiers": "notice" of policy 1.2.3 must be a string of at most 200 characters'],
    ];

    for (const [policies, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('create', 'roles/bad', { policy_identifiers: policies }), message);
    }
  });
});

describe('subject serial number and user ids', () => {
  test('uid and serialNumber attributes are written', async () => {
    const { harness, root } = await setUp({ allowed_user_ids: 'alice,svc-*', allowed_serial_numbers: 'SN-*' });

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'a.example.com', user_ids: 'alice,svc-web', serial_number: 'SN-42' }));

    await assertVerifies(root.certificate, issued.certificate);
    const text = await certificateText(String(issued.certificate));
    assert.match(text, /Subject: CN = a\.example\.com, serialNumber = SN-42, UID = alice, UID = svc-web\n/);
  });

  test('values the role does not allow are rejected', async () => {
    const { harness } = await setUp({ allowed_user_ids: 'alice,svc-*', allowed_serial_numbers: 'SN-*' });
    await harness.send('create', 'roles/plain', { allow_any_name: true, key_type: 'ec' });
    const cases: [string, Record<string, unknown>, string][] = [
      ['issue/web', { user_ids: 'alice,bob' }, 'user_id bob is not allowed by this role'],
      ['issue/web', { user_ids: 'svc' }, 'user_id svc is not allowed by this role'],
      ['issue/web', { serial_number: 'XY-1' }, 'serial_number XY-1 not allowed by this role'],
      ['issue/plain', { serial_number: 'SN-1' }, 'serial_number SN-1 not allowed by this role'],
      ['issue/plain', { user_ids: 'alice' }, 'user_id alice is not allowed by this role'],
      // A C consumer reads up to the NUL, so svc-a\0admin would pass svc-* and be read as svc-a.
      ['issue/web', { user_ids: 'svc-a\u0000admin' }, 'user_id "svc-a\\u0000admin" contains a control character, which no role allows'],
      ['issue/web', { serial_number: 'SN-1\n2' }, 'serial_number "SN-1\\n2" contains a control character, which no role allows'],
    ];

    for (const [path, body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, { common_name: 'a.example.com', ...body }), message);
    }
  });

  test('csr values follow serial_number_source', async () => {
    const { harness } = await setUp({ allowed_user_ids: '*', allowed_serial_numbers: 'SN-*' });
    await harness.send('create', 'roles/json', { allowed_domains: 'example.com', allow_subdomains: true, key_type: 'ec', allowed_serial_numbers: 'SN-*', allowed_user_ids: '*', serial_number_source: 'json' });

    await withOpenssl(async (tools) => {
      const csr = await opensslCsr(tools, '/CN=app.example.com/serialNumber=SN-7/UID=alice');
      const fromCsr = dataOf(await harness.send('update', 'sign/web', { csr }));
      const fromJson = dataOf(await harness.send('update', 'sign/json', { csr }));
      const overridden = dataOf(await harness.send('update', 'sign/web', { csr, serial_number: 'SN-8' }));

      assert.match(await certificateText(String(fromCsr.certificate)), /Subject: CN = app\.example\.com, serialNumber = SN-7, UID = alice\n/);
      assert.match(await certificateText(String(fromJson.certificate)), /Subject: CN = app\.example\.com, UID = alice\n/);
      assert.match(await certificateText(String(overridden.certificate)), /Subject: CN = app\.example\.com, serialNumber = SN-8, UID = alice\n/);

      const bad = await opensslCsr(tools, '/CN=app.example.com/serialNumber=XY-1');
      await assertRejectedUnchanged(harness, () => harness.send('update', 'sign/web', { csr: bad }), 'serial_number XY-1 not allowed by this role');
    });
  });
});

describe('use_pss', () => {
  test('rsa ca signs with rsa-pss', async () => {
    const { harness, root } = await setUp({ use_pss: true, signature_bits: 384 }, { key_type: 'rsa', key_bits: 2048 });

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'a.example.com' }));

    await assertVerifies(root.certificate, issued.certificate);
    const text = await certificateText(String(issued.certificate));
    assert.match(text, /Signature Algorithm: rsassaPss\s+Hash Algorithm: sha384\s+Mask Algorithm: mgf1 with sha384\s+Salt Length: 0x30\n/);
  });

  test('ca paths sign with rsa-pss', async () => {
    const harness = createHarness();
    const root = await generateRoot(harness, { key_type: 'rsa', key_bits: 2048, use_pss: true });
    const intermediate = dataOf(
      await createHarness('pki-int/').send('update', 'intermediate/generate/internal', { common_name: 'Int', key_type: 'rsa', use_pss: true, signature_bits: 512 }),
    );

    const signed = dataOf(await harness.send('update', 'root/sign-intermediate', { csr: intermediate.csr, common_name: 'Int', ttl: '24h', use_pss: true }));

    assert.match(await certificateText(String(root.certificate)), /Signature Algorithm: rsassaPss\s+Hash Algorithm: sha256\s+Mask Algorithm: mgf1 with sha256\s+Salt Length: 0x20\n/);
    assert.match(await certificateText(String(signed.certificate)), /Signature Algorithm: rsassaPss\s+Hash Algorithm: sha256/);
    await assertVerifies(root.certificate, signed.certificate);
    await withOpenssl(async (tools) => {
      const path = await tools.file('int.csr', String(intermediate.csr));
      const result = await tools.openssl(['req', '-in', path, '-noout', '-verify', '-text']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout + result.stderr, /verify OK/i);
      assert.match(result.stdout, /Signature Algorithm: rsassaPss\n[\s\S]*Hash Algorithm: sha512\n[\s\S]*Salt Length: 0x40\n/);
    });
  });

  test('ec ca ignores use_pss', async () => {
    const { harness, root } = await setUp({ use_pss: true });

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'a.example.com' }));

    await assertVerifies(root.certificate, issued.certificate);
    assert.match(await certificateText(String(issued.certificate)), /Signature Algorithm: ecdsa-with-SHA256\n/);
  });
});

describe('role not_after', () => {
  test('fixes the expiry and wins over the request', async () => {
    const expiry = new Date(Math.floor(Date.now() / 1000) * 1000 + 5 * 86400_000);
    const text = expiry.toISOString().replace('.000Z', 'Z');
    const { harness, root } = await setUp({ not_after: text, ttl: '1h' });
    const requested = new Date(Date.now() + 86400_000).toISOString().replace(/\.\d+Z$/, 'Z');

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'a.example.com' }));
    const overridden = dataOf(await harness.send('update', 'issue/web', { common_name: 'b.example.com', not_after: requested }));

    await assertVerifies(root.certificate, issued.certificate);
    assert.equal(new x509.X509Certificate(String(issued.certificate)).notAfter.getTime(), expiry.getTime());
    assert.equal(new x509.X509Certificate(String(overridden.certificate)).notAfter.getTime(), expiry.getTime());
    const dates = await withOpenssl(async (tools) => {
      const path = await tools.file('leaf.pem', String(issued.certificate));
      return tools.openssl(['x509', '-noout', '-enddate', '-dateopt', 'iso_8601', '-in', path]);
    });
    assert.equal(dates.stdout.trim(), `notAfter=${text.replace('T', ' ')}`);
  });

  test('request ttl is rejected', async () => {
    const { harness } = await setUp({ not_after: '2030-01-02T03:04:05Z' });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'issue/web', { common_name: 'a.example.com', ttl: '1h' }),
      'invalid field "ttl": either ttl or not_after should be provided, not both, and the role sets not_after',
    );
  });
});

describe('not_after dates', () => {
  test('impossible dates are rejected', async () => {
    const { harness } = await setUp({});

    for (const text of ['2030-02-30T00:00:00Z', '2031-02-29T12:00:00Z', '2030-04-31T00:00:00Z', '2030-01-01T24:00:00Z']) {
      const message = `invalid field "not_after": "${text}" is not a UTC time such as 2030-01-02T03:04:05Z`;
      await assertRejectedUnchanged(harness, () => harness.send('create', 'roles/fixed', { not_after: text }), message);
      await assertRejectedUnchanged(harness, () => harness.send('update', 'issue/web', { common_name: 'a.example.com', not_after: text }), message);
    }
  });
});

describe('internationalized names', () => {
  test('dns sans become a-labels', async () => {
    const { harness, root } = await setUp({ allowed_domains: 'example.com,bücher.example' });

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'ä.example.com', alt_names: 'bü.example.com,shop.bücher.example' }));

    await assertVerifies(root.certificate, issued.certificate);
    const text = await certificateText(String(issued.certificate));
    assert.match(text, /Subject: CN = \\C3\\A4\.example\.com\n/);
    assert.match(text, /X509v3 Subject Alternative Name: \n\s+DNS:xn--4ca\.example\.com, DNS:xn--b-eha\.example\.com, DNS:shop\.xn--bcher-kva\.example\n/);
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'issue/web', { common_name: 'a.example.com', alt_names: 'bü.example.org' }),
      'subject alternate name xn--b-eha.example.org not allowed by this role',
    );
  });
});

describe('cn_validations', () => {
  test('disabled allows any common name', async () => {
    const { harness, root } = await setUp({ cn_validations: 'disabled' });

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'My Service (prod)', alt_names: 'a.example.com' }));

    await assertVerifies(root.certificate, issued.certificate);
    const text = await certificateText(String(issued.certificate));
    assert.match(text, /Subject: CN = My Service \(prod\)\n/);
    assert.match(text, /X509v3 Subject Alternative Name: \n\s+DNS:a\.example\.com\n/);
  });

  test('kinds the role leaves out are rejected', async () => {
    const { harness } = await setUp({ cn_validations: 'email' });
    await harness.send('create', 'roles/hosts', { allowed_domains: 'example.com', allow_subdomains: true, key_type: 'ec', cn_validations: 'hostname' });

    const email = dataOf(await harness.send('update', 'issue/web', { common_name: 'alice@mail.example.com' }));

    assert.match(await certificateText(String(email.certificate)), /email:alice@mail\.example\.com/);
    await assertRejectedUnchanged(harness, () => harness.send('update', 'issue/web', { common_name: 'a.example.com' }), 'common name a.example.com not allowed by this role');
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'issue/hosts', { common_name: 'alice@mail.example.com' }),
      'common name alice@mail.example.com not allowed by this role',
    );
    await assertRejectedUnchanged(harness, () => harness.send('update', 'issue/hosts', { common_name: 'My Service' }), 'common name My Service not allowed by this role');
  });
});

describe('allow_token_displayname', () => {
  test('display name and its subdomains are allowed', async () => {
    const harness = createHarness('pki/', undefined, { displayName: 'userpass-alice' });
    await generateRoot(harness);
    await harness.send('create', 'roles/self', { allow_token_displayname: true, allow_subdomains: true, key_type: 'ec', allow_localhost: false });

    const bare = dataOf(await harness.send('update', 'issue/self', { common_name: 'userpass-alice' }));
    const sub = dataOf(await harness.send('update', 'issue/self', { common_name: 'web.userpass-alice' }));

    assert.match(await certificateText(String(bare.certificate)), /Subject: CN = userpass-alice\n/);
    assert.match(await certificateText(String(sub.certificate)), /DNS:web\.userpass-alice\n/);
    await assertRejectedUnchanged(harness, () => harness.send('update', 'issue/self', { common_name: 'userpass-bob' }), 'common name userpass-bob not allowed by this role');
    await assertRejectedUnchanged(harness, () => harness.send('update', 'issue/self', { common_name: 'evil-userpass-alice' }), 'common name evil-userpass-alice not allowed by this role');
  });

  test('off by default and without a display name', async () => {
    const named = createHarness('pki/', undefined, { displayName: 'userpass-alice' });
    const anonymous = createHarness();
    for (const harness of [named, anonymous]) await generateRoot(harness);
    await named.send('create', 'roles/self', { allow_subdomains: true, key_type: 'ec' });
    await anonymous.send('create', 'roles/self', { allow_token_displayname: true, allow_subdomains: true, key_type: 'ec' });

    await assertRejectedUnchanged(named, () => named.send('update', 'issue/self', { common_name: 'userpass-alice' }), 'common name userpass-alice not allowed by this role');
    await assertRejectedUnchanged(anonymous, () => anonymous.send('update', 'issue/self', { common_name: 'a.com' }), 'common name a.com not allowed by this role');
  });

  test('display name with a star allows nothing', async () => {
    const harness = createHarness('pki/', undefined, { displayName: 'oidc-*.corp' });
    await generateRoot(harness);
    await harness.send('create', 'roles/self', { allow_token_displayname: true, key_type: 'ec', allow_localhost: false });

    await assertRejectedUnchanged(harness, () => harness.send('update', 'issue/self', { common_name: 'oidc-*.corp' }), 'common name oidc-*.corp not allowed by this role');
  });
});

describe('identity templates', () => {
  test('caller without entity skips templates', async () => {
    // Without host name checks, a literal template would allow x.{{identity.entity.name}}.example.com as a subdomain.
    const { harness } = await setUp({ allowed_domains: '{{identity.entity.name}}.example.com,static.example.com', allowed_domains_template: true, enforce_hostnames: false });
    await harness.send('create', 'roles/uris', {
      allow_any_name: true,
      key_type: 'ec',
      allowed_uri_sans: 'spiffe://example/{{identity.entity.aliases.auth_userpass_1234.name}},spiffe://example/static',
      allowed_uri_sans_template: true,
    });

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'a.static.example.com' }));
    assert.match(await certificateText(String(issued.certificate)), /Subject: CN = a\.static\.example\.com\n/);
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'issue/web', { common_name: 'x.{{identity.entity.name}}.example.com' }),
      'common name x.{{identity.entity.name}}.example.com not allowed by this role',
    );
    const withUri = dataOf(await harness.send('update', 'issue/uris', { common_name: 'a.example.com', uri_sans: 'spiffe://example/static' }));
    assert.match(await certificateText(String(withUri.certificate)), /URI:spiffe:\/\/example\/static\n/);
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'issue/uris', { common_name: 'a.example.com', uri_sans: 'spiffe://example/{{identity.entity.aliases.auth_userpass_1234.name}}' }),
      'URI Subject Alternative Name spiffe://example/{{identity.entity.aliases.auth_userpass_1234.name}} provided via the API is not allowed by this role',
    );
  });

  test('without the flag templates are literal', async () => {
    const { harness } = await setUp({ allowed_domains: '{{identity.entity.name}}.example.com,example.com', allowed_domains_template: false });

    const issued = dataOf(await harness.send('update', 'issue/web', { common_name: 'a.example.com' }));

    assert.match(await certificateText(String(issued.certificate)), /Subject: CN = a\.example\.com\n/);
  });
});
