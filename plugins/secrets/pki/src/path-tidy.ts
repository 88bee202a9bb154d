/**
 * `tidy` and `tidy-status`: remove expired certificates from storage and
 * expired revocations from the CRL.
 */
import { definePath, type FieldMap, type PathDefinition, type Request, type Response, type Storage } from '@coffer/sdk';
import type { PkiContext } from './context.js';
import { listRevoked, rebuildCrl } from './crl.js';
import { invalidField } from './errors.js';
import { serialStorageName } from './serial.js';
import { CERTS_PREFIX, readJson, REVOKED_PREFIX, type CertificateRecord } from './store.js';
import { parseCertificatePem } from './x509.js';

/** Vault's default safety buffer: 72 hours, in seconds. */
export const DEFAULT_SAFETY_BUFFER = 72 * 3600;

/** Vault's text for an accepted tidy request. */
export const TIDY_STARTED = "Tidy operation successfully started. Any information from the operation will be printed to Coffer's server logs.";

const TIDY_FIELDS = {
  tidy_cert_store: { type: 'bool', description: 'Delete stored certificates that expired more than safety_buffer ago.' },
  tidy_revoked_certs: { type: 'bool', description: 'Drop revocations of certificates that expired more than safety_buffer ago, shrinking the CRL.' },
  safety_buffer: { type: 'duration', default: DEFAULT_SAFETY_BUFFER, description: 'How long after expiry a certificate is kept, 72h by default.' },
} as const;

/** The outcome of the last tidy of this mount on this server. */
interface TidyStatus {
  safety_buffer: number;
  tidy_cert_store: boolean;
  tidy_revoked_certs: boolean;
  state: 'Running' | 'Finished' | 'Error';
  error: string | null;
  time_started: string;
  time_finished: string | null;
  cert_store_deleted_count: number;
  revoked_cert_deleted_count: number;
}

function expiredBefore(pem: string, cutoff: number): boolean {
  const certificate = parseCertificatePem(pem);
  return certificate !== undefined && certificate.notAfter.getTime() < cutoff;
}

async function tidyCertStore(storage: Storage, cutoff: number): Promise<number> {
  let deleted = 0;
  for (const name of await storage.list(CERTS_PREFIX)) {
    const record = await readJson<CertificateRecord>(storage, CERTS_PREFIX + name);
    if (record !== null && expiredBefore(record.certificate, cutoff)) {
      await storage.delete(CERTS_PREFIX + name);
      deleted++;
    }
  }
  return deleted;
}

async function tidyRevoked(storage: Storage, cutoff: number): Promise<number> {
  let deleted = 0;
  for (const { serial, record } of await listRevoked(storage)) {
    if (expiredBefore(record.certificate, cutoff)) {
      await storage.delete(REVOKED_PREFIX + serialStorageName(serial));
      deleted++;
    }
  }
  return deleted;
}

/** Builds a response with `status` and Vault's envelope, as the SDK's Response has no status of its own. */
function acceptedResponse(request: Request, warnings: string[]): Response {
  const envelope = { request_id: request.id, lease_id: '', renewable: false, lease_duration: 0, data: null, wrap_info: null, warnings, auth: null, mount_type: request.mountType };
  return { raw: { status: 202, contentType: 'application/json', body: JSON.stringify(envelope) } };
}

export function pathTidy(context: PkiContext): { tidy: PathDefinition<FieldMap>; status: PathDefinition<FieldMap> } {
  let last: TidyStatus | null = null;

  const tidy = definePath({
    pattern: 'tidy/?',
    fields: TIDY_FIELDS,
    operations: {
      update: async (request, fields) => {
        const safetyBuffer = fields.get('safety_buffer');
        if (safetyBuffer < 1) throw invalidField('safety_buffer', `${safetyBuffer}s: safety_buffer must be greater than zero`);
        const tidyCerts = fields.get('tidy_cert_store');
        const tidyRevocations = fields.get('tidy_revoked_certs');
        if (!tidyCerts && !tidyRevocations) {
          return { warnings: ['no targets to tidy; set tidy_cert_store, tidy_revoked_certs or both to true'] };
        }

        await context.locks.run('tidy', async () => {
          const started = context.clock.now();
          const cutoff = started.getTime() - safetyBuffer * 1000;
          last = {
            safety_buffer: safetyBuffer,
            tidy_cert_store: tidyCerts,
            tidy_revoked_certs: tidyRevocations,
            state: 'Running',
            error: null,
            time_started: started.toISOString(),
            time_finished: null,
            cert_store_deleted_count: 0,
            revoked_cert_deleted_count: 0,
          };
          try {
            if (tidyRevocations) {
              const count = await context.locks.run('crl', async () => {
                const removed = await tidyRevoked(request.storage, cutoff);
                if (removed > 0) await rebuildCrl(request.storage, context.clock.now());
                return removed;
              });
              last.revoked_cert_deleted_count = count;
            }
            if (tidyCerts) last.cert_store_deleted_count = await tidyCertStore(request.storage, cutoff);
            last.state = 'Finished';
          } catch (err) {
            last.state = 'Error';
            last.error = err instanceof Error ? err.message : String(err);
            context.logger.error({ err, mount: request.mountPoint }, 'tidy failed');
            throw err;
          } finally {
            last.time_finished = context.clock.now().toISOString();
          }
          context.logger.info(
            { mount: request.mountPoint, cert_store_deleted_count: last.cert_store_deleted_count, revoked_cert_deleted_count: last.revoked_cert_deleted_count },
            'tidy finished',
          );
        });
        return acceptedResponse(request, [TIDY_STARTED]);
      },
    },
    helpSynopsis: 'Remove expired certificates and revocations.',
    helpDescription: `
Deletes stored certificates (tidy_cert_store) and revocations
(tidy_revoked_certs) of certificates that expired more than safety_buffer
ago, and rebuilds the CRL when revocations went. Coffer finishes the work
before it returns 202, so tidy-status shows the result at once.`,
  });

  const status = definePath({
    pattern: 'tidy-status',
    fields: {},
    operations: {
      read: async () => ({ data: last === null ? { state: 'Inactive' } : { ...last } }),
    },
    helpSynopsis: 'Show the result of the last tidy.',
    helpDescription: 'Returns the settings, state, times and deletion counts of the last tidy this server ran on the mount, or state Inactive.',
  });

  return { tidy, status };
}

