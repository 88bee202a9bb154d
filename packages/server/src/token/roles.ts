/**
 * Token roles: named sets of rules for tokens created at
 * `auth/token/create/<role>`, stored at `sys/token/roles/<name>`.
 */
import { badRequest, type Storage } from '@coffer/sdk';

const ROLE_PREFIX = 'sys/token/roles/';

export interface TokenRole {
  name: string;
  allowedPolicies: string[];
  disallowedPolicies: string[];
  allowedPoliciesGlob: string[];
  disallowedPoliciesGlob: string[];
  allowedEntityAliases: string[];
  orphan: boolean;
  renewable: boolean;
  pathSuffix: string;
  tokenBoundCidrs: string[];
  tokenExplicitMaxTtl: number;
  tokenNoDefaultPolicy: boolean;
  tokenNumUses: number;
  tokenPeriod: number;
  /** `service`, `batch`, `default-service` or `default-batch`. */
  tokenType: string;
}

export function describeRole(role: TokenRole): Record<string, unknown> {
  return {
    name: role.name,
    allowed_policies: role.allowedPolicies,
    disallowed_policies: role.disallowedPolicies,
    allowed_policies_glob: role.allowedPoliciesGlob,
    disallowed_policies_glob: role.disallowedPoliciesGlob,
    allowed_entity_aliases: role.allowedEntityAliases,
    orphan: role.orphan,
    renewable: role.renewable,
    path_suffix: role.pathSuffix,
    token_bound_cidrs: role.tokenBoundCidrs,
    token_explicit_max_ttl: role.tokenExplicitMaxTtl,
    explicit_max_ttl: role.tokenExplicitMaxTtl,
    token_no_default_policy: role.tokenNoDefaultPolicy,
    token_num_uses: role.tokenNumUses,
    token_period: role.tokenPeriod,
    period: role.tokenPeriod,
    token_type: role.tokenType,
  };
}

export class TokenRoles {
  constructor(private readonly storage: Storage) {}

  async get(name: string): Promise<TokenRole | null> {
    const stored = await this.storage.get(ROLE_PREFIX + name.toLowerCase());
    return stored === null ? null : (JSON.parse(stored.value.toString('utf8')) as TokenRole);
  }

  async put(role: TokenRole): Promise<void> {
    await this.storage.put({ key: ROLE_PREFIX + role.name, value: Buffer.from(JSON.stringify(role)) });
  }

  async delete(name: string): Promise<void> {
    await this.storage.delete(ROLE_PREFIX + name.toLowerCase());
  }

  async list(): Promise<string[]> {
    return this.storage.list(ROLE_PREFIX);
  }
}

/** Checks a role's path suffix: letters, digits, `-`, `_`, `.` and inner `/`. */
export function validatePathSuffix(suffix: string): void {
  if (suffix !== '' && !/^[\w.-]+(?:\/[\w.-]+)*$/.test(suffix)) {
    throw badRequest(`invalid "path_suffix" "${suffix}": use letters, digits, "-", "_", "." and "/" between segments`);
  }
}

