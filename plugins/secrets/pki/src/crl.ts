/**
 * The certificate revocation list: rebuilt and stored whenever a revocation,
 * a rotation, a tidy or a new CA changes what it must contain.
 */
import type { Storage } from '@coffer/sdk';
import { certificateKeyIdentifier } from './certificate.js';
import { derTagged } from './der.js';
import { importSigningKey, signingAlgorithm } from './keys.js';
import { serialFromStorageName } from './serial.js';
import { CRL_KEY, loadSigner, readJson, REVOKED_PREFIX, writeJson, type CrlRecord, type RevocationRecord } from './store.js';
import { libraryKey, toPem, x509 } from './x509.js';

/** How long a CRL is valid, Vault's default `expiry` of 72 hours, in seconds. */
export const CRL_EXPIRY_SECONDS = 72 * 3600;

/** Lists the revoked serial numbers (colon form) with their records. */
export async function listRevoked(storage: Storage): Promise<{ serial: string; record: RevocationRecord }[]> {
  const names = await storage.list(REVOKED_PREFIX);
  const revoked: { serial: string; record: RevocationRecord }[] = [];
  for (const name of names) {
    const record = await readJson<RevocationRecord>(storage, REVOKED_PREFIX + name);
    if (record !== null) revoked.push({ serial: serialFromStorageName(name), record });
  }
  return revoked;
}

/**
 * Builds, signs and stores a new CRL with every revoked certificate and the
 * next CRL number. Does nothing when the mount has no CA. Callers hold the
 * engine's CRL lock, so two rebuilds never take the same number.
 */
export async function rebuildCrl(storage: Storage, now: Date): Promise<void> {
  const signer = await loadSigner(storage);
  if (signer === null) return;
  const previous = await readJson<CrlRecord>(storage, CRL_KEY);
  const number = (previous?.number ?? 0) + 1;
  const revoked = await listRevoked(storage);
  const algorithm = signingAlgorithm(signer.spec);

  const crl = await x509.X509CrlGenerator.create({
    issuer: signer.certificate.subjectName,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + CRL_EXPIRY_SECONDS * 1000),
    signingAlgorithm: algorithm,
    signingKey: libraryKey(await importSigningKey(signer.key, algorithm)),
    entries: revoked.map(({ serial, record }) => ({
      serialNumber: serial.replace(/:/g, ''),
      revocationDate: new Date(record.revocation_time * 1000),
    })),
    extensions: [
      new x509.AuthorityKeyIdentifierExtension(await certificateKeyIdentifier(signer.certificate)),
      crlNumberExtension(number),
    ],
  });
  await writeJson(storage, CRL_KEY, { der: Buffer.from(crl.rawData).toString('base64'), number } satisfies CrlRecord);
}

/**
 * Rebuilds the CRL once less than half of its validity is left, so clients
 * never see a lapsed one. Vault rebuilds only with `auto_rebuild` set in
 * config/crl; Coffer always does, which a Vault client cannot tell apart
 * from a revocation. Callers hold the engine's CRL lock.
 * @returns true when a new CRL was signed.
 */
export async function refreshCrlIfDue(storage: Storage, now: Date): Promise<boolean> {
  const der = await readCrlDer(storage);
  if (der === null) return false;
  const nextUpdate = new x509.X509Crl(der).nextUpdate;
  if (nextUpdate !== undefined && nextUpdate.getTime() - now.getTime() > (CRL_EXPIRY_SECONDS * 1000) / 2) return false;
  await rebuildCrl(storage, now);
  return true;
}

/** Reads the stored CRL as DER, or `null` when none was built. */
export async function readCrlDer(storage: Storage): Promise<Buffer | null> {
  const record = await readJson<CrlRecord>(storage, CRL_KEY);
  return record === null ? null : Buffer.from(record.der, 'base64');
}

/** Encodes CRL DER as PEM with the label OpenSSL and Vault use. */
export function crlPem(der: Buffer): string {
  return toPem('X509 CRL', der);
}

/** Builds the CRL number extension (RFC 5280 section 5.2.3): a non-critical, increasing INTEGER. */
function crlNumberExtension(number: number): x509.Extension {
  const bytes: number[] = [];
  for (let rest = number; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  if (bytes.length === 0 || bytes[0] >= 0x80) bytes.unshift(0);
  return new x509.Extension('2.5.29.20', false, derTagged(0x02, Buffer.from(bytes)));
}
