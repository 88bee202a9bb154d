/**
 * The userpass auth method: users with a password, stored under `user/`,
 * log in at `login/<username>`.
 *
 * Passwords are hashed with argon2id on libuv's thread pool. Usernames are
 * case-insensitive: every path lowercases them, as Vault does.
 */
import { Backend, KeyedLock, type BackendConfig } from '@coffer/sdk';
import { createArgon2Hasher, type PasswordHasher } from './password.js';
import { pathLogin, renewUserLogin } from './path-login.js';
import { pathUserPassword } from './path-user-password.js';
import { pathUserPolicies } from './path-user-policies.js';
import { pathUsers, pathUsersList } from './path-users.js';

const HELP = `
The userpass auth method lets users log in with a username and password.
Manage users under users/ and log in at login/<username>.`;

/** Creates the backend for one mount. `hasher` exists for tests that count hashing calls. */
export function createBackend(_config: BackendConfig, hasher: PasswordHasher = createArgon2Hasher()): Backend {
  const deps = { hasher, locks: new KeyedLock() };
  return new Backend({
    backendType: 'credential',
    help: HELP,
    paths: [pathUsersList(), pathUsers(deps), pathUserPassword(deps), pathUserPolicies(deps), pathLogin(hasher)],
    specialPaths: { unauthenticated: ['login', 'login/*'] },
    authRenew: renewUserLogin,
    // Compute the dummy hash before the first login, so that login is not slower.
    initialize: async () => {
      await hasher.dummyHash();
    },
  });
}
