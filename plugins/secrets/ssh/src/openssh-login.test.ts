/**
 * Known-answer tests against real OpenSSH: certificates signed through the
 * engine log in to a throwaway sshd that trusts the engine's CA keys, and
 * the client trusts sshd's host certificate through @cert-authority.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { configureCa, createHarness, createWorkdir, dataOf, ManualClock, sshKeygen, type Harness, type Workdir } from './test-support.js';
import { sshdUnavailable, startSshd, tryLogin, type Sshd } from './test-sshd.js';

const skip = sshdUnavailable();

describe('openssh login', { skip }, () => {
  let workdir: Workdir;
  let sshd: Sshd;
  let knownHosts: string;
  let userKey: { keyFile: string; publicKey: string };
  const cas: Record<'ed25519' | 'rsa' | 'ecdsa' | 'untrusted', Harness> = {} as never;

  before(async () => {
    workdir = await createWorkdir();
    userKey = await sshKeygen(workdir, 'user', 'ed25519');

    cas.ed25519 = createHarness();
    cas.ecdsa = createHarness();
    cas.rsa = createHarness();
    cas.untrusted = createHarness();
    const trusted = [
      await configureCa(cas.ed25519),
      await configureCa(cas.ecdsa, { key_type: 'ecdsa-sha2-nistp256' }),
      await configureCa(cas.rsa, { key_type: 'rsa', key_bits: 2048 }),
    ];
    await configureCa(cas.untrusted);
    for (const harness of Object.values(cas)) {
      await harness.send('update', 'roles/users', { key_type: 'ca', allow_user_certificates: true, allowed_users: 'alice,bob', ttl: '10m' });
      await harness.send('update', 'roles/hosts', { key_type: 'ca', allow_host_certificates: true, allowed_domains: '127.0.0.1', allow_bare_domains: true });
    }
    await writeFile(workdir.file('trusted_user_ca_keys'), trusted.join(''));

    // sshd's host key gets a host certificate from the ed25519 CA, which the client trusts for every host.
    const hostKey = await sshKeygen(workdir, 'host', 'ed25519');
    const hostCertificate = dataOf(await cas.ed25519.send('update', 'sign/hosts', { public_key: hostKey.publicKey, cert_type: 'host', valid_principals: '127.0.0.1' }));
    await writeFile(workdir.file('host-cert.pub'), String(hostCertificate.signed_key));
    knownHosts = workdir.file('known_hosts');
    await writeFile(knownHosts, `@cert-authority * ${trusted[0]}`);

    sshd = await startSshd(workdir, {
      trustedUserCaKeys: workdir.file('trusted_user_ca_keys'),
      principals: ['alice'],
      hostKey: hostKey.keyFile,
      hostCertificate: workdir.file('host-cert.pub'),
    });
  });

  after(async () => {
    await sshd?.stop();
    await workdir?.close();
  });

  /** Signs the user key through `harness` and writes the certificate next to it. */
  async function signUserKey(harness: Harness, body: Record<string, unknown>, role = 'users'): Promise<string> {
    const data = dataOf(await harness.send('update', `sign/${role}`, { public_key: userKey.publicKey, ...body }));
    const file = workdir.file(`cert-${Math.random().toString(16).slice(2)}.pub`);
    await writeFile(file, String(data.signed_key));
    return file;
  }

  test('allowed principal logs in', async () => {
    for (const name of ['ed25519', 'ecdsa', 'rsa'] as const) {
      const certificate = await signUserKey(cas[name], { valid_principals: 'alice' });

      const result = await tryLogin(sshd, userKey.keyFile, certificate, knownHosts);

      assert.equal(result.ok, true, `${name} CA: ${result.stderr}`);
    }
  });

  test('other principal is rejected', async () => {
    const certificate = await signUserKey(cas.ed25519, { valid_principals: 'bob' });

    const result = await tryLogin(sshd, userKey.keyFile, certificate, knownHosts);

    assert.equal(result.ok, false);
    assert.match(result.stderr, /Permission denied \(publickey\)/);
  });

  test('expired certificate is rejected', async () => {
    const clock = cas.ed25519.clock as ManualClock;
    const now = clock.current;
    clock.advance(-3600);
    const certificate = await signUserKey(cas.ed25519, { valid_principals: 'alice' });
    clock.current = now;

    const result = await tryLogin(sshd, userKey.keyFile, certificate, knownHosts);

    assert.equal(result.ok, false);
    assert.match(result.stderr, /Permission denied \(publickey\)/);
  });

  test('untrusted ca is rejected', async () => {
    const certificate = await signUserKey(cas.untrusted, { valid_principals: 'alice' });

    const result = await tryLogin(sshd, userKey.keyFile, certificate, knownHosts);

    assert.equal(result.ok, false);
    assert.match(result.stderr, /Permission denied \(publickey\)/);
  });

  test('sha-1 rsa signature is rejected', async () => {
    // OpenSSH rejects ssh-rsa (SHA-1) CA signatures by default, as Vault's docs warn. This checks it for the installed sshd.
    await cas.rsa.send('update', 'roles/sha1', { key_type: 'ca', allow_user_certificates: true, allowed_users: 'alice', algorithm_signer: 'ssh-rsa' });
    const certificate = await signUserKey(cas.rsa, { valid_principals: 'alice' }, 'sha1');
    const sha256Certificate = await signUserKey(cas.rsa, { valid_principals: 'alice' });

    const result = await tryLogin(sshd, userKey.keyFile, certificate, knownHosts);

    assert.equal(result.ok, false);
    assert.match(result.stderr, /Permission denied \(publickey\)/);
    assert.equal((await tryLogin(sshd, userKey.keyFile, sha256Certificate, knownHosts)).ok, true);
  });

  test('foreign host ca is rejected', async () => {
    const certificate = await signUserKey(cas.ed25519, { valid_principals: 'alice' });
    const otherKnownHosts = workdir.file('known_hosts_other');
    await writeFile(otherKnownHosts, `@cert-authority * ${String(dataOf(await cas.untrusted.send('read', 'config/ca')).public_key)}`);

    const result = await tryLogin(sshd, userKey.keyFile, certificate, otherKnownHosts);

    assert.equal(result.ok, false);
    assert.match(result.stderr, /Host key verification failed/);
    assert.equal(await readFile(otherKnownHosts, 'utf8'), `@cert-authority * ${String(dataOf(await cas.untrusted.send('read', 'config/ca')).public_key)}`);
  });
});
