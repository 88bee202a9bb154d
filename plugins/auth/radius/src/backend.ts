/**
 * The RADIUS auth method: users log in with a name and password that a
 * RADIUS server (RFC 2865) checks, and get policies from users/<name> or
 * the config's unregistered_user_policies.
 *
 * Paths. Each pattern starts with its own literal, so no two match the same
 * request and the order does not matter:
 *
 *   config                   the server, shared secret and timeouts
 *   users/, users/<name>     policies of a user
 *   login, login/<username>  the login, reachable without a token
 */
import { Backend, KeyedLock, type BackendConfig } from '@coffer/sdk';
import { pathConfig } from './path-config.js';
import { pathLogin, radiusLoginRenewal } from './path-login.js';
import { pathUsers, pathUsersList } from './path-users.js';

const HELP = `
The radius auth method checks a user name and password with a RADIUS server.
Configure the server at config, give users policies at users/<name>, and log
in at login or login/<username>.`;

export function createBackend(config: BackendConfig): Backend {
  const logger = config.logger.child({ plugin: 'radius', mount: config.mountPoint });
  return new Backend({
    backendType: 'credential',
    help: HELP,
    paths: [pathConfig(new KeyedLock()), pathUsersList(), pathUsers(), pathLogin(logger)],
    specialPaths: { unauthenticated: ['login', 'login/*'] },
    authRenew: radiusLoginRenewal(logger),
  });
}
