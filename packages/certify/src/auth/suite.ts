/**
 * The auth method conformance suite: logins, the token they produce, its
 * entity alias and TTLs, and the shape of rejected logins. Every check
 * talks to the enabled method over HTTP.
 */
import { SkipCheck, skippableByDescription, type Check } from '../check.js';
import { describeBody, type CofferHttp } from '../http.js';

/** One request the suite sends, with a path relative to the mount. */
export interface AuthRequest {
  path: string;
  data?: Record<string, unknown>;
}

/**
 * How to exercise one auth method, from the `certify { auth { ... } }` block
 * of its integration.hcl.
 */
export interface AuthDescription {
  /** Mount options for `sys/auth/<mount>` (the `options` map), if the method needs them. */
  options?: Record<string, string>;
  /** Requests that prepare a user or role before the first login, sent in order with the root token. */
  setup?: AuthRequest[];
  /** A login that must succeed. */
  login: AuthRequest;
  /** Logins that must fail, each wrong in a different part (user, password, role, ...). */
  bad_logins: AuthRequest[];
  /** Policies the token must carry, besides `default`. */
  policies: string[];
  /** Name of the entity alias the login must produce. */
  alias: string;
  /** Expected token TTL in seconds. */
  ttl: number;
  /** Expected token max TTL in seconds; renewal must not pass it. */
  max_ttl: number;
  skip?: Record<string, string>;
}

/** Context of every auth check. */
export interface AuthContext {
  http: CofferHttp;
  /** The mount path under `auth/`, without slashes, e.g. `corp`. */
  mount: string;
  description: AuthDescription;
  /** Filled by the login check for the checks after it. */
  state: { auth?: any };
}

async function login(context: AuthContext): Promise<any> {
  const { path, data } = context.description.login;
  const body = await context.http.expect([200], 'POST', `auth/${context.mount}/${path}`, data ?? {}, { token: null });
  if (body?.auth === null || typeof body?.auth !== 'object') throw new Error(`login returned no auth: ${describeBody(body)}`);
  return body.auth;
}

/** Returns the auth of the login check, or fails when that check did not get one. */
function loggedIn(context: AuthContext): any {
  if (context.state.auth === undefined) throw new Error('no token to check: the login check failed');
  return context.state.auth;
}

const loginCheck: Check<AuthContext> = {
  id: 'login',
  title: 'a valid login returns a token with the expected policies',
  required: true,
  async run(context) {
    for (const request of context.description.setup ?? []) {
      await context.http.expect([200, 204], 'POST', `auth/${context.mount}/${request.path}`, request.data ?? {});
    }
    const auth = await login(context);
    if (typeof auth.client_token !== 'string' || auth.client_token === '') throw new Error('login returned no client_token');
    const policies: string[] = auth.policies ?? [];
    for (const policy of context.description.policies) {
      if (!policies.includes(policy)) throw new Error(`the token has policies ${JSON.stringify(policies)}, missing "${policy}"`);
    }
    const self = await context.http.expect([200], 'GET', 'auth/token/lookup-self', undefined, { token: auth.client_token });
    if (self.data.path !== `auth/${context.mount}/${context.description.login.path}`) {
      throw new Error(`the token's path is "${self.data.path}", expected "auth/${context.mount}/${context.description.login.path}"`);
    }
    context.state.auth = auth;
  },
};

const aliasCheck: Check<AuthContext> = {
  id: 'entity-alias',
  title: 'the login creates an entity with an alias on the mount',
  required: true,
  async run(context) {
    const auth = loggedIn(context);
    const self = await context.http.expect([200], 'GET', 'auth/token/lookup-self', undefined, { token: auth.client_token });
    if (typeof self.data.entity_id !== 'string' || self.data.entity_id === '') throw new Error('the token has no entity_id: return an alias from login');
    const entity = await context.http.expect([200], 'GET', `identity/entity/id/${self.data.entity_id}`);
    const aliases: Array<{ name: string; mount_path: string }> = entity.data.aliases ?? [];
    const found = aliases.some((alias) => alias.name === context.description.alias && alias.mount_path === `auth/${context.mount}/`);
    if (!found) throw new Error(`the entity has aliases ${JSON.stringify(aliases.map((alias) => [alias.name, alias.mount_path]))}, expected "${context.description.alias}" on auth/${context.mount}/`);
  },
};

const ttlCheck: Check<AuthContext> = {
  id: 'ttl',
  title: 'the token has the TTL the method configured',
  required: true,
  async run(context) {
    const auth = loggedIn(context);
    if (auth.lease_duration !== context.description.ttl) throw new Error(`the token has lease_duration ${auth.lease_duration}, expected ${context.description.ttl}`);
  },
};

const renewCheck: Check<AuthContext> = {
  id: 'renew-max-ttl',
  title: 'renewing the token never extends it past its max TTL, and a non-renewable token does not renew',
  required: true,
  async run(context) {
    const auth = loggedIn(context);
    const increment = context.description.max_ttl * 10;
    if (auth.renewable !== true) {
      const rejected = await context.http.call('PUT', 'auth/token/renew-self', { increment }, { token: auth.client_token });
      if (rejected.status !== 400) throw new Error(`renewing a token issued as not renewable returned ${rejected.status}, expected 400`);
      return;
    }
    const renewed = await context.http.expect([200], 'PUT', 'auth/token/renew-self', { increment }, { token: auth.client_token });
    const duration: unknown = renewed?.auth?.lease_duration;
    if (typeof duration !== 'number') throw new Error(`renewal returned no lease_duration: ${describeBody(renewed)}`);
    if (duration > context.description.max_ttl) throw new Error(`renewal with increment ${increment} returned lease_duration ${duration}, past the max TTL of ${context.description.max_ttl}`);
  },
};

const badCredentialsCheck: Check<AuthContext> = {
  id: 'bad-credentials',
  title: 'every rejected login gets the same status and error, whichever part was wrong',
  required: true,
  async run(context) {
    const { bad_logins: badLogins } = context.description;
    if (badLogins.length === 0) throw new SkipCheck('the description lists no bad_logins');
    const answers: string[] = [];
    for (const request of badLogins) {
      const result = await context.http.call('POST', `auth/${context.mount}/${request.path}`, request.data ?? {}, { token: null });
      if (result.status < 400 || result.status >= 500) throw new Error(`a bad login at "${request.path}" returned ${result.status}, expected 400 or 403`);
      if (JSON.stringify(result.body).includes('client_token')) throw new Error(`a bad login at "${request.path}" returned a token`);
      answers.push(`${result.status} ${JSON.stringify(result.body)}`);
    }
    const distinct = [...new Set(answers)];
    if (distinct.length > 1) {
      throw new Error(`bad logins got different responses, which tell an attacker which part was wrong: ${distinct.join(' | ')}`);
    }
  },
};


/** The auth method checks, in order; the login check feeds the token to the ones after it. */
export const authChecks: readonly Check<AuthContext>[] = [loginCheck, aliasCheck, ttlCheck, renewCheck, badCredentialsCheck].map(skippableByDescription);
