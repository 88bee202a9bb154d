/**
 * `login`: checks a GitHub personal access token with GitHub's API and
 * returns the login of its user, with the policies mapped to the user and
 * to the user's teams in the configured organization.
 */
import { BlockList, isIPv6 } from 'node:net';
import {
  authFromSettings,
  badRequest,
  definePath,
  internalError,
  invalidCredentials,
  permissionDenied,
  renewLogin,
  type AuthAlias,
  type CofferError,
  type FieldMap,
  type Logger,
  type PathDefinition,
  type Request,
  type Response,
  type Storage,
} from '@coffer/sdk';
import { readConfig, type GitHubConfig } from './config.js';
import { GitHubClient, GitHubError, isSendableToken, type GitHubOrganization, type GitHubTeam, type GitHubUser } from './github-client.js';
import { mappedPolicies } from './mappings.js';

/** Vault's messages. */
export const NOT_CONFIGURED = 'configuration has not been set';
export const NOT_A_MEMBER = 'user is not part of required org';
/** The message for a token that cannot be sent, which never quotes the token. */
export const TOKEN_NOT_SENDABLE = 'invalid "token": it contains a character outside printable ASCII, which cannot be sent in an HTTP header';

export function pathLogin(logger: Logger): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'login',
    fields: {
      token: { type: 'string', description: 'GitHub personal access token of the user, with the read:org scope.' },
    },
    operations: {
      update: async (request, fields) => {
        const token = fields.get('token').trim();
        if (token === '') throw badRequest('missing "token": pass a GitHub personal access token');
        if (!isSendableToken(token)) throw badRequest(TOKEN_NOT_SENDABLE);

        const config = await readConfig(request.storage);
        if (config === null) throw badRequest(NOT_CONFIGURED);
        if (!cidrAllowed(config.token.tokenBoundCidrs, request.remoteAddress)) throw permissionDenied();
        return login(request.storage, config, token, logger);
      },
    },
    helpSynopsis: 'Log in with a GitHub personal access token.',
    helpDescription: `
The token's user must be a member of the configured organization. The login
gets the config's token_policies, the policies of map/users/<login>, and
those of map/teams/<team> for each of the user's teams in the organization,
matched by the team's slug and by its name.`,
  });
}

/** The result of checking a token with GitHub. */
interface Verified {
  user: GitHubUser;
  organization: GitHubOrganization;
  /** Names and slugs of the user's teams in the organization, in GitHub's order. */
  teamNames: string[];
  /** Policies mapped to the user and the teams, without the config's token_policies. */
  policies: string[];
  warnings: string[];
}

async function login(storage: Storage, config: GitHubConfig, token: string, logger: Logger): Promise<Response> {
  const verified = await verifyToken(storage, config, token, logger);
  const { user, organization, teamNames, policies, warnings } = verified;
  logger.debug({ username: user.login, teams: teamNames.length }, 'github login succeeded');

  const response: Response = {
    auth: authFromSettings(config.token, {
      policies,
      metadata: { username: user.login, org: organization.login },
      displayName: user.login,
      alias: { name: user.login },
      groupAliases: groupAliases(teamNames),
      // As Vault does, the token is kept with the Coffer token (behind the
      // barrier, never returned) so that a renewal can ask GitHub again.
      internalData: { token },
    }),
  };
  if (warnings.length > 0) response.warnings = warnings;
  return response;
}

/**
 * Asks GitHub who owns the token, checks that the user is a member of the
 * configured organization (by ID), and collects the user's teams there
 * and the policies mapped to them and to the user.
 * @throws CofferError (400) for a token GitHub rejects or a user outside
 *   the organization, and (500) when GitHub cannot be reached.
 */
