/**
 * The password policy store: named policies kept behind the barrier at
 * `sys/password_policy/<name>` as `{"policy": "<document>"}`, Vault's key
 * and shape. Storage is read on every use, so a policy written through
 * another node takes effect at once. Only the parsing of a document is
 * cached, keyed by its text.
 */
import { badRequest, internalError, isCofferError, type Logger, type Storage } from '@coffer/sdk';
import { decodePolicyText } from '../policy/path-policy.js';
import { generatePassword, GENERATION_TIMEOUT_MS } from './generate.js';
import { parsePasswordPolicy, type PasswordPolicy } from './parse.js';

const PASSWORD_POLICY_PREFIX = 'sys/password_policy/';

/** Passwords a write generates from a policy before storing it, as in Vault. */
const TEST_GENERATIONS = 10;

/** How many parsed documents are kept; the least recently used goes first. */
const PARSED_CACHE_SIZE = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The stored form of a policy. */
interface StoredPasswordPolicy {
  policy: string;
}

/** Returns why a name cannot be stored, or `undefined` when it can. */
export function passwordPolicyNameProblem(name: string): string | undefined {
  if (name === '') return 'missing password policy name: give it in the path, such as sys/policies/password/my-policy';
  const quoted = JSON.stringify(name);
  if (name.includes('/')) return `invalid password policy name ${quoted}: a name cannot contain "/"`;
  if (name === '.' || name === '..') return `invalid password policy name ${quoted}: "." and ".." are reserved`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return `invalid password policy name ${quoted}: a name cannot contain control characters`;
  if (LONE_SURROGATE.test(name)) return `invalid password policy name ${quoted}: a name must be well-formed Unicode`;
  return undefined;
}

export class PasswordPolicyStore {
  private readonly parsed = new Map<string, PasswordPolicy>();

  constructor(
    private readonly storage: Storage,
    private readonly logger: Logger,
  ) {}

  /**
   * Checks and stores a policy. The document may be base64-encoded. Before
   * storing, ten passwords are generated from it within one second, as
   * Vault does, so a policy too restrictive to use is rejected. Nothing is
   * written unless every check passes.
   * @throws CofferError (400) for a bad name, an invalid document or a policy that cannot generate in time.
   */
  async put(name: string, text: string): Promise<void> {
    const problem = passwordPolicyNameProblem(name);
    if (problem !== undefined) throw badRequest(problem);
    if (text.trim() === '') throw badRequest('missing "policy": send the password policy document, HCL or JSON, in the "policy" field');

    const document = decodePolicyText(text);
    const policy = await this.parse(document);
    await checkGenerates(policy);

    const stored: StoredPasswordPolicy = { policy: document };
    await this.storage.put({ key: PASSWORD_POLICY_PREFIX + name, value: Buffer.from(JSON.stringify(stored)) });
    this.logger.info({ passwordPolicy: name }, 'password policy written');
  }

  /** Returns a policy's document as written, or `null` when none is stored under the name. */
  async get(name: string): Promise<string | null> {
    if (passwordPolicyNameProblem(name) !== undefined) return null;
    const entry = await this.storage.get(PASSWORD_POLICY_PREFIX + name);
    if (entry === null) return null;
    try {
      return (JSON.parse(entry.value.toString('utf8')) as StoredPasswordPolicy).policy;
    } catch (err) {
      this.logger.error({ err, passwordPolicy: name }, 'stored password policy is not valid JSON');
      throw internalError(`stored password policy "${name}" cannot be read: the entry is not valid JSON`);
    }
  }

  /** Lists the stored policy names, sorted. */
  async list(): Promise<string[]> {
    const keys = await this.storage.list(PASSWORD_POLICY_PREFIX);
    return keys.filter((key) => !key.endsWith('/')).sort();
  }

  /**
   * Deletes a policy; deleting one that does not exist succeeds, as in Vault.
   * Engines that name the policy fail to generate passwords until it is written again.
   * @throws CofferError (400) for a bad name.
   */
  async delete(name: string): Promise<void> {
    const problem = passwordPolicyNameProblem(name);
    if (problem !== undefined) throw badRequest(problem);
    await this.storage.delete(PASSWORD_POLICY_PREFIX + name);
    this.logger.info({ passwordPolicy: name }, 'password policy deleted');
  }

  /**
   * Generates a password from the named policy, or returns `null` when no
   * policy has that name.
   * @throws CofferError (500) when the stored document no longer parses or generation times out.
   */
  async generate(name: string): Promise<string | null> {
    const document = await this.get(name);
    if (document === null) return null;
    let policy: PasswordPolicy;
    try {
      policy = await this.parse(document);
    } catch (err) {
      this.logger.error({ err, passwordPolicy: name }, 'stored password policy cannot be parsed');
      const detail = isCofferError(err) ? err.message : String(err);
      throw internalError(`stored password policy "${name}" cannot be used: ${detail}`);
    }
    return generatePassword(policy);
  }

  private async parse(document: string): Promise<PasswordPolicy> {
    const cached = this.parsed.get(document);
    if (cached !== undefined) {
      this.parsed.delete(document);
      this.parsed.set(document, cached);
      return cached;
    }
    const policy = await parsePasswordPolicy(document);
    if (this.parsed.size >= PARSED_CACHE_SIZE) this.parsed.delete(this.parsed.keys().next().value as string);
    this.parsed.set(document, policy);
    return policy;
  }
}

/**
 * Generates {@link TEST_GENERATIONS} passwords within one shared timeout and
 * rejects the policy if any attempt failed, with Vault's two messages.
 */
async function checkGenerates(policy: PasswordPolicy): Promise<void> {
  const deadline = Date.now() + GENERATION_TIMEOUT_MS;
  let failed = 0;
  for (let attempt = 0; attempt < TEST_GENERATIONS; attempt++) {
    try {
      await generatePassword(policy, Math.max(0, deadline - Date.now()));
    } catch {
      failed += 1;
    }
  }
  const seconds = `${GENERATION_TIMEOUT_MS / 1000}s`;
  if (failed === TEST_GENERATIONS) {
    throw badRequest(`invalid password policy: unable to generate a password from it in ${seconds}: are the rules impossible?`);
  }
  if (failed > 0) {
    throw badRequest(`invalid password policy: failed to generate passwords ${failed} times out of ${TEST_GENERATIONS} attempts in ${seconds}: is the policy too restrictive?`);
  }
}

/**
 * Builds the system view's `generatePasswordFromPolicy` over a store. An
 * empty or unknown name is the engine's configuration error, so it is a
 * 400 naming the policy, not the 404 of the sys/ endpoint.
 */
export function policyPasswordGenerator(store: PasswordPolicyStore): (policyName: string) => Promise<string> {
  return async (policyName) => {
    if (policyName === '') throw badRequest('missing password policy name');
    const password = await store.generate(policyName);
    if (password === null) {
      throw badRequest(`password policy "${policyName}" not found: write it to sys/policies/password/${policyName} or name another policy`);
    }
    return password;
  };
}
