/**
 * The GitHub auth method: members of a GitHub organization log in with a
 * personal access token, and get policies through their teams and logins.
 *
 * Paths. Each pattern starts with its own literal and no two match the
 * same request, so the order does not matter:
 *
 *   config                       the organization, the API and token settings
 *   map/teams/, map/teams/<team> policies of a team
 *   map/users/, map/users/<user> policies of a user
 *   login                        the login, reachable without a token
 */
import { Backend, KeyedLock, type BackendConfig } from '@coffer/sdk';
import { pathConfig } from './path-config.js';
import { gitHubLoginRenewal, pathLogin } from './path-login.js';
import { pathMap, pathMapList } from './path-map.js';

const HELP = `
The github auth method logs in members of a GitHub organization with a
personal access token. Configure the organization at config, map teams and
users to policies at map/teams/<team> and map/users/<user>, and log in at
login with token=<personal access token>.`;

export function createBackend(config: BackendConfig): Backend {
  const logger = config.logger.child({ plugin: 'github', mount: config.mountPoint });
  return new Backend({
    backendType: 'credential',
    help: HELP,
    paths: [
      pathConfig(new KeyedLock(), logger),
      pathMapList('teams'),
      pathMap('teams'),
      pathMapList('users'),
      pathMap('users'),
      pathLogin(logger),
    ],
    specialPaths: { unauthenticated: ['login'] },
    authRenew: gitHubLoginRenewal(logger),
  });
}
