/**
 * Trusted certificate entries as stored in the mount's storage: one JSON
 * entry per name at `cert/<lowercased name>`, as Vault's cert method keys
 * them. An entry contains a PEM CA certificate (or a client certificate
 * trusted by itself), the constraints a client certificate must meet, and
 * the token settings of its logins.
 */
import type { Logger, Storage, TokenSettings } from '@coffer/sdk';
import { parseCertificate, pemBlocks, type ParsedCertificate } from './x509.js';

export interface CertEntry extends TokenSettings {
  name: string;
  /** PEM text as written, one or more certificates. */
  certificate: string;
  displayName: string;
  allowedNames: string[];
  allowedCommonNames: string[];
  allowedDnsSans: string[];
  allowedEmailSans: string[];
  allowedUriSans: string[];
  allowedOrganizationalUnits: string[];
  requiredExtensions: string[];
  allowedMetadataExtensions: string[];
}

/** An entry with its certificates parsed, for a login. */
export interface TrustedEntry {
  entry: CertEntry;
  certificates: ParsedCertificate[];
}

const CERT_PREFIX = 'cert/';

export async function readCert(storage: Storage, name: string): Promise<CertEntry | null> {
  const stored = await storage.get(CERT_PREFIX + name.toLowerCase());
  return stored === null ? null : (JSON.parse(stored.value.toString('utf8')) as CertEntry);
}

export async function writeCert(storage: Storage, entry: CertEntry): Promise<void> {
  await storage.put({ key: CERT_PREFIX + entry.name, value: Buffer.from(JSON.stringify(entry)) });
}

export async function deleteCert(storage: Storage, name: string): Promise<void> {
  await storage.delete(CERT_PREFIX + name);
}

export async function listCerts(storage: Storage): Promise<string[]> {
  return storage.list(CERT_PREFIX);
}

/**
 * Parses every certificate of a PEM text. Returns an empty list when there
 * is none or one does not parse.
 */
export function parseCertificatePem(pem: string): ParsedCertificate[] {
  try {
    return pemBlocks(pem, 'CERTIFICATE').map(parseCertificate);
  } catch {
    return [];
  }
}

/**
 * Loads the entries a login may match: only `name` when it is set, else
 * every entry. An entry whose certificate no longer parses is skipped and
 * logged, so one bad entry does not stop logins through the others.
 */
export async function loadTrustedEntries(storage: Storage, logger: Logger, name: string): Promise<TrustedEntry[]> {
  const names = name === '' ? await listCerts(storage) : [name.toLowerCase()];
  const trusted: TrustedEntry[] = [];
  for (const entryName of names) {
    const entry = await readCert(storage, entryName);
    if (entry === null) continue;
    const certificates = parseCertificatePem(entry.certificate);
    if (certificates.length === 0) {
      logger.error({ cert: entryName }, 'failed to parse the certificate of a trusted entry; skipping it');
      continue;
    }
    trusted.push({ entry, certificates });
  }
  return trusted;
}
