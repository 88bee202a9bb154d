/**
 * The database plugin suite of `coffer plugin certify`: checks that drive a
 * registered database plugin through the database secrets engine of a real
 * Coffer server, over HTTP, as an operator would. A login is verified with
 * the plugin itself: the suite writes a connection that uses the new user's
 * credentials with `verify_connection`, which makes the plugin log in.
 */
import { randomBytes } from 'node:crypto';
import { SkipCheck, skippableByDescription, type Check } from '../check.js';
import { describeBody, type CofferHttp } from '../http.js';

/**
 * How to exercise one database plugin, from the `certify { database { ... } }`
 * block of its integration.hcl.
 */
export interface DatabaseDescription {
  /**
   * Settings of `config/:name` for an administrator account of the test
   * database, such as `connection_url`, `username` and `password`.
   */
  connection: Record<string, unknown>;
  /** The role's `creation_statements`: they must create a user who can log in. */
  creation_statements: string[];
  /** The role's `revocation_statements`; the plugin's default when absent. */
  revocation_statements?: string[];
  /**
   * Statements that succeed without creating a user, such as `SELECT 1`. The
   * suite uses them to revoke a user that does not exist; without them that
   * check is skipped.
   */
  noop_statements?: string[];
  /**
   * True when a connection with a user's `username` and `password` in place
   * of the administrator's logs in as that user, so the suite can check
   * logins through the plugin.
   */
  login_check?: boolean;
  /** True when the plugin supports `rotate-root` for an account that may change its own password. */
  root_rotation?: boolean;
  /** Check ids to skip, each with the reason. */
  skip?: Record<string, string>;
}

/** Context of every database check. */
export interface DatabaseContext {
  http: CofferHttp;
  /** Mount path of the database engine, without slashes, e.g. `certify-db`. */
  mount: string;
  /** `plugin_name` of the connection: the catalog name, or a built-in plugin's name. */
  pluginName: string;
  description: DatabaseDescription;
  /** Filled by the checks for the ones after them. */
  state: { connection?: string; lease?: Credentials };
}

interface Credentials {
  leaseId: string;
  username: string;
  password: string;
}

/** Seconds of the test role's default and maximum TTL. */
const ROLE_TTL = 3600;
const ROLE_MAX_TTL = 7200;

function suffix(): string {
  return randomBytes(3).toString('hex');
}

function connectionSettings(context: DatabaseContext, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...context.description.connection, plugin_name: context.pluginName, verify_connection: true, ...overrides };
}

/** Returns the name of the connection the configure check wrote, or fails when that check did not write one. */
function configured(context: DatabaseContext): string {
  if (context.state.connection === undefined) throw new Error('no connection to use: the configure check failed');
  return context.state.connection;
}

async function writeRole(context: DatabaseContext, role: string, creationStatements: string[]): Promise<void> {
  const body: Record<string, unknown> = {
    db_name: configured(context),
    creation_statements: creationStatements,
    default_ttl: ROLE_TTL,
    max_ttl: ROLE_MAX_TTL,
  };
  if (context.description.revocation_statements !== undefined) body.revocation_statements = context.description.revocation_statements;
  await context.http.expect([204], 'POST', `${context.mount}/roles/${role}`, body);
}

async function readCredentials(context: DatabaseContext, role: string): Promise<Credentials> {
  const body = await context.http.expect([200], 'GET', `${context.mount}/creds/${role}`);
  const { username, password } = body?.data ?? {};
  if (typeof username !== 'string' || username === '') throw new Error(`creds/${role} returned no username: ${describeBody(body)}`);
  if (typeof password !== 'string' || password === '') throw new Error(`creds/${role} returned no password`);
  const prefix = `${context.mount}/creds/${role}/`;
  if (typeof body.lease_id !== 'string' || !body.lease_id.startsWith(prefix)) throw new Error(`creds/${role} returned lease_id "${body.lease_id}", expected one under "${prefix}"`);
  if (body.renewable !== true) throw new Error(`creds/${role} returned renewable ${body.renewable}, expected true`);
  if (body.lease_duration !== ROLE_TTL) throw new Error(`creds/${role} returned lease_duration ${body.lease_duration}, expected the role's default_ttl ${ROLE_TTL}`);
  return { leaseId: body.lease_id, username, password };
}

