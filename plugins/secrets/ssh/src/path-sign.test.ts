import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { parseAuthorizedKey } from './ssh-keys.js';
import { SshWriter } from './ssh-wire.js';
import {
  assertRejectedUnchanged,
  configureCa,
  createHarness,
  createWorkdir,
  dataOf,
  describeCertificate,
  fingerprintOf,
  keygenTime,
  ManualClock,
  MOUNT_DEFAULT_TTL,
  MOUNT_MAX_TTL,
  parseListing,
  sshKeygen,
  type CertificateListing,
  type Harness,
  type Workdir,
} from './test-support.js';

let workdir: Workdir;
const userKeys: Record<string, string> = {};
let rsaCa: { privateKey: string; publicKey: string };

before(async () => {
  workdir = await createWorkdir();
  for (const [name, flag, bits] of [['ed25519', 'ed25519', undefined], ['rsa', 'rsa', 2048], ['ecdsa256', 'ecdsa', 256], ['ecdsa384', 'ecdsa', 384]] as const) {
    userKeys[name] = (await sshKeygen(workdir, `user-${name}`, flag, bits)).publicKey;
  }
  const ca = await sshKeygen(workdir, 'rsa-ca', 'rsa', 2048);
  rsaCa = { privateKey: await readFile(ca.keyFile, 'utf8'), publicKey: ca.publicKey };
});
after(async () => {
  await workdir.close();
});

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const NOW_SECONDS = NOW / 1000;

/** Creates a harness with an ed25519 CA and a user role `dev` that allows alice and bob. */
async function userSetup(role: Record<string, unknown> = {}): Promise<Harness> {
  const harness = createHarness(new ManualClock(NOW));
  await configureCa(harness);
  await harness.send('update', 'roles/dev', { key_type: 'ca', allow_user_certificates: true, allowed_users: 'alice,bob', ...role });
  return harness;
}

/** Signs through the harness and returns the response data and the certificate's ssh-keygen listing. */
async function sign(harness: Harness, body: Record<string, unknown>, role = 'dev', displayName?: string) {
  const data = dataOf(await harness.send('update', `sign/${role}`, { public_key: userKeys.ed25519, ...body }, displayName));
  const listing = parseListing(await describeCertificate(workdir, 'cert', String(data.signed_key)));
  return { data, listing };
}

function validity(listing: CertificateListing): string {
  return listing.fields.Valid!;
}

