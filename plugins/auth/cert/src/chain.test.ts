import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { CertificateInvalidError, verifiedChains } from './chain.js';
import { parseCertificate, pemBlocks, type ParsedCertificate } from './x509.js';

const run = promisify(execFile);

describe('chain search', () => {
  let directory: string;
  let loop: ParsedCertificate[];
  let leaf: ParsedCertificate;

  // Twelve CA certificates with one subject and one key: each verifies as the
  // issuer of every other, so an unbounded path search would try their permutations.
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'coffer-cert-chain-'));
    const at = (name: string) => join(directory, name);
    await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', at('loop.key')]);
    loop = [];
    for (let serial = 1; serial <= 12; serial++) {
      await run('openssl', ['req', '-x509', '-key', at('loop.key'), '-subj', '/CN=loop', '-days', '1', '-set_serial', String(serial), '-out', at(`loop-${serial}.pem`)]);
      loop.push(parseCertificate(pemBlocks(await readFile(at(`loop-${serial}.pem`), 'utf8'), 'CERTIFICATE')[0]));
    }
    await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=leaf', '-keyout', at('leaf.key'), '-out', at('leaf.csr')]);
    await run('openssl', ['x509', '-req', '-in', at('leaf.csr'), '-CA', at('loop-1.pem'), '-CAkey', at('loop.key'), '-set_serial', '100', '-days', '1', '-out', at('leaf.pem')]);
    leaf = parseCertificate(pemBlocks(await readFile(at('leaf.pem'), 'utf8'), 'CERTIFICATE')[0]);
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  test('signature checks are limited', () => {
    assert.throws(() => verifiedChains([leaf, ...loop], [], new Date()), (err: unknown) => {
      assert.ok(err instanceof CertificateInvalidError);
      assert.equal(err.message, 'signature check attempts limit reached while verifying certificate chain');
      return true;
    });
  });

  test('one loop certificate as root', () => {
    const chains = verifiedChains([leaf, loop[1]], [loop[0]], new Date());

    assert.deepEqual(chains.map((chain) => chain.map((certificate) => certificate.serialNumber)), [['100', '1'], ['100', '2', '1']]);
  });
});
