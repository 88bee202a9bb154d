/**
 * Certificate revocation lists (RFC 5280 section 5) as the method stores
 * them: one JSON entry per name at `crls/<lowercased name>` with the
 * revoked serial numbers in decimal. As in Vault, a serial is revoked
 * whichever CA issued the certificate, and the CRL's signature and
 * nextUpdate are not checked: an operator pushes current CRLs.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import type { Storage } from '@coffer/sdk';
import { pemBlocks, serialFromInteger } from './x509.js';

/** A stored CRL: Vault's `serials` map, each value an empty object. */
export interface CrlEntry {
  serials: Record<string, Record<string, never>>;
}

const CRL_PREFIX = 'crls/';

/**
 * Reads the revoked serial numbers of a PEM CRL.
 * @throws Error naming the problem when the text holds no `X509 CRL` block
 *   or the block is not a CRL.
 */
export function parseCrlPem(pem: string): CrlEntry {
  const blocks = pemBlocks(pem, 'X509 CRL');
  if (blocks.length === 0) throw new Error('no PEM block of type "X509 CRL" found');
  const list = AsnConvert.parse(blocks[0], CertificateList);
  const serials: CrlEntry['serials'] = {};
  for (const revoked of list.tbsCertList.revokedCertificates ?? []) serials[serialFromInteger(revoked.userCertificate)] = {};
  return { serials };
}

export async function readCrl(storage: Storage, name: string): Promise<CrlEntry | null> {
  const stored = await storage.get(CRL_PREFIX + name);
  return stored === null ? null : (JSON.parse(stored.value.toString('utf8')) as CrlEntry);
}

export async function writeCrl(storage: Storage, name: string, crl: CrlEntry): Promise<void> {
  await storage.put({ key: CRL_PREFIX + name, value: Buffer.from(JSON.stringify(crl)) });
}

export async function deleteCrl(storage: Storage, name: string): Promise<void> {
  await storage.delete(CRL_PREFIX + name);
}

export async function listCrls(storage: Storage): Promise<string[]> {
  return storage.list(CRL_PREFIX);
}

/**
 * The union of the revoked serials of every stored CRL, loaded on the first
 * login and dropped when a CRL changes here or on another node.
 */
export class RevokedSerials {
  private cached: Promise<Set<string>> | undefined;

  /** Returns the revoked serials, reading every CRL when nothing is cached. */
  get(storage: Storage): Promise<Set<string>> {
    this.cached ??= this.load(storage).catch((err: unknown) => {
      this.cached = undefined;
      throw err;
    });
    return this.cached;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private async load(storage: Storage): Promise<Set<string>> {
    const serials = new Set<string>();
    for (const name of await listCrls(storage)) {
      const crl = await readCrl(storage, name);
      for (const serial of Object.keys(crl?.serials ?? {})) serials.add(serial);
    }
    return serials;
  }
}
