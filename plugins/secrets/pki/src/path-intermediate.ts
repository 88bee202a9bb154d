/**
 * `intermediate/generate/:type` and `intermediate/set-signed`: make this
 * mount an intermediate CA. The first makes a key and a CSR; the second
 * takes the certificate another CA signed for that CSR.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { badRequest, definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { checkGenerateType, FORMAT_FIELD, KEY_FIELDS, parseKeyRequest } from './ca-request.js';
import type { PkiContext } from './context.js';
import { invalidField, missingField } from './errors.js';
import {
  encodePrivateKey,
  generateKey,
  importPublicKey,
  importSigningKey,
  loadPrivateKey,
  samePublicKey,
  signingAlgorithm,
  storedKeyPem,
} from './keys.js';
import { certificateAsPem, installCa } from './path-root.js';
import { formatSerial } from './serial.js';
import { PENDING_KEY, readJson, writeJson, type PendingKey } from './store.js';
import {
  cleanAttributes,
  generalNames,
  NAME_FIELDS,
  parseIpSans,
  parseUriSans,
  splitNames,
  SUBJECT_ATTRIBUTE_FIELDS,
  subjectName,
} from './subject.js';
import { libraryKey, parsePemBlocks, toPem, x509 } from './x509.js';

const GENERATE_FIELDS = {
  type: { type: 'string', description: 'internal keeps the private key in the engine; exported also returns it, once.' },
  ...NAME_FIELDS,
  ...SUBJECT_ATTRIBUTE_FIELDS,
  ...KEY_FIELDS,
  format: FORMAT_FIELD,
  add_basic_constraints: { type: 'bool', description: 'Ask for a basic constraints extension with CA true in the CSR.' },
} as const;

export function pathGenerateIntermediate(context: PkiContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'intermediate/generate/(?<type>\\w+)',
    fields: GENERATE_FIELDS,
    operations: {
      update: async (request, fields) => {
        const type = checkGenerateType(fields.get('type'));
        const commonName = fields.get('common_name').trim();
        if (commonName === '') throw missingField('common_name', 'an intermediate CSR needs a common name');
        const key = parseKeyRequest(fields);
        const names = {
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

        const privateKey = await generateKey(key.spec);
        const algorithm = signingAlgorithm(key.spec, key.signatureBits, key.usePss);
        const extensions: x509.Extension[] = [];
        if (fields.get('add_basic_constraints')) extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
        const sans = generalNames(names);
        if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
        const csr = await x509.Pkcs10CertificateRequestGenerator.create({
          name: subjectName(subject),
          keys: { privateKey: libraryKey(await importSigningKey(privateKey, algorithm)), publicKey: libraryKey(await importPublicKey(privateKey, algorithm)) },
          signingAlgorithm: algorithm,
          extensions,
        });

        await context.locks.run('ca', () => writeJson(request.storage, PENDING_KEY, { private_key: storedKeyPem(privateKey) } satisfies PendingKey));
        const format = fields.get('format');
        const data: Record<string, unknown> = {
          csr: format === 'der' ? Buffer.from(csr.rawData).toString('base64') : toPem('CERTIFICATE REQUEST', csr.rawData),
        };
        if (type === 'exported') {
          data.private_key = encodePrivateKey(privateKey, key.privateKeyFormat, format);
          data.private_key_type = privateKey.asymmetricKeyType;
        }
        return { data };
      },
    },
    helpSynopsis: 'Generate a key and a CSR for an intermediate CA.',
    helpDescription: `
Generates a key and returns a CSR for it, to be signed by another CA (for
example with root/sign-intermediate on another mount). The key waits in the
engine until intermediate/set-signed receives the certificate; a later CSR
replaces it. The mount's current CA, if any, keeps issuing until then.`,
  });
}

export function pathSetSigned(context: PkiContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'intermediate/set-signed',
    fields: {
      certificate: {
        type: 'string',
        required: true,
        description: 'PEM certificate signed for the pending CSR, optionally followed by the certificates of its issuers.',
      },
    },
    operations: {
      update: async (request, fields) => {
        const certificates = parsePemBlocks(fields.get('certificate')).filter((block) => block.label === 'CERTIFICATE');
        if (certificates.length === 0) throw invalidField('certificate', 'no PEM block "CERTIFICATE" found');
        const parsed = certificates.map((block, index) => parseCertificateBlock(block.der, index));
        const [leaf, ...chain] = parsed;
        checkCaCertificate('certificate', leaf);

        await context.locks.run('ca', async () => {
          const pending = await readJson<PendingKey>(request.storage, PENDING_KEY);
          if (pending === null) throw badRequest('no pending intermediate key: generate a CSR with intermediate/generate first');
          const key = loadPrivateKey(pending.private_key);
          if (!samePublicKey(key, certificatePublicKey(leaf))) {
            throw invalidField('certificate', 'the public key of the certificate does not match the pending intermediate key');
          }
          await installCa(context, request, { certificate: certificateAsPem(leaf), private_key: pending.private_key, ca_chain: chain.map(certificateAsPem) });
        });
        context.logger.info({ mount: request.mountPoint, serial_number: formatSerial(leaf.serialNumber) }, 'set the signed intermediate CA');
        return null;
      },
    },
    helpSynopsis: 'Set the certificate signed for the pending intermediate CSR.',
    helpDescription: `
Makes the certificate, together with the key made by intermediate/generate,
the mount's CA. Certificates after the first are kept as its chain and
returned in ca_chain. The certificate must be a CA certificate for that key.`,
  });
}

/**
 * Parses one DER certificate of a PEM text.
 * @throws CofferError (400) naming the certificate field and the block's position.
 */
export function parseCertificateBlock(der: Buffer, index: number, field = 'certificate'): x509.X509Certificate {
  try {
    return new x509.X509Certificate(der);
  } catch {
    throw invalidField(field, `certificate ${index + 1} of the PEM text cannot be parsed`);
  }
}

/**
 * Checks that a certificate may act as a CA: basic constraints with CA true
 * and, when it has a key usage extension, certificate and CRL signing in it.
 * RFC 5280 (4.2.1.3) requires keyCertSign in a CA key that signs
 * certificates and cRLSign in a CA key that signs CRLs. Verifiers such as openssl
 * reject a chain through a CA without the first, and fail every CRL check
 * against a CRL signed without the second. The engine signs both with its CA.
 * @throws CofferError (400) with Vault's text for the basic constraints.
 */
export function checkCaCertificate(field: string, certificate: x509.X509Certificate): void {
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  if (constraints === null || !constraints.ca) {
    throw invalidField(field, 'the given certificate is not marked for CA use and cannot be used with this backend');
  }
  const usage = certificate.getExtension(x509.KeyUsagesExtension);
  if (usage !== null && (usage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw invalidField(field, 'the given CA certificate has a key usage extension without certificate signing (keyCertSign), so certificates it signs would not verify');
  }
  if (usage !== null && (usage.usages & x509.KeyUsageFlags.cRLSign) === 0) {
    throw invalidField(field, 'the given CA certificate has a key usage extension without CRL signing (cRLSign), so the CRLs it signs would not verify');
  }
}

/** Returns a certificate's public key as a Node key object. */
export function certificatePublicKey(certificate: x509.X509Certificate): KeyObject {
  return createPublicKey({ key: Buffer.from(certificate.publicKey.rawData), format: 'der', type: 'spki' });
}