describe('sign', () => {
  test('user certificate in ssh-keygen', async () => {
    const harness = await userSetup({ default_extensions: { 'permit-pty': '' }, ttl: '1h' });
    const caFingerprint = await fingerprintOf(workdir, 'ca.pub', String(dataOf(await harness.send('read', 'config/ca')).public_key));

    const { data, listing } = await sign(harness, { valid_principals: 'alice,bob' });

    assert.deepEqual(Object.keys(data).sort(), ['serial_number', 'signed_key']);
    assert.match(String(data.serial_number), /^[0-9a-f]{1,16}$/);
    assert.match(String(data.signed_key), /^ssh-ed25519-cert-v01@openssh\.com [A-Za-z0-9+/=]+\n$/);
    assert.equal(listing.fields.Type, 'ssh-ed25519-cert-v01@openssh.com user certificate');
    assert.equal(listing.fields['Signing CA'], `ED25519 ${caFingerprint} (using ssh-ed25519)`);
    assert.equal(listing.fields['Public key'], `ED25519-CERT ${await fingerprintOf(workdir, 'user.pub', userKeys.ed25519!)}`);
    assert.equal(listing.fields.Serial, BigInt(`0x${String(data.serial_number)}`).toString());
    assert.equal(validity(listing), `from ${keygenTime(NOW_SECONDS - 30)} to ${keygenTime(NOW_SECONDS + 3600)}`);
    assert.deepEqual(listing.principals, ['alice', 'bob']);
    assert.equal(listing.fields['Critical Options'], '(none)');
    assert.deepEqual(listing.extensions, ['permit-pty']);
  });

  test('every user key type', async () => {
    const harness = await userSetup();
    const expected: Record<string, string> = {
      ed25519: 'ssh-ed25519-cert-v01@openssh.com',
      rsa: 'ssh-rsa-cert-v01@openssh.com',
      ecdsa256: 'ecdsa-sha2-nistp256-cert-v01@openssh.com',
      ecdsa384: 'ecdsa-sha2-nistp384-cert-v01@openssh.com',
    };

    for (const [name, type] of Object.entries(expected)) {
      const { data, listing } = await sign(harness, { public_key: userKeys[name], valid_principals: 'alice' });
      assert.equal(String(data.signed_key).split(' ')[0], type, name);
      assert.equal(listing.fields.Type, `${type} user certificate`, name);
    }
  });

  test('rsa ca signature algorithms', async () => {
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'rsa-sha2-256'],
      ['default', 'rsa-sha2-256'],
      ['rsa-sha2-256', 'rsa-sha2-256'],
      ['rsa-sha2-512', 'rsa-sha2-512'],
      ['ssh-rsa', 'ssh-rsa'],
    ];
    const harness = createHarness(new ManualClock(NOW));
    await harness.send('update', 'config/ca', { private_key: rsaCa.privateKey, public_key: rsaCa.publicKey });
    const caFingerprint = await fingerprintOf(workdir, 'rsa-ca-fp.pub', rsaCa.publicKey);

    for (const [signer, shown] of cases) {
      await harness.send('update', 'roles/dev', { key_type: 'ca', allow_user_certificates: true, allowed_users: '*', ...(signer !== undefined ? { algorithm_signer: signer } : {}) });
      const { listing } = await sign(harness, { valid_principals: 'anyone' });
      assert.equal(listing.fields['Signing CA'], `RSA ${caFingerprint} (using ${shown})`, String(signer));
    }
  });

  test('ecdsa ca', async () => {
    const harness = createHarness(new ManualClock(NOW));
    await configureCa(harness, { key_type: 'ecdsa-sha2-nistp384' });
    await harness.send('update', 'roles/dev', { key_type: 'ca', allow_user_certificates: true, allowed_users: 'alice' });

    const { listing } = await sign(harness, { valid_principals: 'alice', public_key: userKeys.rsa });

    assert.match(listing.fields['Signing CA']!, /^ECDSA SHA256:\S+ \(using ecdsa-sha2-nistp384\)$/);
  });

  test('key id formats', async () => {
    const hash = createHash('sha256').update(parseAuthorizedKey(userKeys.ed25519!).blob).digest('hex');
    const harness = await userSetup();

    assert.equal((await sign(harness, { valid_principals: 'alice' }, 'dev', 'token-ci')).listing.fields['Key ID'], `"vault-token-ci-${hash}"`);
    assert.equal((await sign(harness, { valid_principals: 'alice' })).listing.fields['Key ID'], `"vault-${hash}"`);

    await harness.send('update', 'roles/dev', { key_type: 'ca', allow_user_certificates: true, allowed_users: 'alice', key_id_format: '{{role_name}}/{{token_display_name}}/{{public_key_hash}}' });
    assert.equal((await sign(harness, { valid_principals: 'alice' }, 'dev', 'userpass-eve')).listing.fields['Key ID'], `"dev/userpass-eve/${hash}"`);

    await harness.send('update', 'roles/dev', { key_type: 'ca', allow_user_certificates: true, allowed_users: 'alice', allow_user_key_ids: true });
    assert.equal((await sign(harness, { valid_principals: 'alice', key_id: 'ticket-42' })).listing.fields['Key ID'], '"ticket-42"');
  });

  test('default user is the principal', async () => {
    const harness = await userSetup({ default_user: 'bob' });

    assert.deepEqual((await sign(harness, {})).listing.principals, ['bob']);
    assert.deepEqual((await sign(harness, { valid_principals: '' })).listing.principals, ['bob']);
    assert.deepEqual((await sign(harness, { valid_principals: 'alice, alice' })).listing.principals, ['alice']);
  });

  test('any user with star', async () => {
    const harness = await userSetup({ allowed_users: '*' });

    assert.deepEqual((await sign(harness, { valid_principals: 'root,deploy' })).listing.principals, ['root', 'deploy']);
  });

  test('empty principals need consent', async () => {
    const harness = await userSetup({ allow_empty_principals: true });

    const { listing } = await sign(harness, {});

    assert.equal(listing.fields.Principals, '(none)');
    assert.deepEqual(listing.principals, []);
  });

  test('host certificates and domains', async () => {
    const harness = createHarness(new ManualClock(NOW));
    await configureCa(harness);
    await harness.send('update', 'roles/hosts', { key_type: 'ca', allow_host_certificates: true, allowed_domains: 'example.com', allow_subdomains: true, allow_bare_domains: true });

    const { listing } = await sign(harness, { cert_type: 'host', valid_principals: 'example.com,web.example.com,a.b.example.com' }, 'hosts');

    assert.equal(listing.fields.Type, 'ssh-ed25519-cert-v01@openssh.com host certificate');
    assert.deepEqual(listing.principals, ['example.com', 'web.example.com', 'a.b.example.com']);
  });

  test('ttl rules', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, unknown>, number]> = [
      // role settings, request, expected validity in seconds
      [{}, {}, MOUNT_DEFAULT_TTL],
      [{ ttl: '10m' }, {}, 600],
      [{ ttl: '10m', max_ttl: '2h' }, { ttl: '2h' }, 7200],
      [{ ttl: '48h', max_ttl: '72h' }, {}, 48 * 3600],
      [{ ttl: '72h' }, {}, MOUNT_MAX_TTL],
      [{ max_ttl: '30m' }, {}, 1800],
      [{}, { ttl: 0 }, MOUNT_DEFAULT_TTL],
    ];
    for (const [role, request, seconds] of cases) {
      const harness = await userSetup(role);
      const { listing } = await sign(harness, { valid_principals: 'alice', ...request });
      assert.equal(validity(listing), `from ${keygenTime(NOW_SECONDS - 30)} to ${keygenTime(NOW_SECONDS + seconds)}`, JSON.stringify([role, request]));
    }
  });

  test('not_before_duration backdates', async () => {
    const harness = await userSetup({ not_before_duration: '5m', ttl: '1h' });

    const { listing } = await sign(harness, { valid_principals: 'alice' });

    assert.equal(validity(listing), `from ${keygenTime(NOW_SECONDS - 300)} to ${keygenTime(NOW_SECONDS + 3600)}`);
  });

  test('critical options and extensions', async () => {
    const harness = await userSetup({
      default_critical_options: { 'source-address': '10.0.0.0/8' },
      default_extensions: { 'permit-pty': '' },
      allowed_extensions: 'permit-pty,permit-port-forwarding',
    });

    const defaults = (await sign(harness, { valid_principals: 'alice' })).listing;
    const requested = (
      await sign(harness, {
        valid_principals: 'alice',
        critical_options: { 'force-command': '/usr/bin/true' },
        extensions: { 'permit-port-forwarding': '', 'permit-pty': '' },
      })
    ).listing;

    assert.deepEqual(defaults.criticalOptions, ['source-address 10.0.0.0/8']);
    assert.deepEqual(defaults.extensions, ['permit-pty']);
    assert.deepEqual(requested.criticalOptions, ['force-command /usr/bin/true']);
    assert.deepEqual(requested.extensions, ['permit-port-forwarding', 'permit-pty']);
  });

  test('any extension with star', async () => {
    const harness = await userSetup({ allowed_extensions: '*' });

    const { listing } = await sign(harness, { valid_principals: 'alice', extensions: { 'permit-X11-forwarding': '', 'permit-agent-forwarding': '' } });

    assert.deepEqual(listing.extensions, ['permit-X11-forwarding', 'permit-agent-forwarding']);
  });

  test('allowed key lengths', async () => {
    const harness = await userSetup({ allowed_user_key_lengths: { rsa: 2048, 'ecdsa-sha2-nistp256': 0, ed25519: 0 } });

    for (const name of ['rsa', 'ecdsa256', 'ed25519']) {
      const { listing } = await sign(harness, { valid_principals: 'alice', public_key: userKeys[name] });
      assert.deepEqual(listing.principals, ['alice'], name);
    }
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'sign/dev', { valid_principals: 'alice', public_key: userKeys.ecdsa384 }),
      'public_key failed to meet the key requirements: key of type ecdsa is not allowed',
    );

    await harness.send('update', 'roles/dev', { key_type: 'ca', allow_user_certificates: true, allowed_users: 'alice', allowed_user_key_lengths: { rsa: [3072, 4096], ec: 384 } });
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'sign/dev', { valid_principals: 'alice', public_key: userKeys.rsa }),
      'public_key failed to meet the key requirements: key is of an invalid size: 2048',
    );
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'sign/dev', { valid_principals: 'alice', public_key: userKeys.ecdsa256 }),
      'public_key failed to meet the key requirements: key is of an invalid size: 256',
    );
    assert.deepEqual((await sign(harness, { valid_principals: 'alice', public_key: userKeys.ecdsa384 })).listing.principals, ['alice']);
  });

  test('requests outside the role are rejected', async () => {
    const harness = await userSetup({ allowed_critical_options: 'force-command', allowed_extensions: 'permit-pty', max_ttl: '2h' });
    await harness.send('update', 'roles/hosts', { key_type: 'ca', allow_host_certificates: true, allowed_domains: 'example.com' });
    await harness.send('update', 'roles/subs', { key_type: 'ca', allow_host_certificates: true, allowed_domains: 'example.com', allow_subdomains: true });
    await harness.send('update', 'roles/nobody', { key_type: 'ca', allow_user_certificates: true, default_user: 'alice' });
    const key = userKeys.ed25519;
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['sign/missing', { public_key: key }, 'unknown role: missing'],
      ['sign/dev', {}, 'missing required field "public_key"'],
      ['sign/dev', { public_key: 'ssh-ed25519 AAAA' }, 'failed to parse public_key as SSH key: data ends before the last field'],
      [
        'sign/dev',
        { public_key: `ssh-rsa ${new SshWriter().string('ssh-rsa').mpint(Buffer.from([1])).mpint(Buffer.alloc(256, 0xff)).toBuffer().toString('base64')}`, valid_principals: 'alice' },
        'failed to parse public_key as SSH key: RSA public exponent 1 is not allowed: use an odd exponent of at least 3, such as 65537',
      ],
      ['sign/dev', { public_key: key, valid_principals: 'alice', cert_type: 'both' }, 'invalid field "cert_type": must be one of "user", "host"'],
      ['sign/dev', { public_key: key, valid_principals: 'alice', cert_type: 'host' }, "cert_type 'host' is not allowed by role"],
      ['sign/hosts', { public_key: key, valid_principals: 'example.com' }, "cert_type 'user' is not allowed by role"],
      ['sign/dev', { public_key: key, valid_principals: 'alice,root' }, 'root is not a valid value for valid_principals'],
      ['sign/dev', { public_key: key }, 'empty valid principals not allowed by role'],
      ['sign/nobody', { public_key: key }, 'role is not configured to allow any principals'],
      ['sign/dev', { public_key: key, valid_principals: 'alice', key_id: 'mine' }, 'setting key_id is not allowed by role'],
      ['sign/dev', { public_key: key, valid_principals: 'alice', ttl: '3h' }, 'ttl is larger than maximum allowed 7200'],
      ['sign/dev', { public_key: key, valid_principals: 'alice', critical_options: { 'source-address': '0.0.0.0/0' } }, 'critical options not on allowed list: [source-address]'],
      ['sign/dev', { public_key: key, valid_principals: 'alice', extensions: { 'permit-pty': '', 'permit-user-rc': '' } }, 'extensions [permit-user-rc] are not on allowed list'],
      ['sign/dev', { public_key: key, valid_principals: 'alice', extensions: { 'permit-pty': true } }, 'invalid field "extensions": the value of "permit-pty" must be a string'],
      ['sign/hosts', { public_key: key, cert_type: 'host', valid_principals: 'example.com' }, 'example.com is not a valid value for valid_principals'],
      ['sign/subs', { public_key: key, cert_type: 'host', valid_principals: 'evilexample.com' }, 'evilexample.com is not a valid value for valid_principals'],
      ['sign/subs', { public_key: key, cert_type: 'host', valid_principals: 'example.com' }, 'example.com is not a valid value for valid_principals'],
      ['sign/dev', { public_key: key, valid_principals: 'alice', colour: 'red' }, 'unknown field "colour"'],
    ];

    for (const [path, body, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', path, body), message);
    }
  });

  test('no extensions unless allowed', async () => {
    const harness = await userSetup({ default_extensions: { 'permit-pty': '' } });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'sign/dev', { public_key: userKeys.ed25519, valid_principals: 'alice', extensions: { 'permit-pty': '' } }),
      'extensions [permit-pty] are not on allowed list',
    );
  });

  test('ca needed before signing', async () => {
    const harness = createHarness();
    await harness.send('update', 'roles/dev', { key_type: 'ca', allow_user_certificates: true, allowed_users: 'alice' });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'sign/dev', { public_key: userKeys.ed25519, valid_principals: 'alice' }),
      "keys haven't been configured yet: write config/ca to generate or submit the CA key",
    );
  });

  test('rsa signer needs an rsa ca', async () => {
    const harness = await userSetup({ algorithm_signer: 'rsa-sha2-512' });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'sign/dev', { public_key: userKeys.ed25519, valid_principals: 'alice' }),
      'algorithm_signer rsa-sha2-512 of role dev needs an RSA CA key, but the CA key is ssh-ed25519: set it to "default"',
    );
  });
});

