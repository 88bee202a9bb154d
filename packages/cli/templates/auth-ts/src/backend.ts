/** The credential backend of one mount: users and the login path. */
import { Backend } from '@coffer/sdk';
import { loginPaths, renewUserLogin } from './path-login.js';
import { userPaths } from './path-users.js';

export function createBackend(): Backend {
  return new Backend({
    backendType: 'credential',
    help: 'Logs users in with a name and a password.',
    paths: [...userPaths, ...loginPaths],
    // Login needs no token; every other path does.
    specialPaths: { unauthenticated: ['login'] },
    // Token renewals of logins come back here.
    authRenew: renewUserLogin,
  });
}
