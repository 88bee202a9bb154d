/**
 * The `seal "pkcs11"` stanza: Vault's setting names, each of which may also
 * come from a `VAULT_HSM_*` environment variable (`COFFER_HSM_*` first), so
 * the PIN need not be written in the config file.
 */
import pkcs11js from 'pkcs11js';

/** The settings the stanza accepts. */
export const PKCS11_SETTINGS = [
  'lib',
  'slot',
  'token_label',
  'pin',
  'key_label',
  'hmac_key_label',
  'mechanism',
  'hmac_mechanism',
  'generate_key',
  'rsa_oaep_hash',
] as const;

type SettingName = (typeof PKCS11_SETTINGS)[number];

/** PKCS#11 mechanism numbers this seal encrypts with: `CKM_AES_GCM` and `CKM_RSA_PKCS_OAEP`. */
export const CKM_AES_GCM = 0x1087;
export const CKM_RSA_PKCS_OAEP = 0x0009;
/** `CKM_SHA256_HMAC`, the only HMAC mechanism Vault's pkcs11 seal documents. */
export const CKM_SHA256_HMAC = 0x0251;

/** OAEP hash names mapped to the digest mechanism and the matching MGF1 function. */
const OAEP_HASHES: Record<string, { hashAlg: number; mgf: number }> = {
  sha1: { hashAlg: pkcs11js.CKM_SHA_1, mgf: pkcs11js.CKG_MGF1_SHA1 },
  sha224: { hashAlg: pkcs11js.CKM_SHA224, mgf: pkcs11js.CKG_MGF1_SHA224 },
  sha256: { hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256 },
  sha384: { hashAlg: pkcs11js.CKM_SHA384, mgf: pkcs11js.CKG_MGF1_SHA384 },
  sha512: { hashAlg: pkcs11js.CKM_SHA512, mgf: pkcs11js.CKG_MGF1_SHA512 },
};

export interface Pkcs11Settings {
  /** Path of the PKCS#11 library, e.g. `/usr/lib/softhsm/libsofthsm2.so`. */
  lib: string;
  /** Slot ID; exactly one of `slot` and `tokenLabel` is set. */
  slot?: bigint;
  tokenLabel?: string;
  pin: string;
  keyLabel: string;
  /** Label of the HMAC key that authenticates each blob; no HMAC when unset. */
  hmacKeyLabel?: string;
  /** `CKM_AES_GCM` or `CKM_RSA_PKCS_OAEP`; unset means by the type of the key found, AES-GCM for a new key. */
  mechanism?: number;
  hmacMechanism: number;
  /** Generate missing keys inside the HSM, marked sensitive and not extractable. */
  generateKey: boolean;
  rsaOaepHash: string;
  oaep: { hashAlg: number; mgf: number };
}

/** Error for a bad stanza; the message names the setting and never contains the PIN. */
export class Pkcs11SettingsError extends Error {
  override name = 'Pkcs11SettingsError';
}

/** Returns a setting from the environment (`COFFER_HSM_*`, then `VAULT_HSM_*`) or the stanza. */
function lookup(name: SettingName, settings: Record<string, string>, env: Record<string, string | undefined>): string | undefined {
  const suffix = name.toUpperCase();
  const fromEnv = env[`COFFER_HSM_${suffix}`] ?? env[`VAULT_HSM_${suffix}`];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const value = settings[name];
  return value === undefined || value === '' ? undefined : value;
}

function required(name: SettingName, settings: Record<string, string>, env: Record<string, string | undefined>, hint: string): string {
  const value = lookup(name, settings, env);
  if (value === undefined) {
    throw new Pkcs11SettingsError(`seal "pkcs11": missing required setting "${name}": ${hint}, or set VAULT_HSM_${name.toUpperCase()}`);
  }
  return value;
}