describe('identity templates without an entity', () => {
  test('templated principals are left out', async () => {
    const harness = await userSetup({ allowed_users: 'alice,{{identity.entity.name}}', allowed_users_template: true });

    const { listing } = await sign(harness, { valid_principals: 'alice' });
    assert.deepEqual(listing.principals, ['alice']);
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'sign/dev', { public_key: userKeys.ed25519, valid_principals: '{{identity.entity.name}}' }),
      '{{identity.entity.name}} is not a valid value for valid_principals',
    );
  });

  test('templated default user is rejected', async () => {
    const harness = await userSetup({ allowed_users: '*', default_user: '{{identity.entity.name}}', default_user_template: true, allow_empty_principals: true });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'sign/dev', { public_key: userKeys.ed25519 }),
      "template '{{identity.entity.name}}' in default_user needs a token with an identity entity: log in through an auth method, or set valid_principals",
    );
    const { listing } = await sign(harness, { valid_principals: 'alice' });
    assert.deepEqual(listing.principals, ['alice']);
  });

  test('templated default extensions are left out', async () => {
    const harness = await userSetup({ default_extensions: { 'permit-pty': '', 'login@example.com': '{{identity.entity.name}}' }, default_extensions_template: true });

    const { listing } = await sign(harness, { valid_principals: 'alice' });
    assert.deepEqual(listing.extensions, ['permit-pty']);
  });
});
