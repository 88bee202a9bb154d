/**
 * The fields shared by root generation, intermediate CSR generation and
 * root/sign-intermediate, and their checks.
 */
import type { FieldData } from '@coffer/sdk';
import { invalidField, missingField } from './errors.js';
import { parseNotAfter } from './ttl.js';
import { checkKeySpec, type KeySpec } from './keys.js';
import {
  cleanAttributes,
  NAME_FIELDS,
  parseIpSans,
  parseUriSans,
  splitNames,
  SUBJECT_ATTRIBUTE_FIELDS,
  type AltNames,
  type SubjectSpec,
} from './subject.js';

/** Output encodings of certificates, Vault's `format`. */
export const FORMATS = ['pem', 'der', 'pem_bundle'] as const;

/** Vault's default backdating of notBefore, 30 seconds, against clock skew. */
export const DEFAULT_NOT_BEFORE_SECONDS = 30;

export const FORMAT_FIELD = {
  type: 'string',
  default: 'pem',
  allowedValues: FORMATS,
  description: 'Encoding of the returned certificates: pem, der (base64 DER) or pem_bundle (key and certificate in one PEM text).',
} as const;

export const PRIVATE_KEY_FORMAT_FIELD = {
  type: 'string',
  default: 'der',
  allowedValues: ['', 'der', 'pkcs8'],
  description: 'Encoding of a returned private key: der (PKCS #1 for RSA, SEC 1 for EC) or pkcs8. format decides PEM or base64 DER.',
} as const;

export const TTL_FIELD = {
  type: 'duration',
  description: 'Requested validity, such as "8760h". Defaults to the role\'s ttl, else the mount\'s default lease TTL; capped by the maximum.',
} as const;

export const NOT_AFTER_FIELD = {
  type: 'string',
  description: 'Explicit expiry as a UTC time such as 2030-01-02T03:04:05Z, in place of ttl; capped by the maximum TTL.',
} as const;

export const NOT_BEFORE_FIELD = {
  type: 'duration',
  default: DEFAULT_NOT_BEFORE_SECONDS,
  description: 'How far before now notBefore is set, against clock skew between servers and clients.',
} as const;

/** Fields that describe a CA's subject, validity and path length. */
export const CA_FIELDS = {
  ...NAME_FIELDS,
  ...SUBJECT_ATTRIBUTE_FIELDS,
  ttl: TTL_FIELD,
  not_after: NOT_AFTER_FIELD,
  format: FORMAT_FIELD,
  max_path_length: { type: 'int', default: -1, description: 'Path length constraint of the CA certificate; -1 (the default) for none.' },
  permitted_dns_domains: { type: 'comma_string_slice', description: 'DNS domains the CA may issue for, written as a name constraints extension.' },
  not_before_duration: NOT_BEFORE_FIELD,
} as const;

/** Fields of requests that generate a CA key. */
export const KEY_FIELDS = {
  key_type: { type: 'string', default: 'rsa', description: 'Type of the generated key: rsa, ec or ed25519.' },
  key_bits: { type: 'int', default: 0, description: 'Size of the generated key: 2048 (the rsa default), 3072, 4096 or 8192 for rsa; 256 (the ec default), 384 or 521 for ec.' },
  private_key_format: PRIVATE_KEY_FORMAT_FIELD,
  signature_bits: { type: 'int', default: 0, description: 'Hash size of RSA signatures: 256 (the default), 384 or 512. EC keys use their curve\'s hash.' },
  use_pss: { type: 'bool', description: 'Sign with RSA-PSS in place of PKCS #1 v1.5; ignored for ec and ed25519 keys.' },
} as const;

/** A checked CA request. */
export interface CaRequest {
  subject: SubjectSpec;
  altNames: AltNames;
  ttl: number;
  notAfter?: Date;
  maxPathLength: number;
  permittedDnsDomains: string[];
  notBeforeSeconds: number;
  format: string;
}

/**
 * Checks the CA fields of a request.
 * @throws CofferError (400) naming the first invalid field.
 */
export function parseCaRequest(fields: FieldData<typeof CA_FIELDS>): CaRequest {
  const commonName = fields.get('common_name').trim();
  if (commonName === '') throw missingField('common_name', 'a CA certificate needs a common name');
  const maxPathLength = fields.get('max_path_length');
  if (maxPathLength < -1) throw invalidField('max_path_length', `${maxPathLength} is below -1: use -1 for no limit, or 0 and up`);

  const names = splitNames(commonName, fields.get('alt_names'), fields.get('exclude_cn_from_sans'));
  return {
    subject: {
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
    },
    altNames: { ...names, ipAddresses: parseIpSans('ip_sans', fields.get('ip_sans')), uris: parseUriSans('uri_sans', fields.get('uri_sans')) },
    ttl: fields.get('ttl'),
    notAfter: parseNotAfter(fields.get('not_after'), fields.get('ttl')),
    maxPathLength,
    permittedDnsDomains: fields.get('permitted_dns_domains').filter((domain) => domain !== ''),
    notBeforeSeconds: fields.get('not_before_duration'),
    format: fields.get('format'),
  };
}

/**
 * Checks the key fields of a request.
 * @throws CofferError (400) naming the invalid field.
 */
export function parseKeyRequest(fields: FieldData<typeof KEY_FIELDS>): { spec: KeySpec; signatureBits: number; usePss: boolean; privateKeyFormat: string } {
  const spec = checkKeySpec(fields.get('key_type'), fields.get('key_bits'));
  const signatureBits = checkSignatureBits(fields.get('signature_bits'));
  return { spec, signatureBits, usePss: fields.get('use_pss'), privateKeyFormat: fields.get('private_key_format') };
}

/**
 * Checks `signature_bits`: 0 (automatic), 256, 384 or 512.
 * @throws CofferError (400) for any other value.
 */
export function checkSignatureBits(bits: number): number {
  if (![0, 256, 384, 512].includes(bits)) throw invalidField('signature_bits', `unsupported hash size ${bits}: use 256, 384 or 512`);
  return bits;
}

/**
 * Checks the type segment of root/generate and intermediate/generate.
 * @throws CofferError (400) for anything but internal and exported.
 */
export function checkGenerateType(type: string): 'internal' | 'exported' {
  if (type === 'internal' || type === 'exported') return type;
  throw invalidField('type', `unsupported type "${type}": use internal or exported; existing keys and managed keys are not supported`);
}