/** Parses a decimal or `0x` hexadecimal number, as Vault reads `slot` and `mechanism`. */
function parseNumber(name: SettingName, text: string): bigint {
  const trimmed = text.trim();
  if (!/^(?:0[xX][0-9a-fA-F]+|\d+)$/.test(trimmed)) {
    throw new Pkcs11SettingsError(`seal "pkcs11": invalid "${name}" "${text}": use a decimal number or hexadecimal with a 0x prefix`);
  }
  return BigInt(trimmed);
}

/** Parses a boolean the way Go's strconv.ParseBool does, since Vault's settings are strings. */
function parseBool(name: SettingName, text: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return false;
  throw new Pkcs11SettingsError(`seal "pkcs11": invalid "${name}" "${text}": use true or false`);
}

/**
 * Checks the stanza's settings and returns them typed.
 * @throws Pkcs11SettingsError naming the setting and the fix.
 */
export function parsePkcs11Settings(settings: Record<string, string>, env: Record<string, string | undefined>): Pkcs11Settings {
  const lib = required('lib', settings, env, 'the path of the PKCS#11 library');
  const slotText = lookup('slot', settings, env);
  const tokenLabel = lookup('token_label', settings, env);
  if (slotText === undefined && tokenLabel === undefined) {
    throw new Pkcs11SettingsError('seal "pkcs11": missing "slot" or "token_label": set one to choose the HSM token');
  }
  if (slotText !== undefined && tokenLabel !== undefined) {
    throw new Pkcs11SettingsError('seal "pkcs11": "slot" and "token_label" are both set: keep only one');
  }

  const mechanismText = lookup('mechanism', settings, env);
  let mechanism: number | undefined;
  if (mechanismText !== undefined) {
    mechanism = Number(parseNumber('mechanism', mechanismText));
    if (mechanism !== CKM_AES_GCM && mechanism !== CKM_RSA_PKCS_OAEP) {
      throw new Pkcs11SettingsError(
        `seal "pkcs11": invalid "mechanism" "${mechanismText}": use 0x1087 (CKM_AES_GCM) or 0x0009 (CKM_RSA_PKCS_OAEP)`,
      );
    }
  }
  const hmacText = lookup('hmac_mechanism', settings, env);
  const hmacMechanism = hmacText === undefined ? CKM_SHA256_HMAC : Number(parseNumber('hmac_mechanism', hmacText));
  if (hmacMechanism !== CKM_SHA256_HMAC) {
    throw new Pkcs11SettingsError(`seal "pkcs11": invalid "hmac_mechanism" "${hmacText}": only 0x0251 (CKM_SHA256_HMAC) is supported`);
  }
  const rsaOaepHash = (lookup('rsa_oaep_hash', settings, env) ?? 'sha256').toLowerCase();
  const oaep = Object.hasOwn(OAEP_HASHES, rsaOaepHash) ? OAEP_HASHES[rsaOaepHash] : undefined;
  if (oaep === undefined) {
    throw new Pkcs11SettingsError(`seal "pkcs11": invalid "rsa_oaep_hash" "${rsaOaepHash}": use sha1, sha224, sha256, sha384 or sha512`);
  }

  const parsed: Pkcs11Settings = {
    lib,
    pin: required('pin', settings, env, 'the PIN of the HSM user'),
    keyLabel: required('key_label', settings, env, 'the label of the encryption key'),
    hmacMechanism,
    generateKey: parseBool('generate_key', lookup('generate_key', settings, env) ?? 'false'),
    rsaOaepHash,
    oaep,
  };
  if (slotText !== undefined) parsed.slot = parseNumber('slot', slotText);
  if (tokenLabel !== undefined) parsed.tokenLabel = tokenLabel;
  const hmacKeyLabel = lookup('hmac_key_label', settings, env);
  if (hmacKeyLabel !== undefined) parsed.hmacKeyLabel = hmacKeyLabel;
  if (mechanism !== undefined) parsed.mechanism = mechanism;
  return parsed;
}
