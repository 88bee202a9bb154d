/**
 * Unauthenticated reads of the CA, its chain, the CRL and issued
 * certificates, raw (`ca`, `ca/pem`, `ca_chain`, `crl`, `crl/pem`) or in
 * Vault's JSON envelope (`cert/:serial`, `cert/ca`, `cert/ca_chain`,
 * `cert/crl`), and the LIST of stored serial numbers (`certs/`).
 */
import { definePath, type FieldMap, type PathDefinition, type Request, type Response } from '@coffer/sdk';
import { crlPem, readCrlDer } from './crl.js';
import { parseSerial, serialFromStorageName } from './serial.js';
import { CA_BUNDLE_KEY, CERTS_PREFIX, readCertificate, readJson, readRevocation, type CaBundle } from './store.js';
import { parsePemBlocks } from './x509.js';

/** Builds a raw response, or Vault's 204 when there is nothing to send. */
function raw(contentType: string, body: Buffer | string | null): Response | null {
  if (body === null || body.length === 0) return { raw: { status: 204, contentType, body: '' } };
  return { raw: { status: 200, contentType, body } };
}

async function readBundle(request: Request): Promise<CaBundle | null> {
  return readJson<CaBundle>(request.storage, CA_BUNDLE_KEY);
}

/** Returns the CA certificate followed by its issuers, as PEM joined by newlines. */
export function chainPem(bundle: CaBundle): string {
  return [bundle.certificate, ...bundle.ca_chain].join('\n');
}

function derOfPem(pem: string): Buffer | null {
  return parsePemBlocks(pem)[0]?.der ?? null;
}

export function pathFetchRaw(): PathDefinition<FieldMap> {
  return definePath({
    pattern: '(?<kind>ca|ca/pem|ca_chain|crl|crl/pem)',
    fields: { kind: { type: 'string', description: 'What to fetch: ca, ca/pem, ca_chain, crl or crl/pem.' } },
    operations: {
      read: async (request, fields) => {
        const kind = fields.get('kind');
        if (kind === 'crl' || kind === 'crl/pem') {
          const der = await readCrlDer(request.storage);
          if (kind === 'crl') return raw('application/pkix-crl', der);
          return raw('application/x-pem-file', der === null ? null : `${crlPem(der)}\n`);
        }
        const bundle = await readBundle(request);
        if (kind === 'ca') return raw('application/pkix-cert', bundle === null ? null : derOfPem(bundle.certificate));
        if (kind === 'ca/pem') return raw('application/pem-certificate-chain', bundle === null ? null : `${bundle.certificate}\n`);
        return raw('application/pem-certificate-chain', bundle === null ? null : `${chainPem(bundle)}\n`);
      },
    },
    helpSynopsis: 'Fetch the CA certificate, its chain or the CRL, without the JSON envelope.',
    helpDescription: `
ca returns the CA certificate as DER and ca/pem as PEM; ca_chain returns the
CA certificate and its issuers as PEM; crl returns the CRL as DER and crl/pem
as PEM. These paths need no token. Without a CA the response is 204.`,
  });
}

export function pathFetchCert(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'cert/(?<serial>[0-9A-Za-z:_-]+)',
    fields: { serial: { type: 'string', description: 'Serial number in colon or hyphen form, or ca, ca_chain or crl.' } },
    operations: {
      read: async (request, fields) => {
        const serial = fields.get('serial');
        if (serial === 'ca' || serial === 'ca_chain') {
          const bundle = await readBundle(request);
          if (bundle === null) return null;
          const chain = chainPem(bundle);
          return { data: { certificate: serial === 'ca' ? bundle.certificate : chain, ca_chain: chain, revocation_time: 0 } };
        }
        if (serial === 'crl') {
          const der = await readCrlDer(request.storage);
          return der === null ? null : { data: { certificate: crlPem(der), revocation_time: 0 } };
        }

        const normalized = parseSerial('serial', serial);
        const record = await readCertificate(request.storage, normalized);
        if (record === null) return null;
        const revocation = await readRevocation(request.storage, normalized);
        const revokedAt = revocation?.revocation_time ?? 0;
        const data: Record<string, unknown> = { certificate: record.certificate, revocation_time: revokedAt };
        if (revocation !== null) data.revocation_time_rfc3339 = new Date(revokedAt * 1000).toISOString();
        return { data };
      },
    },
    helpSynopsis: 'Fetch a certificate by serial number, or the CA, its chain or the CRL.',
    helpDescription: `
Returns the stored certificate with the serial number, in colon or hyphen
form, with its revocation time (0 while it is not revoked). cert/ca,
cert/ca_chain and cert/crl return the CA certificate, the chain and the CRL as
PEM. This path needs no token.`,
  });
}

export function pathListCerts(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'certs/?',
    fields: {},
    operations: {
      list: async (request) => {
        const names = await request.storage.list(CERTS_PREFIX);
        const keys = names.filter((name) => !name.endsWith('/')).map(serialFromStorageName);
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the serial numbers of the stored certificates.',
    helpDescription: 'Lists, in colon form, the serial numbers of every certificate the mount stored, revoked or not.',
  });
}
