/**
 * The X.509 library, @peculiar/x509, set up once with Node's WebCrypto,
 * and the PEM and DER helpers every path shares.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

/** A WebCrypto key as @peculiar/x509 declares it, which is the same object as Node's `webcrypto.CryptoKey`. */
export type LibraryKey = Parameters<typeof x509.X509CertificateGenerator.create>[0] extends infer P
  ? P extends { signingKey: infer K }
    ? K
    : never
  : never;

/** Converts Node's WebCrypto key to the library's declared key type. */
export function libraryKey(key: webcrypto.CryptoKey): LibraryKey {
  return key as unknown as LibraryKey;
}

/** Encodes DER as PEM with `label`, lines of 64 characters, and no trailing newline, as Vault returns PEM. */
export function toPem(label: string, der: Uint8Array | ArrayBuffer): string {
  const base64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join('\n');
}

/** One PEM block: its label and DER bytes. */
export interface PemBlock {
  label: string;
  der: Buffer;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Splits text into its PEM blocks, in order. Text outside the blocks is ignored. */
export function parsePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    blocks.push({ label: match[1], der: Buffer.from(match[2].replace(/\s+/g, ''), 'base64') });
  }
  return blocks;
}

/** Parses a PEM certificate. Returns `undefined` when the text is not one. */
export function parseCertificatePem(pem: string): x509.X509Certificate | undefined {
  const block = parsePemBlocks(pem).find((candidate) => candidate.label === 'CERTIFICATE');
  if (block === undefined) return undefined;
  try {
    return new x509.X509Certificate(block.der);
  } catch {
    return undefined;
  }
}

/** Returns the certificate's PEM, as Vault prints it. */
export function certificatePem(certificate: x509.X509Certificate): string {
  return toPem('CERTIFICATE', certificate.rawData);
}

/** Returns the certificate's DER. */
export function certificateDer(certificate: x509.X509Certificate): Buffer {
  return Buffer.from(certificate.rawData);
}
