/**
 * The LDAP auth method: users log in with their directory password, and get
 * policies through the directory groups they belong to.
 *
 * Paths, in match order. Each pattern starts with its own literal, so no two
 * match the same request and the order does not matter:
 *
 *   config               the directory and how users and groups are found
 *   groups/, groups/<n>  policies of a group
 *   users/, users/<n>    policies and local groups of a user
 *   login/<username>     the login, reachable without a token
 */
import { Backend, type BackendConfig } from '@coffer/sdk';
import { ConfigLock, pathConfig } from './path-config.js';
import { pathGroups, pathGroupsList } from './path-groups.js';
import { directoryLoginRenewal, pathLogin } from './path-login.js';
import { pathUsers, pathUsersList } from './path-users.js';

const HELP = `
The ldap auth method checks a user name and password against an LDAP server
and grants the policies of the user and of the user's groups. Configure the
server at config, map groups to policies at groups/<name>, give single users
policies or local groups at users/<name>, and log in at login/<username>.`;

export function createBackend(config: BackendConfig): Backend {
  const logger = config.logger.child({ plugin: 'ldap', mount: config.mountPoint });
  return new Backend({
    backendType: 'credential',
    help: HELP,
    paths: [pathConfig(new ConfigLock()), pathGroupsList(), pathGroups(), pathUsersList(), pathUsers(), pathLogin(logger)],
    specialPaths: { unauthenticated: ['login/*'] },
    authRenew: directoryLoginRenewal(logger),
  });
}
