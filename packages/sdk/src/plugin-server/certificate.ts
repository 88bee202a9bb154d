/**
 * The self-signed certificates of automatic mutual TLS. The host makes one
 * for itself at each launch and passes it to the plugin in
 * `PLUGIN_CLIENT_CERT`. The plugin makes its own and prints it in the
 * handshake line. Each side trusts exactly the other side's certificate.
 *
 * The certificates are ECDSA P-256 with SHA-256, made with Node's WebCrypto
 * and built by @peculiar/x509, which supports EC keys (node-forge builds RSA
 * certificates only). Like go-plugin's, each one is valid for `localhost`,
 * for both server and client authentication, and is its own CA.
 */
import { randomBytes, webcrypto } from 'node:crypto';

/** A certificate and its private key, made for one launch. */
export interface LaunchCertificate {
  certificatePem: string;
  /** PKCS #8 PEM. Kept in memory only. */
  privateKeyPem: string;
  certificateDer: Buffer;
}

/**
 * Validity of a launch certificate. A plugin process may run for months, and
 * every brokered connection is a new TLS handshake, so the certificate must
 * outlive the process. go-plugin uses about 30 years as well.
 */
const VALIDITY_MS = 30 * 365 * 24 * 3600 * 1000;

/** Clock skew allowance between the two processes, as go-plugin sets it. */
const NOT_BEFORE_SKEW_MS = 30_000;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

let x509Module: Promise<typeof import('@peculiar/x509')> | undefined;

/**
 * Loads @peculiar/x509 on first use. It needs the reflect-metadata polyfill,
 * which adds functions to the global `Reflect`, so processes that never make
 * a certificate never load either.
 */
function loadX509(): Promise<typeof import('@peculiar/x509')> {
  x509Module ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return x509Module;
}

/** Generates a fresh key pair and a self-signed certificate for `localhost`. */
export async function generateLaunchCertificate(): Promise<LaunchCertificate> {
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const serial = randomBytes(16);
  serial[0] &= 0x7f; // A serial number is a positive integer in DER.

  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: 'CN=localhost, O=Coffer',
    notBefore: new Date(now - NOT_BEFORE_SKEW_MS),
    notAfter: new Date(now + VALIDITY_MS),
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyAgreement | x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }]),
    ],
  });

  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    certificatePem: certificate.toString('pem'),
    privateKeyPem: toPem('PRIVATE KEY', pkcs8),
    certificateDer: Buffer.from(certificate.rawData),
  };
}

/** Converts DER bytes to PEM text with the given label. */
export function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
