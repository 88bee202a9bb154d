/**
 * The database plugin conformance suite: one set of cases that every
 * database plugin runs against a real database, built-in or a vendor's, so
 * that all of them honour the contract written on `Database` in
 * `@coffer/sdk`.
 *
 * @example
 * ```ts
 * import { runDatabaseConformance } from '@coffer/certify';
 * import { plugin } from './index.js';
 *
 * runDatabaseConformance({
 *   plugin,
 *   config: { connection_url: 'mysql://{{username}}:{{password}}@127.0.0.1:3306/test', username: 'root', password: '' },
 *   creationStatements: [`CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';`],
 *   checkPassword: (username, password) => tryLogin(username, password),
 *   userExists: (username) => lookUpUser(username),
 * });
 * ```
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { generatePassword, SDK_VERSION, type Database, type DatabasePlugin, type NewUserRequest } from '@coffer/sdk';

/** How to run the conformance suite against one database plugin. */
export interface DatabaseConformanceOptions {
  plugin: DatabasePlugin;
  /** Settings of an administrator account on the test database, as `config/:name` would pass them. */
  config: Record<string, unknown>;
  /** Statements that create a user who can log in. */
  creationStatements: string[];
  /**
   * Returns whether the database accepts `password` for `username`, by
   * logging in or by checking the stored verifier.
   */
  checkPassword(username: string, password: string): Promise<boolean>;
  /** Returns whether the user exists in the database. */
  userExists(username: string): Promise<boolean>;
  /** Settings that cannot connect, such as a closed port; the suite checks the error hides their secrets. */
  unreachableConfig?: Record<string, unknown>;
}

/** Declares the suite's tests with `node:test`. */
export function runDatabaseConformance(options: DatabaseConformanceOptions): void {
  const { plugin } = options;

  describe(`database plugin conformance: ${plugin.name}`, () => {
    let database: Database;
    const display = `c${randomBytes(3).toString('hex')}`;
    const created = new Set<string>();
    const newUser = (roleName: string, password: string): NewUserRequest => ({
      usernameConfig: { displayName: display, roleName },
      password,
      expiration: new Date(Date.now() + 3600_000),
      statements: { commands: options.creationStatements },
      rollbackStatements: { commands: [] },
    });

    before(async () => {
      database = await plugin.create();
      const result = await database.initialize({ config: options.config, verifyConnection: true });
      assert.deepEqual(Object.keys(result.config).sort(), Object.keys(options.config).sort(), 'initialize keeps every setting');
    });
    after(async () => {
      for (const username of created) await database.deleteUser({ username, statements: { commands: [] } }).catch(() => undefined);
      await database.close();
    });

    test('metadata', () => {
      assert.equal(plugin.kind, 'database');
      assert.equal(plugin.sdkVersion, SDK_VERSION);
      assert.match(plugin.version, /^v?\d+\.\d+\.\d+/);
    });

    test('new user logs in', async () => {
      const password = generatePassword();
      const { username } = await database.newUser(newUser('conform', password));
      created.add(username);
      // Templates may change the case, as Redis's default uppercases its parts.
      assert.ok(username.toLowerCase().includes(display), `username "${username}" should contain the display name "${display}"`);
      assert.equal(await options.userExists(username), true);
      assert.equal(await options.checkPassword(username, password), true);
      assert.equal(await options.checkPassword(username, `${password}x`), false);
    });

    test('usernames are unique', async () => {
      const first = await database.newUser(newUser('unique', generatePassword()));
      created.add(first.username);
      const second = await database.newUser(newUser('unique', generatePassword()));
      created.add(second.username);
      assert.notEqual(first.username, second.username);
    });

    test('password change', async () => {
      const { username } = await database.newUser(newUser('rotate', generatePassword()));
      created.add(username);
      const newPassword = generatePassword();
      await database.updateUser({ username, password: { newPassword, statements: { commands: [] } } });
      assert.equal(await options.checkPassword(username, newPassword), true);
    });

    test('expiration change', async () => {
      const { username } = await database.newUser(newUser('renew', generatePassword()));
      created.add(username);
      await database.updateUser({ username, expiration: { newExpiration: new Date(Date.now() + 7200_000), statements: { commands: [] } } });
      assert.equal(await options.userExists(username), true);
    });

    test('delete user', async () => {
      const password = generatePassword();
      const { username } = await database.newUser(newUser('delete', password));
      created.add(username);
      await database.deleteUser({ username, statements: { commands: [] } });
      assert.equal(await options.userExists(username), false);
      await database.deleteUser({ username, statements: { commands: [] } });
      created.delete(username);
    });

    test('errors hide secrets', { skip: options.unreachableConfig === undefined ? 'no unreachableConfig given' : false }, async () => {
      const other = await plugin.create();
      const config = options.unreachableConfig!;
      await assert.rejects(other.initialize({ config, verifyConnection: true }), (err: Error) => {
        const password = typeof config.password === 'string' ? config.password : '';
        if (password !== '') assert.equal(err.message.includes(password), false, `error "${err.message}" contains the password`);
        return true;
      });
      await other.close();
    });
  });
}
