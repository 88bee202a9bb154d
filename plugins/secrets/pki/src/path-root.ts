/**
 * `root/generate/:type` and `root`: generate a self-signed root CA, and
 * delete the mount's CA.
 */
import { definePath, type FieldMap, type PathDefinition, type Request, type Response } from '@coffer/sdk';
import type { KeyObject } from 'node:crypto';
import { CA_FIELDS, checkGenerateType, KEY_FIELDS, parseCaRequest, parseKeyRequest } from './ca-request.js';
import { buildCertificate } from './certificate.js';
import type { PkiContext } from './context.js';
import { rebuildCrl } from './crl.js';
import { encodePrivateKey, generateKey, storedKeyPem } from './keys.js';
import { encodeCertificate } from './output.js';
import { formatSerial, generateSerialHex } from './serial.js';
import { CA_BUNDLE_KEY, CRL_KEY, PENDING_KEY, readUrls, storeCertificate, writeJson, type CaBundle } from './store.js';
import { certificateNotAfter, unixSeconds } from './ttl.js';
import { parseCertificatePem, type x509 } from './x509.js';

/** Key usage of CA certificates: certificate signing and CRL signing. */
export const CA_KEY_USAGE = 32 | 64;

const GENERATE_FIELDS = {
  type: { type: 'string', description: 'internal keeps the private key in the engine; exported also returns it, once.' },
  ...CA_FIELDS,
  ...KEY_FIELDS,
} as const;

/** The warning Vault returns when a root is generated over an existing CA. */
export function existingCaWarning(mountPoint: string): string {
  return `refusing to generate a root certificate over an existing root certificate; to replace it, delete the current one with a DELETE of ${mountPoint}root first`;
}

export function pathGenerateRoot(context: PkiContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'root/generate/(?<type>\\w+)',
    fields: GENERATE_FIELDS,
    operations: {
      update: async (request, fields) => {
        const type = checkGenerateType(fields.get('type'));
        const ca = parseCaRequest(fields);
        const key = parseKeyRequest(fields);

        return context.locks.run('ca', async () => {
          if ((await request.storage.get(CA_BUNDLE_KEY)) !== null) return { warnings: [existingCaWarning(request.mountPoint)] };

          const now = context.clock.now();
          const { notAfter, warnings } = certificateNotAfter({ requested: ca.ttl, requestedNotAfter: ca.notAfter, roleTtl: 0, roleMaxTtl: 0, system: context.system, now });
          const privateKey = await generateKey(key.spec);
          const serialHex = generateSerialHex();
          const certificate = await buildCertificate(
            {
              subject: ca.subject,
              altNames: ca.altNames,
              notBefore: new Date(now.getTime() - ca.notBeforeSeconds * 1000),
              notAfter,
              isCa: true,
              maxPathLength: ca.maxPathLength,
              keyUsage: CA_KEY_USAGE,
              extKeyUsage: [],
              basicConstraintsForNonCa: false,
              permittedDnsDomains: ca.permittedDnsDomains,
              urls: await readUrls(request.storage),
              publicKey: privateKey,
            },
            { key: privateKey, spec: key.spec, signatureBits: key.signatureBits, usePss: key.usePss },
            serialHex,
          );

          await installCa(context, request, { certificate: certificateAsPem(certificate), private_key: storedKeyPem(privateKey), ca_chain: [] });
          context.logger.info({ mount: request.mountPoint, serial_number: formatSerial(serialHex) }, 'generated a root CA');
          return rootResponse(certificate, type === 'exported' ? privateKey : undefined, ca.format, key.privateKeyFormat, warnings);
        });
      },
    },
    helpSynopsis: 'Generate a self-signed root CA certificate and key.',
    helpDescription: `
Generates a key and a self-signed CA certificate and makes them the mount's
CA. With type exported the private key is returned in this response and
never again; with internal it never leaves the engine. A mount that already
has a CA keeps it, and the request returns a warning.`,
  });
}

export function pathDeleteRoot(context: PkiContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'root',
    fields: {},
    operations: {
      delete: async (request) => {
        await context.locks.run('ca', async () => {
          await request.storage.delete(CA_BUNDLE_KEY);
          await request.storage.delete(PENDING_KEY);
          await context.locks.run('crl', () => request.storage.delete(CRL_KEY));
        });
        context.logger.info({ mount: request.mountPoint }, 'deleted the CA');
        return null;
      },
    },
    helpSynopsis: 'Delete the CA certificate and key of the mount.',
    helpDescription: `
Deletes the mount's CA certificate, its private key, any pending intermediate
key and the CRL. Issued certificates and revocations stay stored. The mount
cannot issue until a new CA is generated, set or imported.`,
  });
}

/** Returns a certificate as PEM. */
export function certificateAsPem(certificate: x509.X509Certificate): string {
  return encodeCertificate(certificate, 'pem');
}

/**
 * Stores a new CA, records its certificate under certs/, drops any pending
 * intermediate key, and builds the first CRL signed by the new key.
 * Callers hold the `ca` lock.
 */
export async function installCa(context: PkiContext, request: Request, bundle: CaBundle): Promise<void> {
  await writeJson(request.storage, CA_BUNDLE_KEY, bundle);
  await request.storage.delete(PENDING_KEY);
  const certificate = parseCertificatePem(bundle.certificate);
  if (certificate !== undefined) await storeCertificate(request.storage, formatSerial(certificate.serialNumber), bundle.certificate);
  await context.locks.run('crl', () => rebuildCrl(request.storage, context.clock.now()));
}

function rootResponse(certificate: x509.X509Certificate, exportedKey: KeyObject | undefined, format: string, privateKeyFormat: string, warnings: string[]): Response {
  const encoded = encodeCertificate(certificate, format);
  const data: Record<string, unknown> = {
    certificate: encoded,
    issuing_ca: encoded,
    serial_number: formatSerial(certificate.serialNumber),
    expiration: unixSeconds(certificate.notAfter),
  };
  if (exportedKey !== undefined) {
    data.private_key = encodePrivateKey(exportedKey, privateKeyFormat, format);
    data.private_key_type = exportedKey.asymmetricKeyType;
    if (format === 'pem_bundle') data.certificate = `${String(data.private_key)}\n${encoded}`;
  }
  return warnings.length > 0 ? { data, warnings } : { data };
}
