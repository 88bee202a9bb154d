/**
 * The policy store: named ACL policies kept behind the barrier at
 * `sys/policy/<name>`, with the parsed policies and the ACLs built from
 * them cached in memory, so a request decrypts and parses nothing once its
 * token's ACL has been built. Every write drops the ACL cache.
 *
 * Names are trimmed and lower-cased, as in Vault. `root` is built in and
 * never stored; `default` is written at the first unseal and may be edited
 * but not deleted.
 */
import { badRequest, internalError, isCofferError, type Logger, type Storage } from '@coffer/sdk';
import { ACL, ROOT_POLICY_NAME } from './acl.js';
import { DEFAULT_POLICY, DEFAULT_POLICY_NAME } from './default-policy.js';
import { parsePolicy, type Policy } from './parse.js';
import type { EntityContext } from './templates.js';

const POLICY_PREFIX = 'sys/policy/';

/** How many built ACLs are kept; the least recently used goes first. */
const ACL_CACHE_SIZE = 1024;

/** Names that cannot be written, as in Vault, which keeps the last two for its own tokens. */
const IMMUTABLE_POLICIES = [ROOT_POLICY_NAME, 'response-wrapping', 'control-group'];

/** The `root` policy: no rules, because an ACL holding it allows everything. */
export const ROOT_POLICY: Policy = Object.freeze({ name: ROOT_POLICY_NAME, raw: '', paths: [], templated: false });

/** The stored form of a policy. */
interface StoredPolicy {
  version: 1;
  name: string;
  raw: string;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Trims and lower-cases a policy name, as Vault does before every lookup and write. */
export function normalizePolicyName(name: string): string {
  return name.trim().toLowerCase();
}

/** Returns why a normalized name cannot be stored, or `undefined` when it can. */
function nameProblem(name: string): string | undefined {
  if (name === '') return 'missing policy name: give it in the path, such as sys/policies/acl/my-policy';
  if (name.includes('/')) return `invalid policy name ${JSON.stringify(name)}: a name cannot contain "/"`;
  if (name === '.' || name === '..') return `invalid policy name "${name}": "." and ".." are reserved`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return `invalid policy name ${JSON.stringify(name)}: a name cannot contain control characters`;
  if (LONE_SURROGATE.test(name)) return `invalid policy name ${JSON.stringify(name)}: a name must be well-formed Unicode`;
  return undefined;
}

export class PolicyStore {
  /** Parsed policies that exist in storage. Misses are not cached, so unknown names cannot grow memory. */
  private readonly policies = new Map<string, Policy>();
  /** Built ACLs by policy names and entity, in least-recently-used order. */
  private readonly acls = new Map<string, ACL>();
  /**
   * ACLs of entity-less requests by the caller's array of policy names,
   * such as a cached token entry's, so a token seen before skips building
   * the cache key. An entry counts only in the generation it was built in
   * and while the array still contains the same names.
   */
  private readonly aclsByNames = new WeakMap<readonly string[], { generation: number; names: string[]; acl: ACL }>();
  /** Bumped by every write, so a read that raced a write does not cache what it read. */
  private generation = 0;
  /** The tail of the queue that runs writes one at a time. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly storage: Storage,
    private readonly logger: Logger,
  ) {}

  /** Writes Vault's built-in `default` policy unless one is stored; called at every unseal. */
  async setup(): Promise<void> {
    this.teardown();
    if ((await this.storage.get(POLICY_PREFIX + DEFAULT_POLICY_NAME)) !== null) return;

    const policy = await parsePolicy(DEFAULT_POLICY_NAME, DEFAULT_POLICY);
    await this.serialized(() => this.write(policy));
    this.logger.info({ policy: DEFAULT_POLICY_NAME }, 'default policy created');
  }

  /** Drops every cache; called at seal. */
  teardown(): void {
    this.generation += 1;
    this.policies.clear();
    this.acls.clear();
  }

  /**
   * Returns the named policy, or `null` when none is stored.
   * @throws CofferError (500) when the stored text no longer parses.
   */
  async get(name: string): Promise<Policy | null> {
    const key = normalizePolicyName(name);
    if (key === ROOT_POLICY_NAME) return ROOT_POLICY;
    const cached = this.policies.get(key);
    if (cached !== undefined) return cached;
    if (nameProblem(key) !== undefined) return null;

    const generation = this.generation;
    const entry = await this.storage.get(POLICY_PREFIX + key);
    if (entry === null) return null;
    const policy = await this.decode(key, entry.value);
    if (generation === this.generation) this.policies.set(key, policy);
    return policy;
  }

