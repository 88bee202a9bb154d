/**
 * `login/:username`: checks a password and returns the user's identity and
 * token settings. The server issues the token.
 */
import {
  authFromSettings,
  badRequest,
  definePath,
  invalidCredentials,
  nameSegment,
  permissionDenied,
  renewLogin,
  type FieldMap,
  type PathDefinition,
  type Request,
  type Response,
} from '@coffer/sdk';
import { addressAllowed } from './cidr.js';
import type { PasswordHasher } from './password.js';
import { USERNAME_FIELD } from './path-users.js';
import { readUser } from './user-store.js';

/** Vault's text for a wrong password and for an unknown user alike. */
export const INVALID_CREDENTIALS = 'invalid username or password';

const FIELDS = {
  username: USERNAME_FIELD,
  password: { type: 'string', description: 'Password of the user.' },
} as const;

export function pathLogin(hasher: PasswordHasher): PathDefinition<FieldMap> {
  return definePath({
    pattern: `login/${nameSegment('username')}`,
    fields: FIELDS,
    operations: {
      update: async (request, fields) => {
        const username = fields.get('username');
        const password = fields.get('password');
        if (password === '') throw badRequest('missing password');

        // An unknown user is checked against a dummy hash, so the rejection takes
        // as long as for a wrong password and does not reveal which names exist.
        const user = await readUser(request.storage, username);
        const matches = await hasher.verify(user?.passwordHash ?? (await hasher.dummyHash()), password);
        if (user === null || !matches) throw invalidCredentials(INVALID_CREDENTIALS);

        if (user.tokenBoundCidrs.length > 0 && !addressAllowed(request.remoteAddress, user.tokenBoundCidrs)) {
          throw permissionDenied();
        }
        return {
          auth: authFromSettings(user, {
            metadata: { username },
            displayName: username,
            alias: { name: username },
          }),
        };
      },
    },
    helpSynopsis: 'Log in with a username and password.',
    helpDescription: `
Returns a token with the user's policies and token settings. A wrong password
and an unknown user both get "invalid username or password" after the same
amount of hashing work.`,
  });
}

/**
 * Renews a token of a login, as Vault's userpass does: the user must still
 * exist with the policies the token was issued with, and the renewal gets
 * the user's current token TTLs.
 * @throws CofferError (400) when the user was deleted or its policies changed.
 */
export async function renewUserLogin(request: Request): Promise<Response> {
  const username = request.auth?.metadata.username ?? '';
  const user = username === '' ? null : await readUser(request.storage, username);
  if (user === null) throw badRequest(`user "${username}" no longer exists, not renewing`);
  return renewLogin(request, user);
}
