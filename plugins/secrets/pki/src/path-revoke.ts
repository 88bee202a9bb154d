/**
 * `revoke` and `crl/rotate`: revoke a certificate by serial number, and
 * rebuild the CRL on demand.
 */
import { badRequest, defineSecret, definePath, type FieldMap, type PathDefinition, type Request, type Response, type SecretType } from '@coffer/sdk';
import type { PkiContext } from './context.js';
import { rebuildCrl } from './crl.js';
import { formatSerial, parseSerial, serialStorageName } from './serial.js';
import { loadSigner, readCertificate, readRevocation, requireSigner, REVOKED_PREFIX, writeJson, type RevocationRecord } from './store.js';
import { parseCertificatePem } from './x509.js';

/**
 * Milliseconds before its notAfter from which a certificate counts as
 * expired and stays off the CRL, as in Vault. Lease TTLs are whole seconds,
 * so a generate_lease lease ends up to a second before its certificate, and
 * its revocation would otherwise put every leased certificate on the CRL.
 */
const EXPIRY_MARGIN_MS = 2000;

function revocationData(record: RevocationRecord): Record<string, unknown> {
  return {
    revocation_time: record.revocation_time,
    revocation_time_rfc3339: new Date(record.revocation_time * 1000).toISOString(),
    state: 'revoked',
  };
}

/**
 * Revokes the certificate with `serial` and rebuilds the CRL. From a lease
 * (`fromLease`), a certificate that was never stored (`no_store`) is skipped
 * rather than refused, as in Vault: the lease could never be revoked
 * otherwise, and a retry would not find the certificate either.
 */
export async function revokeSerial(context: PkiContext, request: Request, serial: string, fromLease = false): Promise<Response | null> {
  return context.locks.run('crl', async () => {
    const signer = await loadSigner(request.storage);
    if (signer !== null && formatSerial(signer.certificate.serialNumber) === serial) {
      throw badRequest(`adding the CA certificate (serial ${serial}) to its own CRL is not allowed`);
    }
    const previous = await readRevocation(request.storage, serial);
    if (previous !== null) return { data: revocationData(previous) };
    const stored = await readCertificate(request.storage, serial);
    if (stored === null) {
      if (fromLease) return null;
      throw badRequest(`certificate with serial ${serial} not found`);
    }
    const certificate = parseCertificatePem(stored.certificate);
    const now = context.clock.now();
    if (certificate !== undefined && certificate.notAfter.getTime() < now.getTime() + EXPIRY_MARGIN_MS) {
      return { warnings: [`certificate with serial ${serial} has already expired; refusing to add it to the CRL`] };
    }

    const record: RevocationRecord = { certificate: stored.certificate, revocation_time: Math.floor(now.getTime() / 1000) };
    await writeJson(request.storage, REVOKED_PREFIX + serialStorageName(serial), record);
    await rebuildCrl(request.storage, now);
    context.logger.info({ mount: request.mountPoint, serial_number: serial, from_lease: fromLease }, 'revoked a certificate');
    return { data: revocationData(record) };
  });
}

/** Declares the lease type of certificates issued under a role with `generate_lease`; revoking a lease revokes its certificate. */
export function certificateSecret(context: PkiContext): SecretType<FieldMap> {
  return defineSecret({
    type: 'pki',
    revoke: async (request) => {
      const serial = request.secret?.internalData.serial_number;
      if (typeof serial !== 'string') throw badRequest('the lease names no certificate serial number');
      await revokeSerial(context, request, serial, true);
      return null;
    },
  });
}

export function pathRevoke(context: PkiContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'revoke',
    fields: { serial_number: { type: 'string', required: true, description: 'Serial number of the certificate, in colon or hyphen form.' } },
    operations: {
      update: async (request, fields) => revokeSerial(context, request, parseSerial('serial_number', fields.get('serial_number'))),
    },
    helpSynopsis: 'Revoke a certificate by serial number.',
    helpDescription: `
Adds the certificate to the CRL, which is rebuilt at once. Revoking a revoked
certificate returns its first revocation time. Expired certificates are not
added, and the CA cannot revoke its own certificate.`,
  });
}

export function pathRotateCrl(context: PkiContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'crl/rotate',
    fields: {},
    operations: {
      read: async (request) => {
        await requireSigner(request.storage);
        await context.locks.run('crl', () => rebuildCrl(request.storage, context.clock.now()));
        return { data: { success: true } };
      },
    },
    helpSynopsis: 'Rebuild the CRL now.',
    helpDescription: 'Signs a new CRL with a new number and a fresh validity of 72 hours, with every revoked certificate.',
  });
}
