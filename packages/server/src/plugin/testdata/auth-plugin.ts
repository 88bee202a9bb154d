/**
 * A small auth method served as an external plugin, for the plugin tests:
 * users with a password and policies, and an unauthenticated login path.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Backend, badRequest, definePath, nameSegment, permissionDenied, SDK_VERSION, serve, type AuthPlugin } from '@coffer/sdk';

interface StoredUser {
  /** Hex SHA-256 of the password; enough for a test plugin, not for a real one. */
  passwordHash: string;
  policies: string[];
}

function hashPassword(password: string): string {
  return createHash('sha256').update(password).digest('hex');
}

const plugin: AuthPlugin = {
  kind: 'auth',
  name: 'coffer-test-auth',
  version: '1.0.0',
  sdkVersion: SDK_VERSION,
  async factory() {
    return new Backend({
      backendType: 'credential',
      help: 'Logs users in with a password, for the external plugin tests.',
      specialPaths: { unauthenticated: ['login'] },
      // Renews while the user named in the login's internal data exists, for at most two hours.
      async authRenew(request) {
        const user = request.auth?.internalData.user;
        if (typeof user !== 'string' || (await request.storage.get(`users/${user}`)) === null) {
          throw badRequest('user no longer exists, not renewing');
        }
        return { auth: { policies: request.auth!.policies, ttl: 1800, maxTtl: 7200 } };
      },
      paths: [
        definePath({
          pattern: `users/${nameSegment('name')}`,
          fields: {
            name: { type: 'string', description: 'User name.', required: true },
            password: { type: 'string', description: 'Password of the user.' },
            policies: { type: 'comma_string_slice', description: 'Policies of tokens issued to the user.' },
          },
          operations: {
            async update(request, fields) {
              const user: StoredUser = { passwordHash: hashPassword(fields.get('password')), policies: fields.get('policies') };
              await request.storage.put({ key: `users/${fields.get('name')}`, value: Buffer.from(JSON.stringify(user)) });
              return null;
            },
          },
          helpSynopsis: 'Create or update a user.',
          helpDescription: 'Stores the hash of the password and the policies of the user.',
        }),
        definePath({
          pattern: 'login',
          fields: {
            username: { type: 'string', description: 'User name.', required: true },
            password: { type: 'string', description: 'Password.', required: true },
          },
          operations: {
            async update(request, fields) {
              const stored = await request.storage.get(`users/${fields.get('username')}`);
              if (stored === null) throw permissionDenied('invalid username or password');
              const user = JSON.parse(stored.value.toString('utf8')) as StoredUser;
              const supplied = Buffer.from(hashPassword(fields.get('password')), 'hex');
              if (!timingSafeEqual(supplied, Buffer.from(user.passwordHash, 'hex'))) throw permissionDenied('invalid username or password');
              return {
                auth: {
                  policies: user.policies,
                  displayName: fields.get('username'),
                  metadata: { username: fields.get('username') },
                  alias: { name: fields.get('username') },
                  internalData: { user: fields.get('username') },
                  ttl: 3600,
                  renewable: true,
                },
              };
            },
          },
          helpSynopsis: 'Log in with a username and password.',
          helpDescription: 'Returns a token with the user’s policies.',
        }),
      ],
    });
  },
};

await serve(plugin);
