/**
 * `login` and `login/<username>`: sends the user name and password to the
 * RADIUS server in an Access-Request and, on a verified Access-Accept,
 * returns the login with the user's policies.
 */
import { BlockList, isIPv6 } from 'node:net';
import {
  authFromSettings,
  badRequest,
  definePath,
  invalidCredentials,
  permissionDenied,
  renewLogin,
  type FieldMap,
  type Logger,
  type PathDefinition,
  type Request,
  type Response,
  type Storage,
} from '@coffer/sdk';
import { exchange, ExchangeError } from './client.js';
import { readConfig, type RadiusConfig } from './config.js';
import { CODE_ACCESS_ACCEPT, CODE_ACCESS_CHALLENGE, CODE_ACCESS_REJECT, MAX_ATTRIBUTE_LENGTH, MAX_PASSWORD_LENGTH } from './packet.js';
import { readUser } from './users.js';

/** Vault's text for an Access-Reject and for any other response but an Access-Accept. */
export const ACCESS_DENIED = 'access denied by the authentication server';
/** Vault's text for a user the server accepts that has no policies. */
export const NO_POLICIES = 'authentication succeeded but user has no associated policies';

const LOGIN_FIELDS = {
  username: { type: 'string', description: 'Name of the RADIUS user.' },
  urlusername: { type: 'string', description: 'Name of the RADIUS user, from the path; "username" wins when both are set.' },
  password: { type: 'string', description: 'Password of the RADIUS user.' },
} as const;

export function pathLogin(logger: Logger): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'login(?:/(?<urlusername>.+))?',
    fields: LOGIN_FIELDS,
    operations: {
      update: async (request, fields) => {
        const username = fields.get('username') !== '' ? fields.get('username') : fields.get('urlusername');
        const password = fields.get('password');
        // Vault's messages.
        if (username === '') throw badRequest('username cannot be empty');
        if (password === '') throw badRequest('password cannot be empty');
        return login(request, username, password, logger);
      },
    },
    helpSynopsis: 'Log in with a RADIUS user name and password.',
    helpDescription: `
The name and password go to the RADIUS server in an Access-Request. On an
Access-Accept, the token gets the config's token_policies plus the user's
policies from users/<name>, or unregistered_user_policies for a user
without an entry.`,
  });
}

async function login(request: Request, username: string, password: string, logger: Logger): Promise<Response> {
  const config = await readConfig(request.storage);
  if (config === null) throw badRequest('radius backend not configured');
  if (!cidrAllowed(config.token.tokenBoundCidrs, request.remoteAddress)) throw permissionDenied();

  const policies = await authenticate(request.storage, config, username, password, logger);
  return {
    auth: authFromSettings(config.token, {
      policies,
      metadata: { username, policies: policies.join(',') },
      displayName: username,
      alias: { name: username },
      // As Vault does, the password is kept with the token (behind the
      // barrier, never returned) so that a renewal can ask the server again.
      internalData: { password },
    }),
  };
}

/**
 * Checks the credentials with the RADIUS server and returns the user's own
 * policies (without the config's token_policies).
 * @throws CofferError (400) for a rejection, which counts toward user
 *   lockout, or for a server that gave no verified response, which does not.
 */
async function authenticate(storage: Storage, config: RadiusConfig, username: string, password: string, logger: Logger): Promise<string[]> {
  if (Buffer.byteLength(username, 'utf8') > MAX_ATTRIBUTE_LENGTH) throw badRequest(`invalid "username": longer than ${MAX_ATTRIBUTE_LENGTH} bytes, the maximum of the RADIUS User-Name attribute`);
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_LENGTH) throw badRequest(`invalid "password": longer than ${MAX_PASSWORD_LENGTH} bytes, the maximum of the RADIUS User-Password attribute`);

  let response;
  try {
    response = await exchange(
      {
        host: config.host,
        port: config.port,
        secret: config.secret,
        username,
        password,
        nasPort: config.nasPort,
        nasIdentifier: config.nasIdentifier,
        dialTimeout: config.dialTimeout,
        readTimeout: config.readTimeout,
      },
      logger,
    );
  } catch (err) {
    if (!(err instanceof ExchangeError)) throw err;
    logger.warn({ server: `${config.host}:${config.port}`, err: { message: err.message } }, 'radius exchange failed');
    throw badRequest(err.message);
  }

  if (response.code === CODE_ACCESS_REJECT) throw invalidCredentials(ACCESS_DENIED);
  if (response.code === CODE_ACCESS_CHALLENGE) {
    // NOTE: as in Vault, Access-Challenge (multi-step logins such as one-time codes) is not supported.
    logger.info({ server: `${config.host}:${config.port}` }, 'radius server sent an access-challenge, which is not supported');
    throw badRequest(ACCESS_DENIED);
  }
  if (response.code !== CODE_ACCESS_ACCEPT) throw badRequest(ACCESS_DENIED);

  const user = await readUser(storage, username);
  if (user !== null) return user.policies;
  if (config.unregisteredUserPolicies.length === 0) throw badRequest(NO_POLICIES);
  return config.unregisteredUserPolicies;
}

/**
 * Renews a token of a login as Vault's radius method does. The password
 * kept from the login is sent to the server again, so a user the server no
 * longer accepts cannot renew. The config's token_policies plus the user's
 * current policies must equal the token's.
 * @throws CofferError (400) when the mount lost its config, the server
 *   rejects the user or the policies changed.
 */
export function radiusLoginRenewal(logger: Logger): (request: Request) => Promise<Response> {
  return async (request) => {
    const config = await readConfig(request.storage);
    if (config === null) throw badRequest('radius backend not configured, not renewing');
    const username = request.auth?.metadata.username ?? '';
    const password = request.auth?.internalData.password;
    if (username === '' || typeof password !== 'string') throw badRequest('the login kept no credentials, not renewing; log in again');

    const policies = await authenticate(request.storage, config, username, password, logger);
    return renewLogin(request, config.token, [...config.token.tokenPolicies, ...policies]);
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
