/**
 * The engine's storage layout, relative to the mount's storage view, which
 * the server's barrier encrypts:
 *
 *   config/ca_bundle      the CA certificate, its private key (PKCS #8 PEM)
 *                         and the chain of its issuers
 *   config/pending_key    the key of an intermediate CSR awaiting its certificate
 *   config/urls           issuing_certificates, crl_distribution_points, ocsp_servers
 *   certs/<serial>        every certificate issued, unless the role sets no_store
 *   revoked/<serial>      revoked certificates with their revocation time
 *   crl                   the current CRL (DER) and its number
 *   role/<name>           roles
 *
 * Serial numbers in keys use hyphens, as Vault stores them.
 */
import type { Storage } from '@coffer/sdk';
import type { KeyObject } from 'node:crypto';
import { noCaConfigured } from './errors.js';
import { describeKey, loadPrivateKey, type KeySpec } from './keys.js';
import { serialStorageName } from './serial.js';
import { parseCertificatePem, x509 } from './x509.js';

export const CA_BUNDLE_KEY = 'config/ca_bundle';
export const PENDING_KEY = 'config/pending_key';
export const URLS_KEY = 'config/urls';
export const CRL_KEY = 'crl';
export const CERTS_PREFIX = 'certs/';
export const REVOKED_PREFIX = 'revoked/';
export const ROLE_PREFIX = 'role/';

/** The stored CA. */
export interface CaBundle {
  certificate: string;
  /** PKCS #8 PEM. */
  private_key: string;
  /** PEM certificates of the CA's issuers, nearest first; empty for a root. */
  ca_chain: string[];
}

/** The key of a generated intermediate CSR, kept until `intermediate/set-signed`. */
export interface PendingKey {
  /** PKCS #8 PEM. */
  private_key: string;
}

/** URLs written into the certificates and CRLs the engine signs. */
export interface UrlsConfig {
  issuing_certificates: string[];
  crl_distribution_points: string[];
  ocsp_servers: string[];
}

/** A stored certificate. */
export interface CertificateRecord {
  certificate: string;
}

/** A revoked certificate. */
export interface RevocationRecord {
  certificate: string;
  /** Seconds since the Unix epoch. */
  revocation_time: number;
}

/** The current CRL. */
export interface CrlRecord {
  /** Base64 DER. */
  der: string;
  /** The CRL number of this CRL; the next one gets number + 1. */
  number: number;
}

/** The CA that signs, loaded from {@link CaBundle}. */
export interface Signer {
  bundle: CaBundle;
  certificate: x509.X509Certificate;
  key: KeyObject;
  spec: KeySpec;
}

/** Reads a JSON entry, or `null` when the key is absent. */
export async function readJson<T>(storage: Storage, key: string): Promise<T | null> {
  const entry = await storage.get(key);
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as T);
}

/** Writes a JSON entry. */
export async function writeJson(storage: Storage, key: string, value: unknown): Promise<void> {
  await storage.put({ key, value: Buffer.from(JSON.stringify(value)) });
}

/** Reads the URL configuration, empty lists when none is stored. */
export async function readUrls(storage: Storage): Promise<UrlsConfig> {
  const stored = await readJson<Partial<UrlsConfig>>(storage, URLS_KEY);
  return {
    issuing_certificates: stored?.issuing_certificates ?? [],
    crl_distribution_points: stored?.crl_distribution_points ?? [],
    ocsp_servers: stored?.ocsp_servers ?? [],
  };
}

/** Loads the CA, or `null` when the mount has none. */
export async function loadSigner(storage: Storage): Promise<Signer | null> {
  const bundle = await readJson<CaBundle>(storage, CA_BUNDLE_KEY);
  if (bundle === null) return null;
  const certificate = parseCertificatePem(bundle.certificate);
  if (certificate === undefined) throw new Error('the stored CA certificate cannot be parsed');
  const key = loadPrivateKey(bundle.private_key);
  return { bundle, certificate, key, spec: describeKey(key) };
}

/**
 * Loads the CA for a request that needs one.
 * @throws CofferError (400) when the mount has no CA.
 */
export async function requireSigner(storage: Storage): Promise<Signer> {
  const signer = await loadSigner(storage);
  if (signer === null) throw noCaConfigured();
  return signer;
}

/** Stores an issued certificate under its serial number (colon form). */
export async function storeCertificate(storage: Storage, serial: string, pem: string): Promise<void> {
  await writeJson(storage, CERTS_PREFIX + serialStorageName(serial), { certificate: pem } satisfies CertificateRecord);
}

/** Reads a stored certificate by serial number (colon form). */
export async function readCertificate(storage: Storage, serial: string): Promise<CertificateRecord | null> {
  return readJson<CertificateRecord>(storage, CERTS_PREFIX + serialStorageName(serial));
}

/** Reads the revocation of a certificate by serial number (colon form). */
export async function readRevocation(storage: Storage, serial: string): Promise<RevocationRecord | null> {
  return readJson<RevocationRecord>(storage, REVOKED_PREFIX + serialStorageName(serial));
}
