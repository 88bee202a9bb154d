/**
 * CA roles: the stored record under `roles/<name>`, its checks and its
 * read form. Only roles of key_type "ca" exist, because the engine signs
 * certificates and has neither the OTP nor the dynamic key mode.
 */
import type { Storage } from '@coffer/sdk';
import { invalidField } from './errors.js';
import { RSA_SIGNATURE_ALGORITHMS } from './private-keys.js';

export const ROLE_PREFIX = 'roles/';

/** Values of algorithm_signer: `default` picks rsa-sha2-256 for an RSA CA and the only algorithm of other key types. */
export const ALGORITHM_SIGNERS = ['default', ...RSA_SIGNATURE_ALGORITHMS] as const;
export type AlgorithmSigner = (typeof ALGORITHM_SIGNERS)[number];

/** Names allowed_user_key_lengths accepts: short names and OpenSSH key type names, as in Vault. */
export const KEY_LENGTH_NAMES = [
  'rsa',
  'ssh-rsa',
  'dsa',
  'ssh-dss',
  'ec',
  'ecdsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ed25519',
  'ssh-ed25519',
];

/** A CA role as stored. Durations are in seconds. */
export interface Role {
  key_type: 'ca';
  allow_user_certificates: boolean;
  allow_host_certificates: boolean;
  allowed_users: string;
  default_user: string;
  allowed_domains: string;
  allow_subdomains: boolean;
  allow_bare_domains: boolean;
  allow_empty_principals: boolean;
  allowed_critical_options: string;
  allowed_extensions: string;
  default_critical_options: Record<string, string>;
  default_extensions: Record<string, string>;
  ttl: number;
  max_ttl: number;
  not_before_duration: number;
  algorithm_signer: AlgorithmSigner;
  key_id_format: string;
  allow_user_key_ids: boolean;
  /** Allowed key sizes in bits per key type name; an empty map allows every key. */
  allowed_user_key_lengths: Record<string, number[]>;
  /** Whether identity templates in allowed_users are rendered for each caller. */
  allowed_users_template: boolean;
  /** Whether an identity template in default_user is rendered for each caller. */
  default_user_template: boolean;
  /** Whether identity templates in allowed_domains are rendered for each caller. */
  allowed_domains_template: boolean;
  /** Whether identity templates in the values of default_extensions are rendered for each caller. */
  default_extensions_template: boolean;
}

/** The template switches of a role stored before they existed. */
const TEMPLATE_DEFAULTS = {
  allowed_users_template: false,
  default_user_template: false,
  allowed_domains_template: false,
  default_extensions_template: false,
};

/** Returns the stored role, or null. */
export async function readRole(storage: Storage, name: string): Promise<Role | null> {
  const entry = await storage.get(`${ROLE_PREFIX}${name}`);
  return entry === null ? null : { ...TEMPLATE_DEFAULTS, ...(JSON.parse(entry.value.toString('utf8')) as Partial<Role>) } as Role;
}

/** Stores a role, replacing any role of the same name. */
export async function writeRole(storage: Storage, name: string, role: Role): Promise<void> {
  await storage.put({ key: `${ROLE_PREFIX}${name}`, value: Buffer.from(JSON.stringify(role)) });
}

/** Returns the read form of a role: its stored fields and key_bits, which Vault reports for its OTP and dynamic key modes. */
export function describeRole(role: Role): Record<string, unknown> {
  return { ...role, key_bits: 0 };
}

/**
 * Checks that a map field holds only string values, as critical options
 * and extensions must.
 * @throws CofferError (400) naming the field and the key.
 */
export function stringMap(field: string, value: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw invalidField(field, `the value of "${name}" must be a string`);
    if (name === '') throw invalidField(field, 'names must not be empty');
    result[name] = item;
  }
  return result;
}

/**
 * Normalizes allowed_user_key_lengths: each value an integer, a list of
 * integers or a comma-separated string of integers, as Vault takes them.
 * @throws CofferError (400) naming the key type or the size that is wrong.
 */
export function keyLengths(value: Record<string, unknown>): Record<string, number[]> {
  const result: Record<string, number[]> = {};
  for (const [name, raw] of Object.entries(value)) {
    if (!KEY_LENGTH_NAMES.includes(name)) {
      throw invalidField('allowed_user_key_lengths', `unknown key type "${name}": use one of ${KEY_LENGTH_NAMES.join(', ')}`);
    }
    const items = typeof raw === 'string' ? raw.split(',').map((item) => item.trim()) : Array.isArray(raw) ? raw : [raw];
    result[name] = items.map((item) => {
      const size = typeof item === 'string' && /^\d+$/.test(item) ? Number(item) : item;
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw invalidField('allowed_user_key_lengths', `sizes of "${name}" must be non-negative integers, got ${JSON.stringify(item)}`);
      }
      return size;
    });
  }
  return result;
}

/** Splits a comma-separated list, trimming items and dropping empty ones and repeats. */
export function commaList(text: string): string[] {
  return [...new Set(text.split(',').map((item) => item.trim()).filter((item) => item !== ''))];
}
