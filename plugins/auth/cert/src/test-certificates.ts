/**
 * Test fixtures: real certificates and a CRL made with the openssl command
 * in a temporary folder. Exported as `@coffer/auth-cert/testing` for the
 * end-to-end tests of the server and the CLI, and used by no production code.
 *
 * The main CA issues through `openssl ca`, which keeps the database that
 * revocation and `-gencrl` need and can back-date an expired certificate.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One certificate with its private key, as PEM text and as file paths. */
export interface KeyPair {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
}

export interface TestCertificates {
  directory: string;
  /** The CA that trusted entries name. */
  ca: KeyPair;
  /** CN=client.example.com with DNS, email and URI SANs, OU=ops, and extension 1.2.3.4.5 = "prod-client". */
  client: KeyPair;
  /** CN=other.example.com, DNS SAN other.example.com, OU=dev, without extension 1.2.3.4.5. */
  other: KeyPair;
  /** Issued by the CA with validity in 2020. */
  expired: KeyPair;
  /** Issued by the CA and listed in `crl`. */
  revoked: KeyPair;
  /** An intermediate CA under the CA, and a client it issued. */
  intermediate: KeyPair;
  intermediateClient: KeyPair;
  /** A CA under the intermediate, which the intermediate's pathlen:0 forbids, and a client it issued. */
  tooDeep: KeyPair;
  tooDeepClient: KeyPair;
  /** A client whose extended key usage is only serverAuth. */
  serverOnly: KeyPair;
  /** Issued by the CA with a subject of OU=nameless and no common name. */
  noCommonName: KeyPair;
  /** A CA no entry trusts, and a client it issued. */
  unknownCa: KeyPair;
  unknownClient: KeyPair;
  /** A self-signed client certificate with clientAuth, to trust by itself. */
  selfSigned: KeyPair;
  /** A server certificate for 127.0.0.1 issued by the CA, for a TLS listener. */
  server: KeyPair;
  /** PEM CRL of the CA that revokes `revoked`. */
  crl: string;
  /** Decimal serial number of `revoked`. */
  revokedSerial: string;
  close(): Promise<void>;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

const CA_CONFIG = `
[ca]
default_ca = ca_default
[ca_default]
dir = DIR
database = DIR/index.txt
new_certs_dir = DIR/issued
serial = DIR/serial
crlnumber = DIR/crlnumber
default_md = sha256
default_days = 1
default_crl_days = 1
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
organizationalUnitName = optional
[client_ext]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::SAN
[tagged_client_ext]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::SAN
1.2.3.4.5 = ASN1:UTF8String:prod-client
[server_only_ext]
basicConstraints = critical,CA:false
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[intermediate_ext]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server_ext]
basicConstraints = critical,CA:false
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
`;

/** Makes every fixture in a new temporary folder; call `close()` to remove it. */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const directory = await mkdtemp(join(tmpdir(), 'coffer-cert-test-'));
  const at = (name: string) => join(directory, name);
  await run('mkdir', [at('issued')]);
  await writeFile(at('index.txt'), '');
  await writeFile(at('serial'), '1000\n');
  await writeFile(at('crlnumber'), '01\n');
  await writeFile(at('ca.cnf'), CA_CONFIG.replaceAll('DIR', directory));
  await writeFile(at('self.ext'), 'basicConstraints=critical,CA:false\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\n');

  const ca = await selfSignedCa(at, 'ca', 'Coffer Test CA');
  const unknownCa = await selfSignedCa(at, 'unknown-ca', 'Unrelated CA');
  const issue = (name: string, subject: string, options: IssueOptions = {}) => issueWithCa(at, name, subject, options);

  const client = await issue('client', '/CN=client.example.com/OU=ops', {
    san: 'DNS:client.example.com,email:ops@example.com,URI:spiffe://example.com/client',
    extensions: 'tagged_client_ext',
  });
  const other = await issue('other', '/CN=other.example.com/OU=dev', { san: 'DNS:other.example.com' });
  const expired = await issue('expired', '/CN=expired.example.com', { dates: ['20200101000000Z', '20200102000000Z'] });
  const revoked = await issue('revoked', '/CN=revoked.example.com');
  const serverOnly = await issue('server-only', '/CN=server-only.example.com', { extensions: 'server_only_ext' });
  const intermediate = await issue('intermediate', '/CN=Coffer Test Intermediate', { extensions: 'intermediate_ext' });
  const server = await issue('server', '/CN=127.0.0.1', { extensions: 'server_ext' });