  /**
   * Parses and stores a policy. Nothing is written unless the whole text is valid.
   * @throws CofferError (400) for a bad name, a built-in name or an invalid policy.
   */
  async put(name: string, text: string): Promise<void> {
    const key = normalizePolicyName(name);
    const problem = nameProblem(key);
    if (problem !== undefined) throw badRequest(problem);
    if (IMMUTABLE_POLICIES.includes(key)) throw badRequest(`cannot update "${key}" policy`);
    if (text.trim() === '') throw badRequest(`missing policy document for "${key}": send it in the "policy" field`);

    // Parsing inside the queue keeps the stored policy that of the last call.
    await this.serialized(async () => this.write(await parsePolicy(key, text)));
    this.logger.info({ policy: key }, 'policy written');
  }

  /**
   * Deletes a policy; deleting one that does not exist succeeds, as in Vault.
   * @throws CofferError (400) for `root`, `default` or a bad name.
   */
  async delete(name: string): Promise<void> {
    const key = normalizePolicyName(name);
    if (IMMUTABLE_POLICIES.includes(key)) throw badRequest(`cannot delete "${key}" policy`);
    if (key === DEFAULT_POLICY_NAME) throw badRequest('cannot delete default policy');
    const problem = nameProblem(key);
    if (problem !== undefined) throw badRequest(problem);

    await this.serialized(async () => {
      await this.storage.delete(POLICY_PREFIX + key);
      this.generation += 1;
      this.policies.delete(key);
      this.acls.clear();
    });
    this.logger.info({ policy: key }, 'policy deleted');
  }

  /** Lists the stored policy names, sorted, then `root`, as Vault's sys/policy does. */
  async list(): Promise<string[]> {
    const keys = await this.storage.list(POLICY_PREFIX);
    return [...keys.filter((key) => !key.endsWith('/')), ROOT_POLICY_NAME];
  }

  /**
   * Returns the ACL for a token's policies, built once and cached by the
   * sorted names and the entity. Unknown names are ignored, as in Vault.
   */
  async acl(policyNames: readonly string[], entity?: EntityContext): Promise<ACL> {
    const known = entity === undefined ? this.aclsByNames.get(policyNames) : undefined;
    if (known !== undefined && known.generation === this.generation && sameNames(known.names, policyNames)) return known.acl;

    const names = [...new Set(policyNames.map(normalizePolicyName))].sort();
    const cacheKey = JSON.stringify([names, entity ?? null]);
    const cached = this.acls.get(cacheKey);
    if (cached !== undefined) {
      this.acls.delete(cacheKey);
      this.acls.set(cacheKey, cached);
      if (entity === undefined) this.aclsByNames.set(policyNames, { generation: this.generation, names: [...policyNames], acl: cached });
      return cached;
    }

    const generation = this.generation;
    const policies = await Promise.all(names.map((name) => this.get(name)));
    const acl = ACL.build(
      policies.filter((policy): policy is Policy => policy !== null),
      entity,
    );
    if (generation === this.generation) {
      if (this.acls.size >= ACL_CACHE_SIZE) this.acls.delete(this.acls.keys().next().value as string);
      this.acls.set(cacheKey, acl);
      if (entity === undefined) this.aclsByNames.set(policyNames, { generation, names: [...policyNames], acl });
    }
    return acl;
  }

  private async write(policy: Policy): Promise<void> {
    const stored: StoredPolicy = { version: 1, name: policy.name, raw: policy.raw };
    await this.storage.put({ key: POLICY_PREFIX + policy.name, value: Buffer.from(JSON.stringify(stored)) });
    this.generation += 1;
    this.policies.set(policy.name, policy);
    this.acls.clear();
  }

  private async decode(name: string, value: Buffer): Promise<Policy> {
    try {
      const stored = JSON.parse(value.toString('utf8')) as StoredPolicy;
      return await parsePolicy(name, stored.raw);
    } catch (err) {
      this.logger.error({ err, policy: name }, 'stored policy cannot be parsed');
      const detail = isCofferError(err) ? err.message : 'the entry is not valid JSON';
      throw internalError(`stored policy "${name}" cannot be used: ${detail}`);
    }
  }

  /** Runs writes one after another, so storage and the caches agree on the last one. */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writes.then(task, task);
    this.writes = run.catch(() => undefined);
    return run;
  }
}

function sameNames(cached: readonly string[], current: readonly string[]): boolean {
  return cached.length === current.length && cached.every((name, index) => name === current[index]);
}
