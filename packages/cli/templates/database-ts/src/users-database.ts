/**
 * One connection to the example database: a SQLite file with a `users`
 * table. It replaces your database here so the project builds and tests
 * offline. Replace the SQLite calls with your database's client and
 * the default statements with its own SQL or commands.
 *
 * Statements get `{{name}}` (also `{{username}}`), `{{password}}`,
 * `{{expiration}}` (ISO 8601) and this plugin's `{{password_hash}}`, a
 * verifier of the password, so the table never contains a password.
 */
import Sqlite from 'better-sqlite3';
import {
  renderStatement,
  renderUsernameTemplate,
  splitStatements,
  type Database,
  type DeleteUserRequest,
  type InitializeRequest,
  type InitializeResponse,
  type NewUserRequest,
  type NewUserResponse,
  type Statements,
  type UpdateUserRequest,
} from '@coffer/sdk';
import { hashPassword, passwordMatches } from './passwords.js';

const DEFAULT_USERNAME_TEMPLATE = 'v-{{.DisplayName | truncate 8}}-{{.RoleName | truncate 8}}-{{random 20}}';
const DEFAULT_CREATION = ["INSERT INTO users (name, password_hash, expires_at) VALUES ('{{name}}', '{{password_hash}}', '{{expiration}}');"];
const DEFAULT_ROTATION = ["UPDATE users SET password_hash = '{{password_hash}}' WHERE name = '{{name}}';"];
const DEFAULT_RENEWAL = ["UPDATE users SET expires_at = '{{expiration}}' WHERE name = '{{name}}';"];
const DEFAULT_REVOCATION = ["DELETE FROM users WHERE name = '{{name}}';"];

interface UserRow {
  password_hash: string;
  expires_at: string | null;
}

export class UsersDatabase implements Database {
  private db: Sqlite.Database | undefined;
  private usernameTemplate = DEFAULT_USERNAME_TEMPLATE;

  async initialize(request: InitializeRequest): Promise<InitializeResponse> {
    const { path, username, password } = request.config;
    if (typeof path !== 'string' || path === '') throw new Error('missing setting "path": the SQLite file of the users table');
    if (typeof request.config.username_template === 'string' && request.config.username_template !== '') this.usernameTemplate = request.config.username_template;

    this.db?.close();
    this.db = new Sqlite(path);
    this.db.exec('CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, expires_at TEXT)');
    // The first connection to an empty file makes its account the administrator, as installing a database would.
    const empty = this.db.prepare('SELECT COUNT(*) AS count FROM users').get() as { count: number };
    if (empty.count === 0 && typeof username === 'string' && username !== '') {
      this.db.prepare('INSERT INTO users (name, password_hash, expires_at) VALUES (?, ?, NULL)').run(username, hashPassword(String(password ?? '')));
    }
    if (request.verifyConnection && !this.logsIn(String(username ?? ''), String(password ?? ''))) {
      throw new Error(`login as "${String(username ?? '')}" failed: wrong username or password, or the account expired`);
    }
    return { config: request.config };
  }

  async newUser(request: NewUserRequest): Promise<NewUserResponse> {
    const username = renderUsernameTemplate(this.usernameTemplate, request.usernameConfig);
    const values = { name: username, username, password: request.password, password_hash: hashPassword(request.password), expiration: request.expiration.toISOString() };
    try {
      this.run(request.statements, DEFAULT_CREATION, values);
    } catch (error) {
      if (request.rollbackStatements.commands.length > 0) this.run(request.rollbackStatements, [], values);
      throw error;
    }
    return { username };
  }

  async updateUser(request: UpdateUserRequest): Promise<void> {
    const name = request.username;
    if (request.password !== undefined) {
      const { newPassword, statements } = request.password;
      this.run(statements, DEFAULT_ROTATION, { name, username: name, password: newPassword, password_hash: hashPassword(newPassword) });
    }
    if (request.expiration !== undefined) {
      const { newExpiration, statements } = request.expiration;
      this.run(statements, DEFAULT_RENEWAL, { name, username: name, expiration: newExpiration.toISOString() });
    }
  }

  async deleteUser(request: DeleteUserRequest): Promise<void> {
    // Deleting a user that does not exist succeeds: the DELETE matches no row.
    this.run(request.statements, DEFAULT_REVOCATION, { name: request.username, username: request.username });
  }

  async type(): Promise<string> {
    return 'sqlite-users';
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }

  /** Returns whether the users table accepts this login. */
  logsIn(username: string, password: string): boolean {
    const row = this.connection().prepare('SELECT password_hash, expires_at FROM users WHERE name = ?').get(username) as UserRow | undefined;
    if (row === undefined || !passwordMatches(password, row.password_hash)) return false;
    return row.expires_at === null || Date.parse(row.expires_at) > Date.now();
  }

  private connection(): Sqlite.Database {
    if (this.db === undefined) throw new Error('the connection is not initialized');
    return this.db;
  }

  /** Runs the role's statements, or the defaults when it has none, in one transaction. */
  private run(statements: Statements, defaults: string[], values: Record<string, string>): void {
    const commands = splitStatements(statements.commands.length > 0 ? statements : { commands: defaults });
    const db = this.connection();
    db.transaction(() => {
      for (const command of commands) db.exec(renderStatement(command, values));
    })();
  }
}
