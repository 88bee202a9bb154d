/**
 * Names of IAM users, federated users and role sessions, rendered from
 * `config/root`'s username_template as Vault's AWS engine does.
 */
import { CofferError, renderUsernameTemplate } from '@coffer/sdk';

/**
 * Vault's default IAM user name, e.g. `vault-token-app-1733440000-AbC...`:
 * display name and role cut to 42 characters, Unix time, 20 random
 * characters, all cut to IAM's limit of 64.
 */
export const DEFAULT_IAM_TEMPLATE = '{{ printf "vault-%s-%s-%s" (printf "%s-%s" (.DisplayName) (.RoleName) | truncate 42) (unix_time) (random 20) | truncate 64 }}';

/** Vault's default STS name, e.g. `vault-1733440000-AbC...`, cut to GetFederationToken's limit of 32. */
export const DEFAULT_STS_TEMPLATE = '{{ printf "vault-%s-%s" (unix_time) (random 20) | truncate 32 }}';

/** IAM user names are at most 64 characters; federated user names at most 32. */
const MAX_LENGTH = { iam: 64, sts: 32 } as const;
/**
 * Characters that IAM user names, federated user names and role session
 * names may contain, per the IAM and STS API references. IAM rejects any
 * other with a ValidationError, and a user name it rejects cannot be
 * cleaned up either, because every IAM user call rejects that name too.
 */
const ALLOWED_CHARACTERS = /^[\w+=,.@-]+$/;

/**
 * Rewrites Vault's `.PolicyName` (the role's name in Vault's AWS engine) to
 * the SDK's `.RoleName`, so that templates written for Vault render here.
 * NOTE: Vault also offers `.Type` and `{{ if }}` actions, so one template can
 * serve both kinds of name. The SDK's template language has neither, so a
 * custom template here yields the same form for IAM and STS names.
 */
export function normalizeTemplate(template: string): string {
  return template.replace(/\.PolicyName\b/g, '.RoleName');
}

/**
 * Renders the username for an IAM user (`iam`) or an STS name (`sts`).
 * @throws CofferError (500) when the template fails or the name is empty or too long.
 */
export function generateUsername(template: string, kind: 'iam' | 'sts', displayName: string, roleName: string): string {
  let source = normalizeTemplate(template);
  if (template === '') source = kind === 'iam' ? DEFAULT_IAM_TEMPLATE : DEFAULT_STS_TEMPLATE;
  let username: string;
  try {
    username = renderUsernameTemplate(source, { displayName, roleName }).trim();
  } catch (err) {
    throw new CofferError('COFFER_ERR_INTERNAL', 500, `failed to generate username: ${(err as Error).message}`);
  }

  if (username === '') throw new CofferError('COFFER_ERR_INTERNAL', 500, 'failed to generate username: username_template produced an empty name');
  const names = kind === 'iam' ? 'IAM user names' : 'STS names';
  if (!ALLOWED_CHARACTERS.test(username)) {
    const fix = 'make username_template generate only letters, digits and "+=,.@_-"';
    throw new CofferError('COFFER_ERR_INTERNAL', 500, `failed to generate username: "${username}" contains a character that ${names} cannot contain; ${fix}`);
  }
  const max = MAX_LENGTH[kind];
  if (username.length > max) {
    throw new CofferError('COFFER_ERR_INTERNAL', 500, `failed to generate username: "${username}" is ${username.length} characters, over the limit of ${max} for ${names}; shorten username_template`);
  }
  return username;
}