/**
 * Returns whether the plugin logs in with these credentials, by writing a
 * throwaway connection with `verify_connection`. The connection is deleted
 * again. A rejected login must be a 400 whose message does not contain the
 * password.
 */
async function logsIn(context: DatabaseContext, username: string, password: string): Promise<boolean> {
  const name = `certify-login-${suffix()}`;
  const result = await context.http.call('POST', `${context.mount}/config/${name}`, connectionSettings(context, { username, password, allowed_roles: '' }));
  await context.http.expect([204], 'DELETE', `${context.mount}/config/${name}`);
  if (result.status === 204) return true;
  if (result.status !== 400) throw new Error(`a connection as "${username}" returned ${result.status}, expected 204 or 400: ${describeBody(result.body)}`);
  if (JSON.stringify(result.body).includes(password)) throw new Error(`the error of a failed login contains the password: ${describeBody(result.body)}`);
  return false;
}

function requireLoginCheck(context: DatabaseContext): void {
  if (context.description.login_check !== true) throw new SkipCheck('the description does not set login_check = true, so logins cannot be verified through the plugin');
}

async function expectLogin(context: DatabaseContext, username: string, password: string, expected: boolean, what: string): Promise<void> {
  if ((await logsIn(context, username, password)) !== expected) {
    throw new Error(`${what}: a login as "${username}" ${expected ? 'was rejected' : 'succeeded'}, expected it to ${expected ? 'succeed' : 'fail'}`);
  }
}

async function revoke(context: DatabaseContext, leaseId: string): Promise<void> {
  await context.http.expect([204], 'PUT', 'sys/leases/revoke', { lease_id: leaseId });
  const lookup = await context.http.call('PUT', 'sys/leases/lookup', { lease_id: leaseId });
  if (lookup.status !== 400) throw new Error(`lease "${leaseId}" is still there after revoke (lookup returned ${lookup.status}), so revoking the user failed: ${describeBody(lookup.body)}`);
}

const configureCheck: Check<DatabaseContext> = {
  id: 'configure',
  title: 'config/:name accepts the connection, verifies it and never returns the password',
  required: true,
  async run(context) {
    const name = `certify-${suffix()}`;
    await context.http.expect([204], 'POST', `${context.mount}/config/${name}`, connectionSettings(context, { allowed_roles: '*' }));
    const body = await context.http.expect([200], 'GET', `${context.mount}/config/${name}`);
    if (body?.data?.plugin_name !== context.pluginName) throw new Error(`config/${name} returned plugin_name "${body?.data?.plugin_name}", expected "${context.pluginName}"`);
    const password = context.description.connection.password;
    if (typeof password === 'string' && password !== '' && JSON.stringify(body).includes(password)) throw new Error(`config/${name} returned the password`);
    context.state.connection = name;
  },
};

const createUserCheck: Check<DatabaseContext> = {
  id: 'create-user',
  title: 'creds/:role creates a user and returns a renewable lease with the role TTL',
  required: true,
  async run(context) {
    await writeRole(context, 'certify', context.description.creation_statements);
    context.state.lease = await readCredentials(context, 'certify');
    const second = await readCredentials(context, 'certify');
    await revoke(context, second.leaseId);
    if (second.username === context.state.lease.username) throw new Error(`two reads of creds/certify returned the same username "${second.username}"`);
  },
};

/** Returns the lease of the create-user check, or fails when that check did not get one. */
function createdUser(context: DatabaseContext): Credentials {
  if (context.state.lease === undefined) throw new Error('no user to check: the create-user check failed');
  return context.state.lease;
}

const loginCheck: Check<DatabaseContext> = {
  id: 'user-logs-in',
  title: 'the new user logs in with its password and not with another',
  required: true,
  async run(context) {
    requireLoginCheck(context);
    const { username, password } = createdUser(context);
    await expectLogin(context, username, password, true, 'the password from creds/certify');
    await expectLogin(context, username, `${password}x`, false, 'a wrong password');
  },
};

