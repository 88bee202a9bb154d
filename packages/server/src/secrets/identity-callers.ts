/**
 * Callers with identity entities for the secrets engine tests that render
 * identity templates: userpass users who log in, which creates their
 * entities and aliases, and whose entities get names and metadata through
 * the identity API.
 */
import { callerFor, enableAuth, expectStatus, type Caller } from '../identity/test-support.js';
import type { RunningServer } from '../server.js';

/** A logged-in userpass user. */
export interface IdentityCaller {
  token: string;
  entityId: string;
  call: Caller;
}

export interface IdentityCallers {
  /** Accessor of the userpass mount, for `identity.entity.aliases.<accessor>` templates. */
  accessor: string;
  alice: IdentityCaller;
  bob: IdentityCaller;
}

/**
 * Enables userpass, creates the users alice and bob with `policies`, logs
 * both in, and names each entity after its user. Alice's entity gets the
 * metadata `team=payments`, and bob's entity has none.
 */
export async function createIdentityCallers(server: RunningServer, rootToken: string, policies: string[]): Promise<IdentityCallers> {
  const root = callerFor(server, rootToken);
  const accessor = await enableAuth(root, 'userpass', 'userpass');

  const login = async (username: string, metadata: Record<string, string>): Promise<IdentityCaller> => {
    const password = `${username}-password`;
    expectStatus(await root('POST', `auth/userpass/users/${username}`, { password, token_policies: policies.join(',') }), 204, `create user ${username}`);
    const loggedIn = await callerFor(server, '')('POST', `auth/userpass/login/${username}`, { password });
    expectStatus(loggedIn, 200, `log in ${username}`);
    const { client_token: token, entity_id: entityId } = loggedIn.body.auth as { client_token: string; entity_id: string };
    expectStatus(await root('POST', `identity/entity/id/${entityId}`, { name: username, metadata }), 204, `name the entity of ${username}`);
    return { token, entityId, call: callerFor(server, token) };
  };

  return {
    accessor,
    alice: await login('alice', { team: 'payments' }),
    bob: await login('bob', {}),
  };
}
