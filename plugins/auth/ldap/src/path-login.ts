/**
 * `login/<username>`: checks the password against the directory and returns
 * the login. Policies are the mount's token_policies, the user's own, and
 * those of every group the user is in: the directory's groups (nested ones
 * included when the group filter requests them) and the local groups of
 * users/<name>. The group names also go out as group aliases, for the
 * identity store's external groups.
 */
import { BlockList, isIPv6 } from 'node:net';
import {
  authFromSettings,
  badRequest,
  definePath,
  permissionDenied,
  renewLogin,
  type FieldMap,
  type Logger,
  type PathDefinition,
  type Request,
  type Response,
  type Storage,
} from '@coffer/sdk';
import { authenticateUser } from './authenticate.js';
import { bindDnProblem, readConfig, type LdapConfig } from './config.js';
import { canonicalName, GROUP_PREFIX, readEntry, uniqueSorted, USER_PREFIX, type GroupEntry, type UserEntry } from './names.js';

export function pathLogin(logger: Logger): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'login/(?<username>.+)',
    fields: {
      username: { type: 'string', description: 'Login name of the LDAP user.', required: true },
      password: { type: 'string', description: 'Password of the LDAP user.' },
    },
    operations: {
      update: async (request, fields) => {
        const config = await readConfig(request.storage);
        if (config === null) throw badRequest('auth method not configured');
        return login(request.storage, config, { username: fields.get('username'), password: fields.get('password'), remoteAddress: request.remoteAddress }, logger);
      },
    },
    helpSynopsis: 'Log in with an LDAP user name and password.',
    helpDescription: `
The user name goes into the bind DN or the user search, escaped. Unless
case_sensitive_names is set it is lowercased, and it is always trimmed, so
"Alice " and "alice" are one user with one entity alias.`,
  });
}

interface Credentials {
  username: string;
  password: string;
  remoteAddress: string | undefined;
}

async function login(storage: Storage, config: LdapConfig, credentials: Credentials, logger: Logger): Promise<Response> {
  if (!cidrAllowed(config.token.tokenBoundCidrs, credentials.remoteAddress)) throw permissionDenied();

  // Trimmed and lowercased as Vault does since its fix of CVE-2025-6013, so a
  // variant spelling cannot log in as a second entity.
  const trimmed = credentials.username.trim();
  if (trimmed === '') throw badRequest('missing username: the name in login/<username> is empty or only spaces');
  const username = canonicalName(trimmed, config.caseSensitiveNames);

  if (config.denyNullBind && credentials.password === '') {
    throw badRequest('password cannot be of zero length when passwordless binds are being denied');
  }
  const problem = bindDnProblem(config);
  if (problem !== null) throw badRequest(`auth method not configured: ${problem}`);

  const directory = await authenticateUser(config, username, credentials.password, logger);

  const { groups, policies } = await mappedPolicies(storage, config, username, directory.groups);

  const aliasName = config.usernameAsAlias ? username : directory.aliasValue;
  if (aliasName === undefined || aliasName === '') {
    throw badRequest(`missing entity alias attribute value: the user entry has no "${config.userattr}"; set "userattr" to an attribute it has, or set "username_as_alias"`);
  }
  logger.debug({ username, groups: groups.length }, 'ldap login succeeded');

  return {
    auth: authFromSettings(config.token, {
      policies: uniqueSorted(policies, true),
      metadata: { username },
      displayName: username,
      alias: { name: aliasName, metadata: { name: username } },
      groupAliases: uniqueSorted(groups, false).map((name) => ({ name })),
      // As Vault does, the password is stored with the token (behind the
      // barrier, never returned) so that a renewal can bind again and read
      // the user's current groups from the directory.
      internalData: { password: credentials.password },
    }),
  };
}

/** Returns the user's groups (local and directory) and the policies mapped to the user and those groups. */
async function mappedPolicies(
  storage: Storage,
  config: LdapConfig,
  username: string,
  directoryGroups: readonly string[],
): Promise<{ groups: string[]; policies: string[] }> {
  const user = await readEntry<UserEntry>(storage, USER_PREFIX, username);
  const groups = [...(user?.groups ?? []), ...directoryGroups];
  const policies = [...(user?.policies ?? [])];
  for (const group of new Set(groups.map((name) => canonicalName(name, config.caseSensitiveNames)))) {
    const entry = await readEntry<GroupEntry>(storage, GROUP_PREFIX, group);
    policies.push(...(entry?.policies ?? []));
  }
  return { groups, policies };
}

/**
 * Returns the handler that renews a token of a login, as Vault's LDAP method
 * does: it binds again with the password kept from the login, so a user
 * removed from the directory or whose password changed cannot renew, and
 * the policies mapped to the user and its current groups must equal the
 * token's. The renewal gets the mount's current token TTLs.
 * @throws CofferError (400) when the mount lost its config, the bind fails
 *   or the policies changed.
 */
export function directoryLoginRenewal(logger: Logger): (request: Request) => Promise<Response> {
  return async (request) => {
    const config = await readConfig(request.storage);
    if (config === null) throw badRequest('auth method not configured, not renewing');
    const username = request.auth?.metadata.username ?? '';
    const password = request.auth?.internalData.password;
    if (typeof password !== 'string') throw badRequest('the login kept no credentials, not renewing; log in again');

    const directory = await authenticateUser(config, username, password, logger);
    const { groups, policies } = await mappedPolicies(request.storage, config, username, directory.groups);
    const renewed = renewLogin(request, config.token, [...config.token.tokenPolicies, ...policies]);
    // As Vault's LDAP method does, the renewal reports the user's current
    // groups, so that external identity groups follow the directory.
    return { ...renewed, auth: { ...renewed.auth!, groupAliases: uniqueSorted(groups, false).map((name) => ({ name })) } };
  };
}

/** Returns true when no CIDR blocks are set or `address` is in one of them. */
function cidrAllowed(cidrs: readonly string[], address: string | undefined): boolean {
  if (cidrs.length === 0) return true;
  if (address === undefined) return false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network, prefix] = cidr.split('/');
    const type = isIPv6(network) ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(network, type);
    else list.addSubnet(network, Number(prefix), type);
  }
  return list.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
}
