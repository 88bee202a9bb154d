/** `login`: checks a user's password and returns the identity and token settings. Coffer issues the token. */
import { badRequest, definePath, equivalentPolicies, type FieldMap, type PathDefinition, type Request, type Response } from '@coffer/sdk';
import { passwordMatches, readUser } from './users.js';

/** The error for an unknown user and for a wrong password alike, so a caller cannot tell which names exist. */
export const INVALID_CREDENTIALS = 'invalid username or password';

const loginPath = definePath({
  pattern: 'login',
  fields: {
    username: { type: 'string', description: 'Name of the user.', required: true },
    password: { type: 'string', description: 'Password of the user.', required: true },
  },
  operations: {
    async update(request, fields) {
      const username = fields.get('username');
      const user = await readUser(request.storage, username);
      if (user === null || !(await passwordMatches(user, fields.get('password')))) throw badRequest(INVALID_CREDENTIALS);
      return {
        auth: {
          policies: user.policies,
          ttl: user.ttl,
          maxTtl: user.maxTtl,
          renewable: true,
          displayName: username,
          metadata: { username },
          alias: { name: username },
        },
      };
    },
  },
  helpSynopsis: 'Log in with a user name and password.',
  helpDescription: 'Returns a token with the policies of the user. A wrong password and an unknown user get the same error.',
});

export const loginPaths: PathDefinition<FieldMap>[] = [loginPath];

/**
 * Renews a token this method issued. Coffer sends the login back, and the
 * renewal is allowed while the user still exists with the same policies.
 * Coffer caps the new TTL at the max TTL returned here.
 */
export async function renewUserLogin(request: Request): Promise<Response> {
  const login = request.auth;
  const username = login?.metadata.username ?? '';
  const user = await readUser(request.storage, username);
  if (login === undefined || user === null) throw badRequest(`user "${username}" no longer exists, not renewing`);
  if (!equivalentPolicies(login.policies, user.policies)) throw badRequest('policies have changed, not renewing');
  return { auth: { policies: login.policies, ttl: user.ttl, maxTtl: user.maxTtl } };
}
