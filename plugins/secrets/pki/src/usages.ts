/**
 * Key usage and extended key usage names as Vault's roles take them, and
 * their X.509 values.
 */
import { oidProblem } from './der.js';
import { invalidField } from './errors.js';

/** Key usage names (Go's `x509.KeyUsage` constants without the prefix) and their bits in @peculiar/x509's KeyUsageFlags. */
const KEY_USAGE_FLAGS: Readonly<Record<string, number>> = {
  digitalsignature: 1,
  contentcommitment: 2,
  keyencipherment: 4,
  dataencipherment: 8,
  keyagreement: 16,
  certsign: 32,
  crlsign: 64,
  encipheronly: 128,
  decipheronly: 256,
};

/** Extended key usage names (Go's `x509.ExtKeyUsage` constants without the prefix) and their OIDs. */
const EXT_KEY_USAGE_OIDS: Readonly<Record<string, string>> = {
  any: '2.5.29.37.0',
  serverauth: '1.3.6.1.5.5.7.3.1',
  clientauth: '1.3.6.1.5.5.7.3.2',
  codesigning: '1.3.6.1.5.5.7.3.3',
  emailprotection: '1.3.6.1.5.5.7.3.4',
  ipsecendsystem: '1.3.6.1.5.5.7.3.5',
  ipsectunnel: '1.3.6.1.5.5.7.3.6',
  ipsecuser: '1.3.6.1.5.5.7.3.7',
  timestamping: '1.3.6.1.5.5.7.3.8',
  ocspsigning: '1.3.6.1.5.5.7.3.9',
  microsoftservergatedcrypto: '1.3.6.1.4.1.311.10.3.3',
  netscapeservergatedcrypto: '2.16.840.1.113730.4.1',
  microsoftcommercialcodesigning: '1.3.6.1.4.1.311.2.1.22',
  microsoftkernelcodesigning: '1.3.6.1.4.1.311.61.1.1',
};

/** Vault's default key usage of a role. */
export const DEFAULT_KEY_USAGE = ['DigitalSignature', 'KeyAgreement', 'KeyEncipherment'];


function usageKey(name: string, prefix: string): string {
  const lower = name.trim().toLowerCase();
  return lower.startsWith(prefix) ? lower.slice(prefix.length) : lower;
}

/**
 * Checks key usage names, case-insensitive and with or without the
 * `KeyUsage` prefix, as Vault reads them.
 * @throws CofferError (400) naming `field` and the first unknown name.
 */
export function checkKeyUsages(field: string, names: string[]): string[] {
  for (const name of names) {
    if (KEY_USAGE_FLAGS[usageKey(name, 'keyusage')] === undefined) {
      throw invalidField(field, `unknown key usage "${name}": use names such as DigitalSignature, KeyEncipherment, KeyAgreement, CertSign or CRLSign`);
    }
  }
  return names.filter((name) => name.trim() !== '');
}

/**
 * Checks extended key usage names, case-insensitive and with or without the
 * `ExtKeyUsage` prefix.
 * @throws CofferError (400) naming `field` and the first unknown name.
 */
export function checkExtKeyUsages(field: string, names: string[]): string[] {
  for (const name of names) {
    if (EXT_KEY_USAGE_OIDS[usageKey(name, 'extkeyusage')] === undefined) {
      throw invalidField(field, `unknown extended key usage "${name}": use names such as ServerAuth, ClientAuth, CodeSigning or EmailProtection`);
    }
  }
  return names.filter((name) => name.trim() !== '');
}

/**
 * Checks dotted OIDs.
 * @throws CofferError (400) naming `field` and the first malformed OID.
 */
export function checkOids(field: string, oids: string[]): string[] {
  for (const oid of oids) {
    const problem = oidProblem(oid);
    if (problem === 'syntax') throw invalidField(field, `"${oid}" is not a dotted object identifier such as 1.3.6.1.5.5.7.3.1`);
    if (problem === 'second arc') throw invalidField(field, `"${oid}" is not a valid object identifier: under arc 0 or 1 the second arc must be below 40`);
  }
  return oids;
}

/** Returns the KeyUsageFlags bits of checked key usage names. */
export function keyUsageFlags(names: string[]): number {
  return names.reduce((flags, name) => flags | (KEY_USAGE_FLAGS[usageKey(name, 'keyusage')] ?? 0), 0);
}

/** Returns the OIDs of checked extended key usage names, without duplicates. */
export function extKeyUsageOids(names: string[], extraOids: string[] = []): string[] {
  const oids = names.map((name) => EXT_KEY_USAGE_OIDS[usageKey(name, 'extkeyusage')]).filter((oid) => oid !== undefined);
  return [...new Set([...oids, ...extraOids])];
}

/** Returns the extended key usage OIDs a role's flags ask for. */
export function flagOids(flags: { server_flag: boolean; client_flag: boolean; code_signing_flag: boolean; email_protection_flag: boolean }): string[] {
  const oids: string[] = [];
  if (flags.server_flag) oids.push(EXT_KEY_USAGE_OIDS.serverauth);
  if (flags.client_flag) oids.push(EXT_KEY_USAGE_OIDS.clientauth);
  if (flags.code_signing_flag) oids.push(EXT_KEY_USAGE_OIDS.codesigning);
  if (flags.email_protection_flag) oids.push(EXT_KEY_USAGE_OIDS.emailprotection);
  return oids;
}
