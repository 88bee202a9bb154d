/**
 * The directory side of a login, in the order Vault's LDAP client follows.
 * It finds the user's bind DN and binds as the user with the password,
 * which is the actual check. Then it binds back as `binddn`, finds the
 * user's DN, reads the alias attribute and searches the user's groups.
 *
 * Every failure becomes a CofferError (400) with Vault's message. A wrong
 * password, an unknown user and a failed service bind all read "ldap
 * operation failed: failed to bind as user", so a caller cannot tell which
 * users exist. The cause goes to the log.
 */
import { badRequest, invalidCredentials, type CofferError, type Logger } from '@coffer/sdk';
import type { LdapConfig } from './config.js';
import { attributeValues, ConnectFailure, openConnection, type LdapConnection } from './connection.js';
import { escapeDnValue, escapeFilterValue } from './dn.js';
import { parseFilter, renderTemplate } from './filter-template.js';
import { searchGroups, searchWithInChain } from './group-search.js';
import { hostsOf, scrubMessage } from './scrub.js';

/** Vault's message for a wrong password, an unknown user or a failed service bind. */
export const USER_BIND_FAILED = 'ldap operation failed: failed to bind as user';

export interface DirectoryLogin {
  /** DN of the user's entry. */
  userDn: string;
  /** Group names the directory reports, deduplicated and sorted. */
  groups: string[];
  /** First value of `userattr` on the user's entry, for the entity alias; undefined when absent or not read. */
  aliasValue: string | undefined;
}

/** A failure with the message the client gets and the cause the log gets. */
class LoginStepFailure extends Error {
  constructor(
    readonly clientMessage: string,
    readonly step: string,
    readonly reason: unknown,
  ) {
    super(clientMessage);
  }
}

/**
 * Checks `password` against the directory and collects what the login needs.
 * @throws CofferError (400) with Vault's message for each kind of failure.
 */
export async function authenticateUser(config: LdapConfig, username: string, password: string, logger: Logger): Promise<DirectoryLogin> {
  const secrets = [config.bindpass, password, ...hostsOf(config.url)];
  let connection: LdapConnection | undefined;
  try {
    connection = await openConnection(config, logger);
    return await runLogin(connection, config, username, password, logger);
  } catch (err) {
    throw toClientError(err, secrets, username, logger);
  } finally {
    await connection?.close();
  }
}

async function runLogin(connection: LdapConnection, config: LdapConfig, username: string, password: string, logger: Logger): Promise<DirectoryLogin> {
  const bindDn = await step(USER_BIND_FAILED, 'find user bind dn', () => userBindDn(connection, config, username));
  await step(USER_BIND_FAILED, 'bind as user', () => connection.bind(bindDn, password));

  // The service account, when there is one, searches the groups rather
  // than the user who just logged in.
  if (config.binddn !== '' && config.bindpass !== '') {
    await step('ldap operation failed: failed to re-bind with the BindDN user', 'bind as binddn again', () =>
      connection.bind(config.binddn, config.bindpass),
    );
  }

  const userDn = await step('ldap operation failed: failed to find the user entry', 'find user dn', () => userEntryDn(connection, config, bindDn, username));
  const aliasValue = config.usernameAsAlias
    ? undefined
    : await step('ldap operation failed: failed to read the user entry', 'read alias attribute', () => readAliasValue(connection, config, userDn));
  const groups = await step('ldap operation failed: failed to search groups', 'search groups', () => groupsOf(config, connection, userDn, username, logger));
  return { userDn, groups, aliasValue };
}

async function step<T>(clientMessage: string, name: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof LoginStepFailure) throw err;
    throw new LoginStepFailure(clientMessage, name, err);
  }
}

/**
 * Returns the DN to bind as: found by a search when `discoverdn` is set or a
 * service account is configured, else `<username>@<upndomain>` or
 * `<userattr>=<username>,<userdn>`.
 */
async function userBindDn(connection: LdapConnection, config: LdapConfig, username: string): Promise<string> {
  if (config.discoverdn || (config.binddn !== '' && config.bindpass !== '')) {
    await connection.bind(config.binddn, config.bindpass);
    const entries = await searchWithInChain(connection, config.userdn, userSearchFilter(config, username), [config.userattr], { sizeLimit: 2 });
    if (entries.length !== 1) throw new Error(`user search matched ${entries.length} entries, expected exactly 1`);
    return entries[0].dn;
  }
  if (config.upndomain !== '') return `${escapeDnValue(username)}@${config.upndomain}`;
  return `${config.userattr}=${escapeDnValue(username)},${config.userdn}`;
}

/** Renders `userfilter`; with `upndomain`, it matches userPrincipalName `<username>@<upndomain>`. */
export function userSearchFilter(config: LdapConfig, username: string): string {
  const values = config.upndomain !== ''
    ? { UserAttr: 'userPrincipalName', Username: `${escapeFilterValue(username)}@${config.upndomain}` }
    : { UserAttr: escapeFilterValue(config.userattr), Username: escapeFilterValue(username) };
  return renderTemplate(config.userfilter, values);
}

/** With `upndomain` the bind name is not a DN, so the entry is found by its userPrincipalName. */
async function userEntryDn(connection: LdapConnection, config: LdapConfig, bindDn: string, username: string): Promise<string> {
  if (config.upndomain === '') return bindDn;
  const filter = `(userPrincipalName=${escapeFilterValue(username)}@${config.upndomain})`;
  const entries = await connection.search(config.userdn, parseFilter(filter), ['1.1']);
  const last = entries.at(-1);
  if (last === undefined) throw new Error('no entry has the userPrincipalName');
  return last.dn;
}

async function readAliasValue(connection: LdapConnection, config: LdapConfig, userDn: string): Promise<string | undefined> {
  const entry = await connection.readEntry(userDn, [config.userattr]);
  return entry === null ? undefined : attributeValues(entry, config.userattr)[0];
}

/** With `anonymous_group_search`, groups are searched on a new connection that never binds. */
async function groupsOf(config: LdapConfig, connection: LdapConnection, userDn: string, username: string, logger: Logger): Promise<string[]> {
  if (!config.anonymousGroupSearch) return searchGroups(connection, config, userDn, username, logger);
  const anonymous = await openConnection(config, logger);
  try {
    return await searchGroups(anonymous, config, userDn, username, logger);
  } finally {
    await anonymous.close();
  }
}

function toClientError(err: unknown, secrets: string[], username: string, logger: Logger): CofferError {
  if (err instanceof ConnectFailure) {
    return badRequest(`ldap operation failed: ${err.message}`);
  }
  if (err instanceof LoginStepFailure) {
    const cause = scrubMessage(err.reason instanceof Error ? err.reason.message : String(err.reason), secrets);
    // A wrong password is routine (the audit log records the request), so it logs at debug.
    const level = err.clientMessage === USER_BIND_FAILED ? 'debug' : 'warn';
    logger[level]({ username, step: err.step, err: { message: cause } }, 'ldap login failed');
    // Only a failed user bind counts toward lockout. A wrong binddn password counts too, because it fails at the same step.
    if (err.clientMessage === USER_BIND_FAILED) return invalidCredentials(USER_BIND_FAILED);
    return badRequest(`${err.clientMessage}: ${cause}`);
  }
  const message = scrubMessage(err instanceof Error ? err.message : String(err), secrets);
  logger.error({ username, err: { message } }, 'ldap login failed');
  return badRequest(`ldap operation failed: ${message}`);
}