const updatePasswordCheck: Check<DatabaseContext> = {
  id: 'update-password',
  title: 'a static role and rotate-role change the user password',
  required: true,
  async run(context) {
    const user = createdUser(context);
    const role = `certify-static-${suffix()}`;
    await context.http.expect([204], 'POST', `${context.mount}/static-roles/${role}`, { db_name: configured(context), username: user.username, rotation_period: 86400 });
    try {
      const first = await context.http.expect([200], 'GET', `${context.mount}/static-creds/${role}`);
      const rotated: string = first?.data?.password;
      if (typeof rotated !== 'string' || rotated === '' || rotated === user.password) throw new Error('creating the static role did not set a new password');
      await context.http.expect([204], 'POST', `${context.mount}/rotate-role/${role}`);
      const second = await context.http.expect([200], 'GET', `${context.mount}/static-creds/${role}`);
      const again: string = second?.data?.password;
      if (typeof again !== 'string' || again === rotated) throw new Error('rotate-role did not set a new password');
      if (context.description.login_check === true) {
        await expectLogin(context, user.username, again, true, 'the password after rotate-role');
        await expectLogin(context, user.username, user.password, false, 'the password from before the rotation');
      }
      user.password = again;
    } finally {
      await context.http.expect([204], 'DELETE', `${context.mount}/static-roles/${role}`);
    }
  },
};

const updateExpirationCheck: Check<DatabaseContext> = {
  id: 'update-expiration',
  title: 'renewing the lease updates the user expiration',
  required: true,
  async run(context) {
    const { leaseId } = createdUser(context);
    const body = await context.http.expect([200], 'PUT', 'sys/leases/renew', { lease_id: leaseId, increment: ROLE_MAX_TTL });
    if (body?.lease_id !== leaseId) throw new Error(`renew returned lease_id "${body?.lease_id}", expected "${leaseId}"`);
    if (typeof body.lease_duration !== 'number' || body.lease_duration <= ROLE_TTL || body.lease_duration > ROLE_MAX_TTL) {
      throw new Error(`renew returned lease_duration ${body.lease_duration}, expected more than ${ROLE_TTL} and at most the role's max_ttl ${ROLE_MAX_TTL}`);
    }
  },
};

const deleteUserCheck: Check<DatabaseContext> = {
  id: 'delete-user',
  title: 'revoking the lease deletes the user',
  required: true,
  async run(context) {
    const user = createdUser(context);
    await revoke(context, user.leaseId);
    if (context.description.login_check === true) await expectLogin(context, user.username, user.password, false, 'the user after revoke');
  },
};

const deleteMissingUserCheck: Check<DatabaseContext> = {
  id: 'delete-missing-user',
  title: 'revoking a user that does not exist succeeds',
  required: true,
  async run(context) {
    const noop = context.description.noop_statements;
    if (noop === undefined || noop.length === 0) throw new SkipCheck('the description gives no noop_statements, so the suite cannot make a lease whose user does not exist');
    await writeRole(context, 'certify-ghost', noop);
    const ghost = await readCredentials(context, 'certify-ghost');
    await revoke(context, ghost.leaseId);
  },
};

const rotateRootCheck: Check<DatabaseContext> = {
  id: 'rotate-root',
  title: "rotate-root changes the connection account's password",
  required: true,
  async run(context) {
    if (context.description.root_rotation !== true) throw new SkipCheck('the description does not set root_rotation = true');
    // The account is a fresh user, so the administrator's password stays as it is.
    const account = await readCredentials(context, 'certify');
    const name = `certify-root-${suffix()}`;
    try {
      await context.http.expect([204], 'POST', `${context.mount}/config/${name}`, connectionSettings(context, { username: account.username, password: account.password, allowed_roles: '' }));
      await context.http.expect([204, 200], 'POST', `${context.mount}/rotate-root/${name}`);
      if (context.description.login_check === true) await expectLogin(context, account.username, account.password, false, 'the password from before rotate-root');
      await context.http.expect([204], 'POST', `${context.mount}/reset/${name}`);
    } finally {
      await context.http.call('DELETE', `${context.mount}/config/${name}`);
      await revoke(context, account.leaseId);
    }
  },
};

/** The database suite in the order it runs; later checks use the user the create-user check made. */
export const databaseChecks: readonly Check<DatabaseContext>[] = [
  configureCheck,
  createUserCheck,
  loginCheck,
  updatePasswordCheck,
  updateExpirationCheck,
  deleteUserCheck,
  deleteMissingUserCheck,
  rotateRootCheck,
].map(skippableByDescription);