  const intermediateClient = await issueWithX509(at, 'intermediate-client', '/CN=deep.example.com', 'intermediate');
  const tooDeep = await issueWithX509(at, 'too-deep', '/CN=Coffer Test Too Deep', 'intermediate', CA_EXTENSIONS);
  const tooDeepClient = await issueWithX509(at, 'too-deep-client', '/CN=too-deep.example.com', 'too-deep');
  const unknownClient = await issueWithX509(at, 'unknown-client', '/CN=client.example.com', 'unknown-ca');
  const noCommonName = await issueWithX509(at, 'no-common-name', '/OU=nameless', 'ca');
  const selfSigned = await selfSignedClient(at, 'self-signed', 'self.example.com');

  // The config names $ENV::SAN, which must be set for every `openssl ca` run.
  const caEnv = { env: { ...process.env, SAN: 'DNS:unused.example.com' } };
  await run('openssl', ['ca', '-batch', '-config', at('ca.cnf'), '-cert', ca.certPath, '-keyfile', ca.keyPath, '-revoke', revoked.certPath], caEnv);
  await run('openssl', ['ca', '-batch', '-config', at('ca.cnf'), '-cert', ca.certPath, '-keyfile', ca.keyPath, '-gencrl', '-out', at('ca.crl')], caEnv);
  const serialHex = (await run('openssl', ['x509', '-in', revoked.certPath, '-noout', '-serial'])).stdout.trim().split('=')[1];

  return {
    directory,
    ca,
    client,
    other,
    expired,
    revoked,
    intermediate,
    intermediateClient,
    tooDeep,
    tooDeepClient,
    serverOnly,
    noCommonName,
    unknownCa,
    unknownClient,
    selfSigned,
    server,
    crl: await readFile(at('ca.crl'), 'utf8'),
    revokedSerial: BigInt(`0x${serialHex}`).toString(10),
    close: () => rm(directory, { recursive: true, force: true }),
  };
}

interface IssueOptions {
  san?: string;
  extensions?: string;
  dates?: [string, string];
}

async function readPair(at: (name: string) => string, name: string): Promise<KeyPair> {
  return { cert: await readFile(at(`${name}.pem`), 'utf8'), key: await readFile(at(`${name}.key`), 'utf8'), certPath: at(`${name}.pem`), keyPath: at(`${name}.key`) };
}

async function selfSignedCa(at: (name: string) => string, name: string, commonName: string): Promise<KeyPair> {
  await run('openssl', ['req', '-x509', ...EC_KEY, '-days', '2', '-subj', `/CN=${commonName}`, '-keyout', at(`${name}.key`), '-out', at(`${name}.pem`)]);
  return readPair(at, name);
}

async function selfSignedClient(at: (name: string) => string, name: string, commonName: string): Promise<KeyPair> {
  await run('openssl', ['req', '-new', ...EC_KEY, '-subj', `/CN=${commonName}`, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`)]);
  await run('openssl', ['x509', '-req', '-in', at(`${name}.csr`), '-key', at(`${name}.key`), '-days', '1', '-extfile', at('self.ext'), '-out', at(`${name}.pem`)]);
  return readPair(at, name);
}

/** Issues a certificate from the main CA through `openssl ca`. */
async function issueWithCa(at: (name: string) => string, name: string, subject: string, options: IssueOptions): Promise<KeyPair> {
  await run('openssl', ['req', '-new', ...EC_KEY, '-subj', subject, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`)]);
  const dates = options.dates === undefined ? [] : ['-startdate', options.dates[0], '-enddate', options.dates[1]];
  const env = { ...process.env, SAN: options.san ?? `DNS:${subject.split('/CN=')[1].split('/')[0]}` };
  await run(
    'openssl',
    ['ca', '-batch', '-notext', '-config', at('ca.cnf'), '-cert', at('ca.pem'), '-keyfile', at('ca.key'), '-extensions', options.extensions ?? 'client_ext', ...dates, '-in', at(`${name}.csr`), '-out', at(`${name}.pem`)],
    { env },
  );
  return readPair(at, name);
}

const CLIENT_EXTENSIONS = 'basicConstraints=critical,CA:false\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';
const CA_EXTENSIONS = 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';

/** Issues a certificate from a CA other than the main one with `openssl x509 -req`. */
async function issueWithX509(at: (name: string) => string, name: string, subject: string, issuer: string, extensions = CLIENT_EXTENSIONS): Promise<KeyPair> {
  await run('openssl', ['req', '-new', ...EC_KEY, '-subj', subject, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`)]);
  await writeFile(at(`${name}.ext`), extensions);
  await run('openssl', ['x509', '-req', '-in', at(`${name}.csr`), '-CA', at(`${issuer}.pem`), '-CAkey', at(`${issuer}.key`), '-CAcreateserial', '-days', '1', '-extfile', at(`${name}.ext`), '-out', at(`${name}.pem`)]);
  return readPair(at, name);
}
