/**
 * `root/sign-intermediate`: sign another CA's CSR, making it an
 * intermediate of this mount's CA.
 */
import { badRequest, definePath, type FieldData, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { CA_FIELDS, checkSignatureBits } from './ca-request.js';
import { buildCertificate, signingKeyOf } from './certificate.js';
import type { PkiContext } from './context.js';
import { parseCsr, type ParsedCsr } from './csr.js';
import { invalidField, missingField } from './errors.js';
import { chainPem } from './path-fetch.js';
import { CA_KEY_USAGE } from './path-root.js';
import { formatSerial, generateSerialHex } from './serial.js';
import { readUrls, requireSigner, storeCertificate, type Signer } from './store.js';
import { cleanAttributes, parseIpSans, parseUriSans, splitNames, type AltNames, type SubjectSpec } from './subject.js';
import { certificateNotAfter, parseNotAfter, unixSeconds } from './ttl.js';
import { x509 } from './x509.js';
import { encodeCertificate, encodeStoredPem } from './output.js';

const SIGN_INTERMEDIATE_FIELDS = {
  ...CA_FIELDS,
  csr: { type: 'string', required: true, description: 'PEM CSR of the intermediate CA.' },
  use_csr_values: {
    type: 'bool',
    description: 'Take the subject and subject alternative names from the CSR instead of common_name and the other request fields.',
  },
  signature_bits: { type: 'int', default: 0, description: 'Hash size of RSA signatures: 256 (the default), 384 or 512.' },
  use_pss: { type: 'bool', description: 'Sign with RSA-PSS in place of PKCS #1 v1.5 when the CA\'s key is RSA; ignored for ec and ed25519 CAs.' },
} as const;

/**
 * Returns the path length of a new intermediate: the request's, else one
 * less than the signer's, else none.
 * @throws CofferError (400) when the signer's own path length is 0.
 */
function intermediatePathLength(signer: Signer, requested: number): number {
  const constraints = signer.certificate.getExtension(x509.BasicConstraintsExtension);
  const signerLength = constraints?.pathLength;
  if (signerLength === 0) throw badRequest('signing certificate has a max path length of 0, and cannot issue further CA certificates');
  if (requested !== -1) return requested;
  return signerLength === undefined ? -1 : signerLength - 1;
}

type SignIntermediateFields = FieldData<typeof SIGN_INTERMEDIATE_FIELDS>;

/**
 * Returns the subject and SANs of the new intermediate: the CSR's with
 * use_csr_values, else the request's.
 * @throws CofferError (400) naming the first invalid field.
 */
function intermediateNames(fields: SignIntermediateFields, csr: ParsedCsr): { subject: SubjectSpec | x509.Name; altNames: AltNames } {
  if (fields.get('use_csr_values')) return { subject: csr.request.subjectName, altNames: csr.altNames };

  const commonName = fields.get('common_name').trim();
  if (commonName === '') throw missingField('common_name', "give the intermediate's common name, or set use_csr_values to take the CSR's subject");
  const altNames = {
    ...splitNames(commonName, fields.get('alt_names'), fields.get('exclude_cn_from_sans')),
    ipAddresses: parseIpSans('ip_sans', fields.get('ip_sans')),
    uris: parseUriSans('uri_sans', fields.get('uri_sans')),
  };
  const subject = {
    commonName,
    serialNumber: fields.get('serial_number'),
    ...cleanAttributes({
      ou: fields.get('ou'),
      organization: fields.get('organization'),
      country: fields.get('country'),
      locality: fields.get('locality'),
      province: fields.get('province'),
      street_address: fields.get('street_address'),
      postal_code: fields.get('postal_code'),
    }),
  };
  return { subject, altNames };
}

/** Builds the response to root/sign-intermediate: the certificate, this CA and its chain. */
function signedResponse(signer: Signer, certificate: x509.X509Certificate, format: string): Record<string, unknown> {
  const pem = encodeCertificate(certificate, 'pem');
  return {
    certificate: format === 'pem_bundle' ? `${pem}\n${chainPem(signer.bundle)}` : encodeCertificate(certificate, format),
    issuing_ca: encodeStoredPem(signer.bundle.certificate, format),
    ca_chain: [signer.bundle.certificate, ...signer.bundle.ca_chain].map((item) => encodeStoredPem(item, format)),
    serial_number: formatSerial(certificate.serialNumber),
    expiration: unixSeconds(certificate.notAfter),
  };
}

export function pathSignIntermediate(context: PkiContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'root/sign-intermediate',
    fields: SIGN_INTERMEDIATE_FIELDS,
    operations: {
      update: async (request, fields) => {
        const csr = await parseCsr(fields.get('csr'));
        const { subject, altNames } = intermediateNames(fields, csr);
        const maxPathLength = fields.get('max_path_length');
        if (maxPathLength < -1) throw invalidField('max_path_length', `${maxPathLength} is below -1: use -1 for no limit, or 0 and up`);
        const signatureBits = checkSignatureBits(fields.get('signature_bits'));
        const requestedNotAfter = parseNotAfter(fields.get('not_after'), fields.get('ttl'));
        const signer = await requireSigner(request.storage);
        const pathLength = intermediatePathLength(signer, maxPathLength);

        const now = context.clock.now();
        const { notAfter, warnings } = certificateNotAfter({
          requested: fields.get('ttl'),
          requestedNotAfter,
          roleTtl: 0,
          roleMaxTtl: 0,
          system: context.system,
          now,
          caNotAfter: signer.certificate.notAfter,
        });
        const certificate = await buildCertificate(
          {
            subject,
            altNames,
            notBefore: new Date(now.getTime() - fields.get('not_before_duration') * 1000),
            notAfter,
            isCa: true,
            maxPathLength: pathLength,
            keyUsage: CA_KEY_USAGE,
            extKeyUsage: [],
            basicConstraintsForNonCa: false,
            permittedDnsDomains: fields.get('permitted_dns_domains').filter((domain) => domain !== ''),
            urls: await readUrls(request.storage),
            publicKey: csr.publicKey,
          },
          { ...signingKeyOf(signer), signatureBits, usePss: fields.get('use_pss') },
          generateSerialHex(),
        );
        await storeCertificate(request.storage, formatSerial(certificate.serialNumber), encodeCertificate(certificate, 'pem'));
        context.logger.info({ mount: request.mountPoint, serial_number: formatSerial(certificate.serialNumber) }, 'signed an intermediate CA');

        const data = signedResponse(signer, certificate, fields.get('format'));
        return warnings.length > 0 ? { data, warnings } : { data };
      },
    },
    helpSynopsis: 'Sign the CSR of an intermediate CA.',
    helpDescription: `
Signs a CA certificate for the CSR's key. The subject comes from common_name
and the subject fields, or from the CSR with use_csr_values. The path length
defaults to one less than this CA's own; a CA with path length 0 cannot sign
intermediates. The certificate cannot outlive this CA.`,
  });
}
