/**
 * `config/ca`: import a CA certificate and its private key as one PEM
 * bundle, optionally followed by the certificates of its issuers.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { KeyObject } from 'node:crypto';
import type { PkiContext } from './context.js';
import { invalidField } from './errors.js';
import { checkRequestKey, loadPrivateKey, samePublicKey, storedKeyPem } from './keys.js';
import { certificatePublicKey, checkCaCertificate, parseCertificateBlock } from './path-intermediate.js';
import { certificateAsPem, installCa } from './path-root.js';
import { formatSerial } from './serial.js';
import { parsePemBlocks, toPem } from './x509.js';

const KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'];

/**
 * Loads the one private key of a bundle.
 * @throws CofferError (400) naming pem_bundle when there is none, more than one, it is
 *   encrypted, or it does not parse.
 */
function bundleKey(blocks: { label: string; der: Buffer }[]): KeyObject {
  const keys = blocks.filter((block) => KEY_LABELS.includes(block.label));
  if (keys.length === 0 && blocks.some((block) => block.label === 'ENCRYPTED PRIVATE KEY')) {
    throw invalidField('pem_bundle', 'the private key is encrypted: decrypt it first, for example with openssl pkey, and give it unencrypted');
  }
  if (keys.length === 0) throw invalidField('pem_bundle', 'the bundle has no private key: config/ca needs the CA certificate and its private key');
  if (keys.length > 1) throw invalidField('pem_bundle', `the bundle has ${keys.length} private keys: give exactly one, the CA's`);
  let key: KeyObject;
  try {
    key = loadPrivateKey(toPem(keys[0].label, keys[0].der));
  } catch {
    throw invalidField('pem_bundle', 'the private key cannot be parsed');
  }
  checkRequestKey('pem_bundle', key);
  return key;
}

export function pathConfigCa(context: PkiContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config/ca',
    fields: {
      pem_bundle: { type: 'string', required: true, description: 'PEM text with the CA certificate, its private key, and optionally its issuers\' certificates.' },
    },
    operations: {
      update: async (request, fields) => {
        const blocks = parsePemBlocks(fields.get('pem_bundle'));
        const key = bundleKey(blocks);
        const certificates = blocks.filter((block) => block.label === 'CERTIFICATE').map((block, index) => parseCertificateBlock(block.der, index, 'pem_bundle'));
        const ca = certificates.find((certificate) => samePublicKey(key, certificatePublicKey(certificate)));
        if (ca === undefined) throw invalidField('pem_bundle', 'no certificate in the bundle matches the private key');
        checkCaCertificate('pem_bundle', ca);
        const chain = certificates.filter((certificate) => certificate !== ca);

        await context.locks.run('ca', () =>
          installCa(context, request, { certificate: certificateAsPem(ca), private_key: storedKeyPem(key), ca_chain: chain.map(certificateAsPem) }),
        );
        context.logger.info({ mount: request.mountPoint, serial_number: formatSerial(ca.serialNumber) }, 'imported a CA');
        return null;
      },
    },
    helpSynopsis: 'Import a CA certificate and key.',
    helpDescription: `
Sets the mount's CA from a PEM bundle with exactly one private key, the CA
certificate for that key, and optionally the certificates of its issuers,
which become the chain. A CA already on the mount is replaced; certificates
it issued stay stored.`,
  });
}
