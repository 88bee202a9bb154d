/**
 * Certificate signing requests (PKCS #10): parsing, signature check, and
 * the subject, names and key they carry.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { badRequest } from '@coffer/sdk';
import { invalidField } from './errors.js';
import { checkRequestKey, describeKey } from './keys.js';
import type { Role } from './roles.js';
import { splitOtherNames } from './other-sans.js';
import { UID_OID, type AltNames } from './subject.js';
import { parsePemBlocks, x509 } from './x509.js';

/** Smallest RSA modulus, in bits, that a CSR may carry. */
const MIN_RSA_BITS = 2048;

/** A parsed CSR whose signature checked out. */
export interface ParsedCsr {
  request: x509.Pkcs10CertificateRequest;
  commonName: string;
  /** Names from the CSR's subject alternative name extension, otherNames included. */
  altNames: AltNames;
  /** The subject's serialNumber attribute; empty when it has none. */
  serialNumber: string;
  /** The subject's UID attributes. */
  userIds: string[];
  publicKey: KeyObject;
}

/**
 * Parses a PEM CSR and checks its signature, so that a certificate is only
 * issued for a key the requester holds.
 * @throws CofferError (400) naming the csr field when it does not parse, its key
 *   is unsupported or an RSA key shorter than 2048 bits, or its signature is invalid.
 */
export async function parseCsr(pem: string): Promise<ParsedCsr> {
  const block = parsePemBlocks(pem).find((candidate) => candidate.label === 'CERTIFICATE REQUEST' || candidate.label === 'NEW CERTIFICATE REQUEST');
  if (block === undefined) throw invalidField('csr', 'no PEM block "CERTIFICATE REQUEST" found');
  let request: x509.Pkcs10CertificateRequest;
  let publicKey: KeyObject;
  try {
    request = new x509.Pkcs10CertificateRequest(block.der);
    publicKey = createPublicKey({ key: Buffer.from(request.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (err) {
    throw invalidField('csr', `certificate request could not be parsed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const spec = checkRequestKey('csr', publicKey);
  // Vault rejects short RSA keys on every signing path, whatever the role's key_type.
  if (spec.type === 'rsa' && spec.bits < MIN_RSA_BITS) {
    throw invalidField('csr', `RSA keys < ${MIN_RSA_BITS} bits are unsafe and not supported, but the CSR's key has ${spec.bits} bits`);
  }
  let valid = false;
  try {
    valid = await request.verify();
  } catch {
    valid = false;
  }
  if (!valid) throw invalidField('csr', 'request signature invalid');

  const subject = request.subjectName;
  return {
    request,
    commonName: subject.getField('CN')[0] ?? '',
    altNames: csrAltNames(request),
    serialNumber: subject.getField('2.5.4.5')[0] ?? '',
    userIds: subject.getField(UID_OID),
    publicKey,
  };
}

/**
 * Returns the subject alternative names of a CSR, by kind. Names of other
 * kinds, such as directory names, are left out, as Go's x509 package leaves them.
 * @throws CofferError (400) for an otherName whose value is not a UTF8String.
 */
export function csrAltNames(request: x509.Pkcs10CertificateRequest): AltNames {
  const names: AltNames = { dnsNames: [], emailAddresses: [], ipAddresses: [], uris: [], otherNames: [] };
  let raw: x509.Extension | null;
  try {
    // @peculiar/x509 parses every extension of the request here, so a malformed one throws.
    raw = request.getExtension('2.5.29.17');
  } catch (err) {
    throw invalidField('csr', `extensions could not be parsed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (raw === null) return names;
  const { otherNames, rest } = splitOtherNames(Buffer.from(raw.value));
  names.otherNames = otherNames;
  let parsed: x509.JsonGeneralNames;
  try {
    parsed = new x509.GeneralNames(rest).toJSON();
  } catch (err) {
    throw invalidField('csr', `subject alternative names could not be parsed: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const name of parsed) {
    if (name.type === 'dns') names.dnsNames.push(name.value);
    else if (name.type === 'email') names.emailAddresses.push(name.value);
    else if (name.type === 'ip') names.ipAddresses.push(name.value);
    else if (name.type === 'url') names.uris.push(name.value);
  }
  return names;
}

/**
 * Checks the CSR's key against the role's key_type and minimum key_bits.
 * @throws CofferError (400) naming the mismatch.
 */
export function checkCsrKey(role: Role, publicKey: KeyObject): void {
  if (role.key_type === 'any') return;
  const spec = describeKey(publicKey);
  if (spec.type !== role.key_type) throw badRequest(`role requires keys of type ${role.key_type}, but the CSR has a key of type ${spec.type}`);
  if (spec.bits < role.key_bits) {
    throw badRequest(`role requires ${role.key_type} keys of at least ${role.key_bits} bits, but the CSR's key has ${spec.bits}`);
  }
}