async function verifyToken(storage: Storage, config: GitHubConfig, token: string, logger: Logger): Promise<Verified> {
  const client = new GitHubClient(config.baseUrl, token);
  let user: GitHubUser;
  let organization: GitHubOrganization | undefined;
  let teams: GitHubTeam[];
  try {
    user = await client.currentUser();
    organization = (await client.organizations()).find((item) => item.id === config.organizationId);
    if (organization === undefined) {
      logger.info({ username: user.login, organizationId: config.organizationId }, 'github user is not a member of the organization');
      throw badRequest(NOT_A_MEMBER);
    }
    teams = await client.teams();
  } catch (err) {
    if (err instanceof GitHubError) throw gitHubFailure(err, logger);
    throw err;
  }

  const warnings: string[] = [];
  if (organization.login.toLowerCase() !== config.organization.toLowerCase()) {
    const warning = `the organization name has changed to "${organization.login}"; update "organization" in the config, whose "organization_id" ${config.organizationId} still matches`;
    logger.warn({ organization: config.organization, current: organization.login, organizationId: config.organizationId }, 'github organization was renamed');
    warnings.push(warning);
  }

  // Vault matches a mapping by the team's name and by its slug, which
  // differ when the name has spaces or capitals, or after a rename.
  const teamNames: string[] = [];
  for (const team of teams) {
    if (team.organization?.id !== organization.id) continue;
    teamNames.push(team.name);
    if (team.slug !== team.name) teamNames.push(team.slug);
  }

  const teamPolicies = await mappedPolicies(storage, 'teams', teamNames);
  const userPolicies = await mappedPolicies(storage, 'users', [user.login]);
  return { user, organization, teamNames, policies: [...teamPolicies, ...userPolicies], warnings };
}

/** Turns a failed GitHub call into the login's error, logging it without the token. */
function gitHubFailure(err: GitHubError, logger: Logger): CofferError {
  logger.warn({ status: err.status, err: { message: err.message } }, 'github api call failed');
  if (err.status === 401) return invalidCredentials(err.message);
  if (err.status >= 400 && err.status < 500) return badRequest(err.message);
  return internalError(err.message);
}

function groupAliases(teamNames: readonly string[]): AuthAlias[] {
  return teamNames.filter((name) => name !== '').map((name) => ({ name }));
}

/**
 * Returns the handler that renews a login's token, as Vault's github method
 * does. It checks the personal access token kept from the login with GitHub
 * again, so a revoked token or a user who left the organization cannot renew.
 * The policies the user maps to now must equal the token's. The renewal gets
 * the config's current TTLs and the user's current teams as group aliases.
 * @throws CofferError (400) when the mount lost its config, GitHub rejects
 *   the token or the policies changed.
 */
export function gitHubLoginRenewal(logger: Logger): (request: Request) => Promise<Response> {
  return async (request) => {
    const config = await readConfig(request.storage);
    if (config === null) throw badRequest(NOT_CONFIGURED);
    const token = request.auth?.internalData.token;
    if (typeof token !== 'string' || token === '') throw badRequest('the login kept no GitHub token, not renewing; log in again');

    // NOTE: Vault also checks token_bound_cidrs here. Renewal requests
    // carry no remote address in Coffer, so only the login checks it.
    const verified = await verifyToken(request.storage, config, token, logger);
    const renewed = renewLogin(request, config.token, [...config.token.tokenPolicies, ...verified.policies]);
    const response: Response = { ...renewed, auth: { ...renewed.auth!, groupAliases: groupAliases(verified.teamNames) } };
    if (verified.warnings.length > 0) response.warnings = verified.warnings;
    return response;
  };
}

/** Returns true when no CIDR blocks are set or `address` is in one of them. */
function cidrAllowed(cidrs: readonly string[], address: string | undefined): boolean {
  if (cidrs.length === 0) return true;
  if (address === undefined) return false;
  const allowed = new BlockList();
  for (const entry of cidrs) {
    const [network, prefix] = entry.split('/');
    const family = isIPv6(network) ? 'ipv6' : 'ipv4';
    if (prefix === undefined) allowed.addAddress(network, family);
    else allowed.addSubnet(network, Number(prefix), family);
  }
  return allowed.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
}
