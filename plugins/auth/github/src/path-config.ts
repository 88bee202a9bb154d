/**
 * `config`: the organization whose members may log in, the GitHub API to
 * ask, and the token settings, with Vault's field names. A write changes
 * only the fields it sets. Every field is checked before anything is sent
 * to GitHub or stored, so a rejected write changes nothing.
 */
import {
  badRequest,
  checkTokenSettings,
  definePath,
  describeTokenSettings,
  KeyedLock,
  readTokenSettings,
  TOKEN_FIELDS,
  type FieldData,
  type FieldMap,
  type Logger,
  type PathDefinition,
  type Response,
  type Storage,
  type TokenSettings,
} from '@coffer/sdk';
import { readConfig, writeConfig, type GitHubConfig } from './config.js';
import { GitHubClient, GitHubError } from './github-client.js';

const CONFIG_FIELDS = {
  organization: { type: 'string', description: 'Login of the GitHub organization users must be members of. Required.' },
  organization_id: { type: 'int', description: 'ID of the organization. When 0 or not given, a write looks it up from "organization".' },
  base_url: { type: 'string', description: 'API root for GitHub Enterprise Server, e.g. "https://github.example.com/api/v3/". Empty means https://api.github.com/.' },
  ttl: { type: 'duration', description: 'Deprecated: use "token_ttl".' },
  max_ttl: { type: 'duration', description: 'Deprecated: use "token_max_ttl".' },
  ...TOKEN_FIELDS,
} as const;

type ConfigFields = typeof CONFIG_FIELDS;

/**
 * Environment variables read for a token that the organization ID lookup
 * sends, which raises GitHub's rate limit for anonymous calls. Vault reads
 * the second one.
 */
const LOOKUP_TOKEN_VARIABLES = ['COFFER_AUTH_CONFIG_GITHUB_TOKEN', 'VAULT_AUTH_CONFIG_GITHUB_TOKEN'];

export function pathConfig(lock: KeyedLock, logger: Logger): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config',
    fields: CONFIG_FIELDS,
    operations: {
      read: async (request) => {
        const config = await readConfig(request.storage);
        return config === null ? null : { data: describeConfig(config) };
      },
      update: (request, fields) => lock.run('config', () => updateConfig(request.storage, fields, logger)),
    },
    helpSynopsis: 'Configure the GitHub organization and API that logins are checked against.',
    helpDescription: `
Members of the organization log in with a personal access token. Membership
is checked by the organization's ID, which a write looks up from the name
unless organization_id is given. token_policies go to every login, in
addition to the policies mapped at map/teams/<team> and map/users/<user>.`,
  });
}

async function updateConfig(storage: Storage, fields: FieldData<ConfigFields>, logger: Logger): Promise<Response | null> {
  const existing = await readConfig(storage);
  const config = mergeConfig(existing, fields);

  // Looked up again when the name or the API changed, because an ID is
  // valid only on the server that issued it, for the organization it names.
  const named = fields.has('organization_id') ? fields.get('organization_id') : 0;
  const sameOrganization = existing !== null && existing.organization.toLowerCase() === config.organization.toLowerCase() && existing.baseUrl === config.baseUrl;
  if (named > 0) config.organizationId = named;
  else if (fields.has('organization_id') || !sameOrganization || existing.organizationId === 0) {
    config.organizationId = await lookUpOrganizationId(config, logger);
  }

  await writeConfig(storage, config);
  return null;
}

/**
 * Applies the fields a request set over the stored config and checks them.
 * @throws CofferError (400) naming the first invalid field.
 */
