/**
 * The engine's storage layout, relative to the mount's storage view, with
 * Vault's key names:
 *
 *   config/root    the root credentials, region and endpoints (RootConfig as JSON)
 *   config/lease   the lease TTL and max TTL of IAM user credentials (LeaseConfig as JSON)
 *   role/<name>    a role (Role as JSON)
 *   wal/<id>       write-ahead log records of IAM users being created
 *
 * Everything passes through the server's barrier, which encrypts it.
 */
import type { Storage } from '@coffer/sdk';

export const ROOT_KEY = 'config/root';
export const LEASE_KEY = 'config/lease';
export const ROLE_PREFIX = 'role/';

/** The credentials and endpoints the engine calls IAM and STS with, from `config/root`. */
export interface RootConfig {
  /** Empty takes the AWS SDK's default credential chain (environment, shared files, instance role). */
  accessKey: string;
  /** Never returned by any path, and never logged. */
  secretKey: string;
  /** Empty takes AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1. */
  region: string;
  iamEndpoint: string;
  stsEndpoint: string;
  /** Retries after the first attempt; -1 takes the AWS SDK's default. */
  maxRetries: number;
  /** Empty takes Vault's default templates for IAM and STS names. */
  usernameTemplate: string;
}

/** Lease settings of IAM user credentials, in seconds; 0 takes the mount's value. */
export interface LeaseConfig {
  lease: number;
  leaseMax: number;
}

export const CREDENTIAL_TYPES = ['iam_user', 'assumed_role', 'federation_token'] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

/** A role: what each credential issued for it may do in AWS. */
export interface Role {
  credentialType: CredentialType;
  roleArns: string[];
  policyArns: string[];
  /** Compact JSON, or empty for none. */
  policyDocument: string;
  iamGroups: string[];
  iamTags: Record<string, string>;
  /** Seconds; 0 takes 3600. */
  defaultStsTtl: number;
  /** Seconds; 0 takes the mount's max lease TTL. */
  maxStsTtl: number;
  userPath: string;
  permissionsBoundaryArn: string;
  externalId: string;
  sessionTags: Record<string, string>;
}

async function readJson<T>(storage: Storage, key: string): Promise<T | null> {
  const entry = await storage.get(key);
  return entry === null ? null : (JSON.parse(entry.value.toString('utf8')) as T);
}

async function writeJson(storage: Storage, key: string, value: unknown): Promise<void> {
  await storage.put({ key, value: Buffer.from(JSON.stringify(value)) });
}

export const readRoot = (storage: Storage) => readJson<RootConfig>(storage, ROOT_KEY);
export const writeRoot = (storage: Storage, config: RootConfig) => writeJson(storage, ROOT_KEY, config);
export const readLease = (storage: Storage) => readJson<LeaseConfig>(storage, LEASE_KEY);
export const writeLease = (storage: Storage, lease: LeaseConfig) => writeJson(storage, LEASE_KEY, lease);
export const readRole = (storage: Storage, name: string) => readJson<Role>(storage, ROLE_PREFIX + name);
export const writeRole = (storage: Storage, name: string, role: Role) => writeJson(storage, ROLE_PREFIX + name, role);
