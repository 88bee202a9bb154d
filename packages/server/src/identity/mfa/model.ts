/**
 * Login MFA records as stored, and their storage keys. Everything lives
 * under `sys/identity/mfa/`, behind the barrier like the rest of identity.
 */
import type { TotpAlgorithm } from './totp.js';

/** A TOTP MFA method: the settings every entity's key for it is made with. */
export interface TotpMethod {
  id: string;
  /** The optional `method_name`; unique among methods when set. */
  name: string;
  issuer: string;
  /** Seconds per time step. */
  period: number;
  /** Key length in bytes. */
  keySize: number;
  /** Width of the QR code in pixels; 0 returns no QR code. */
  qrSize: number;
  algorithm: TotpAlgorithm;
  digits: number;
  skew: number;
  /** Validation attempts allowed within `period` seconds of the first; a right code clears the count. */
  maxValidationAttempts: number;
}

/** A login enforcement: which logins need which MFA methods. */
export interface LoginEnforcement {
  name: string;
  id: string;
  /** Any one of these methods satisfies the enforcement. */
  methodIds: string[];
  authMethodAccessors: string[];
  authMethodTypes: string[];
  identityGroupIds: string[];
  identityEntityIds: string[];
}

/** An entity's key for one TOTP method. */
export interface TotpSecret {
  /** Base32, unpadded. */
  key: string;
}

export const METHOD_PREFIX = 'sys/identity/mfa/method/';
export const ENFORCEMENT_PREFIX = 'sys/identity/mfa/login-enforcement/';
export const SECRET_PREFIX = 'sys/identity/mfa/secret/';

export function methodKey(id: string): string {
  return METHOD_PREFIX + id;
}

export function enforcementKey(name: string): string {
  return ENFORCEMENT_PREFIX + name;
}

/** Keys are grouped by method, so deleting a method deletes its secrets with one tree walk. */
export function secretKey(methodId: string, entityId: string): string {
  return `${SECRET_PREFIX}${methodId}/${entityId}`;
}

/** Returns the method as Vault's API shows it. */
export function describeMethod(method: TotpMethod): Record<string, unknown> {
  return {
    id: method.id,
    name: method.name,
    type: 'totp',
    mount_accessor: '',
    namespace_id: 'root',
    namespace_path: '',
    issuer: method.issuer,
    period: method.period,
    key_size: method.keySize,
    qr_size: method.qrSize,
    algorithm: method.algorithm,
    digits: method.digits,
    skew: method.skew,
    max_validation_attempts: method.maxValidationAttempts,
  };
}

/** Returns the enforcement as Vault's API shows it. */
export function describeEnforcement(enforcement: LoginEnforcement): Record<string, unknown> {
  return {
    name: enforcement.name,
    id: enforcement.id,
    namespace_id: 'root',
    mfa_method_ids: enforcement.methodIds,
    auth_method_accessors: enforcement.authMethodAccessors,
    auth_method_types: enforcement.authMethodTypes,
    identity_group_ids: enforcement.identityGroupIds,
    identity_entity_ids: enforcement.identityEntityIds,
  };
}