function mergeConfig(existing: GitHubConfig | null, fields: FieldData<ConfigFields>): GitHubConfig {
  const organization = fields.has('organization') ? fields.get('organization').trim() : (existing?.organization ?? '');
  // Vault's message.
  if (organization === '') throw badRequest('organization is a required parameter');

  if (fields.has('organization_id') && fields.get('organization_id') < 0) {
    throw badRequest(`invalid "organization_id" ${fields.get('organization_id')}: it must be a positive integer, or 0 to look it up from "organization"`);
  }
  const baseUrl = fields.has('base_url') ? normalizeBaseUrl(fields.get('base_url')) : (existing?.baseUrl ?? '');
  const { token, legacyTtl, legacyMaxTtl } = mergeTokenSettings(existing, fields);

  return { organization, organizationId: existing?.organizationId ?? 0, baseUrl, legacyTtl, legacyMaxTtl, token };
}

/**
 * Returns the base URL with a trailing slash, as Vault stores it, so that
 * API paths resolve below it.
 * @throws CofferError (400) for anything but an http or https URL.
 */
function normalizeBaseUrl(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') return '';
  const withSlash = trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
  const expected = 'an http or https URL such as "https://github.example.com/api/v3/"';
  let url: URL;
  try {
    url = new URL(withSlash);
  } catch {
    throw badRequest(`invalid "base_url" ${JSON.stringify(value)}: expected ${expected}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest(`invalid "base_url" ${JSON.stringify(value)}: expected ${expected}`);
  if (url.username !== '' || url.password !== '') throw badRequest('invalid "base_url": it must not contain a user name or password');
  if (url.search !== '' || url.hash !== '') throw badRequest(`invalid "base_url" ${JSON.stringify(value)}: it must not have a query or fragment`);
  return url.toString();
}

/**
 * Reads the `token_*` fields and Vault's deprecated `ttl` and `max_ttl`.
 * As in Vault, a deprecated field sets its token_* twin unless the request
 * sets that twin too, which then wins.
 * @throws CofferError (400) naming the invalid field.
 */
function mergeTokenSettings(existing: GitHubConfig | null, fields: FieldData<ConfigFields>): { token: TokenSettings; legacyTtl: number; legacyMaxTtl: number } {
  let legacyTtl = existing?.legacyTtl ?? 0;
  let legacyMaxTtl = existing?.legacyMaxTtl ?? 0;
  try {
    const token = readTokenSettings(fields, existing?.token);
    if (fields.has('token_ttl')) legacyTtl = 0;
    else if (fields.has('ttl')) legacyTtl = token.tokenTtl = fields.get('ttl');
    if (fields.has('token_max_ttl')) legacyMaxTtl = 0;
    else if (fields.has('max_ttl')) legacyMaxTtl = token.tokenMaxTtl = fields.get('max_ttl');
    checkTokenSettings(token);
    return { token, legacyTtl, legacyMaxTtl };
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

/**
 * Asks GitHub for the ID of the configured organization.
 * @throws CofferError (400) when GitHub cannot be reached or does not know
 *   the organization, naming both fields that fix it.
 */
async function lookUpOrganizationId(config: GitHubConfig, logger: Logger): Promise<number> {
  const token = LOOKUP_TOKEN_VARIABLES.map((name) => process.env[name] ?? '').find((value) => value !== '') ?? '';
  try {
    const organization = await new GitHubClient(config.baseUrl, token).organization(config.organization);
    logger.info({ organization: config.organization, organizationId: organization.id }, 'github organization id looked up');
    return organization.id;
  } catch (err) {
    if (!(err instanceof GitHubError)) throw err;
    logger.warn({ organization: config.organization, err: { message: err.message } }, 'github organization id lookup failed');
    throw badRequest(`unable to fetch the organization_id, set "organization_id" or check "organization" and "base_url": ${err.message}`);
  }
}

/** The config as Vault's read returns it. */
function describeConfig(config: GitHubConfig): Record<string, unknown> {
  const data: Record<string, unknown> = {
    organization: config.organization,
    organization_id: config.organizationId,
    base_url: config.baseUrl,
    ...describeTokenSettings(config.token),
  };
  if (config.legacyTtl > 0) data.ttl = config.legacyTtl;
  if (config.legacyMaxTtl > 0) data.max_ttl = config.legacyMaxTtl;
  return data;
}
