/**
 * The access control list of one token: its policies compiled into a rule
 * index, checked on every request.
 */
import { CAPABILITY_BITS, capabilityNames, DENY, OPERATION_CAPABILITY, SUDO, type AclOperation } from './capabilities.js';
import { checkParameters } from './parameters.js';
import type { Policy } from './parse.js';
import { RuleIndexBuilder, type MergedPermissions, type RuleIndex } from './rule-index.js';
import { renderPathTemplate, type EntityContext } from './templates.js';

export interface AclRequest {
  operation: AclOperation;
  /** The request path below `/v1/`; leading slashes are ignored. */
  path: string;
  data: Record<string, unknown>;
  /** Seconds, when the client asked for wrapping. */
  wrapTtl?: number;
}

export interface AclResult {
  allowed: boolean;
  /** The matched rule grants sudo (or the ACL is root). */
  sudo: boolean;
  /** The denial reason, for logs. It names a parameter at most, never a value or a token. */
  reason?: string;
}

/** The name of the built-in policy that allows everything. */
export const ROOT_POLICY_NAME = 'root';

/** Operations whose parameters the constraints apply to, as in Vault. */
const PARAMETER_OPERATIONS: ReadonlySet<AclOperation> = new Set(['read', 'create', 'update', 'patch']);

const ROOT_RESULT: AclResult = Object.freeze({ allowed: true, sudo: true });
const ALLOWED: AclResult = Object.freeze({ allowed: true, sudo: false });
const ALLOWED_WITH_SUDO: AclResult = Object.freeze({ allowed: true, sudo: true });
const NO_MATCH: AclResult = Object.freeze({ allowed: false, sudo: false, reason: 'no policy rule matches the path' });
const DENIED_BY_RULE: AclResult = Object.freeze({ allowed: false, sudo: false, reason: 'the matching rule denies the path' });

export class ACL {
  private constructor(
    readonly isRoot: boolean,
    private readonly rules: RuleIndex,
  ) {}

  /**
   * Compiles policies into an ACL. The `root` policy makes the ACL allow
   * everything. Templated paths are rendered with `entity`; a path that
   * cannot be rendered is left out, so it matches nothing.
   * NOTE: Vault refuses to build an ACL from `root` plus other policies;
   * here `root` wins.
   */
  static build(policies: readonly Policy[], entity?: EntityContext): ACL {
    const builder = new RuleIndexBuilder();
    let isRoot = false;
    for (const policy of policies) {
      if (policy.name === ROOT_POLICY_NAME) {
        isRoot = true;
        continue;
      }
      for (const rule of policy.paths) {
        let path = rule.path;
        if (rule.template !== undefined) {
          const rendered = renderPathTemplate(rule.template, entity);
          if (rendered === undefined) continue;
          path = rendered.startsWith('/') ? rendered.slice(1) : rendered;
        }
        builder.add(path, rule.permissions);
      }
    }
    return new ACL(isRoot, builder.compile());
  }

  /** Decides one request: capability, wrapping TTL bounds, then parameter constraints. */
  check(request: AclRequest): AclResult {
    if (this.isRoot) return ROOT_RESULT;

    const operation = request.operation;
    const permissions = this.rules.lookup(withoutLeadingSlashes(request.path), operation === 'list');
    if (permissions === undefined) return NO_MATCH;

    const bits = permissions.capabilities;
    if ((bits & DENY) !== 0) return DENIED_BY_RULE;
    const sudo = (bits & SUDO) !== 0;
    const needed = OPERATION_CAPABILITY[operation];
    if ((bits & CAPABILITY_BITS[needed]) === 0) {
      return { allowed: false, sudo, reason: `the matching rule does not grant the "${needed}" capability` };
    }

    const wrappingProblem = checkWrapping(permissions, request.wrapTtl);
    if (wrappingProblem !== undefined) return { allowed: false, sudo, reason: wrappingProblem };

    if (PARAMETER_OPERATIONS.has(operation)) {
      const parameterProblem = checkParameters(permissions, request.data);
      if (parameterProblem !== undefined) return { allowed: false, sudo, reason: parameterProblem };
    }
    return sudo ? ALLOWED_WITH_SUDO : ALLOWED;
  }

  /**
   * Returns the capabilities on `path` for sys/capabilities: `["root"]` for
   * root, `["deny"]` when no rule matches or the rule denies, else the sorted
   * capability names. The path is matched the way a LIST request is.
   */
  capabilities(path: string): string[] {
    if (this.isRoot) return ['root'];
    const permissions = this.rules.lookup(withoutLeadingSlashes(path), true);
    return capabilityNames(permissions?.capabilities ?? 0);
  }

  /**
   * Returns true when the rules grant a capability on `mountPath` or on some
   * path below it. Vault serves `sys/internal/ui/mounts/<path>` only to
   * tokens that can use the mount, whatever their rules on `sys/`.
   */
  hasAccessUnder(mountPath: string): boolean {
    return this.isRoot || this.rules.grantsUnder(withoutLeadingSlashes(mountPath));
  }
}

function withoutLeadingSlashes(path: string): string {
  let start = 0;
  while (path[start] === '/') start += 1;
  return start === 0 ? path : path.slice(start);
}

/**
 * Applies min_wrapping_ttl and max_wrapping_ttl. Either bound makes wrapping
 * mandatory, as in Vault. Merged bounds whose maximum is below the minimum
 * fail every TTL, so they deny everything.
 */
function checkWrapping(permissions: MergedPermissions, wrapTtl: number | undefined): string | undefined {
  const { minWrappingTtl, maxWrappingTtl } = permissions;
  if (maxWrappingTtl > 0) {
    if (wrapTtl === undefined) return `response wrapping is required, with a TTL of at most ${maxWrappingTtl}s`;
    if (wrapTtl > maxWrappingTtl) return `wrapping TTL ${wrapTtl}s is above max_wrapping_ttl ${maxWrappingTtl}s`;
  }
  if (minWrappingTtl > 0) {
    if (wrapTtl === undefined) return `response wrapping is required, with a TTL of at least ${minWrappingTtl}s`;
    if (wrapTtl < minWrappingTtl) return `wrapping TTL ${wrapTtl}s is below min_wrapping_ttl ${minWrappingTtl}s`;
  }
  return undefined;
}
