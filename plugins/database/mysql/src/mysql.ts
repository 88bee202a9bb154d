/**
 * Users in MySQL and MariaDB, for the database secrets engine. Settings and
 * defaults follow Vault's `mysql-database-plugin`: `connection_url` is a
 * URL such as `mysql://{{username}}:{{password}}@127.0.0.1:3306/db` (or
 * Vault's DSN form `{{username}}:{{password}}@tcp(127.0.0.1:3306)/db`), and
 * a role must give its own creation statements.
 */
import {
  parseSqlConnectionSettings,
  renderStatement,
  renderUsernameTemplate,
  scrubSecrets,
  splitStatements,
  statementsOrDefault,
  type Database,
  type DeleteUserRequest,
  type InitializeRequest,
  type InitializeResponse,
  type NewUserRequest,
  type NewUserResponse,
  type SqlConnectionSettings,
  type Statements,
  type UpdateUserRequest,
} from '@coffer/sdk';
import mysql from 'mysql2/promise';

/** Vault's default username template for MySQL, cut to 32 characters, the longest name MySQL 5.7 and later accept. */
export const DEFAULT_USERNAME_TEMPLATE =
  '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 32 }}';

const DEFAULT_ROTATION = [`ALTER USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';`];
const DEFAULT_REVOCATION = [`REVOKE ALL PRIVILEGES, GRANT OPTION FROM '{{name}}'@'%'; DROP USER IF EXISTS '{{name}}'@'%';`];
const DEFAULT_ROLLBACK = [`DROP USER IF EXISTS '{{name}}'@'%';`];

type Settings = SqlConnectionSettings;

export class MySqlDatabase implements Database {
  private settings: Settings | undefined;
  private pool: mysql.Pool | undefined;
  /** Operations started and not yet finished, which `close` waits for. */
  private readonly inFlight = new Set<Promise<void>>();

  async initialize(request: InitializeRequest): Promise<InitializeResponse> {
    const settings = parseSettings(request.config);
    await this.close();
    this.settings = settings;
    this.pool = mysql.createPool({ ...connectionOptions(settings), connectionLimit: settings.maxOpenConnections, multipleStatements: false });
    if (request.verifyConnection) {
      await this.run(async (connection) => {
        await connection.query('SELECT 1');
      }, 'failed to verify the connection');
    }
    return { config: request.config };
  }

  async newUser(request: NewUserRequest): Promise<NewUserResponse> {
    const settings = this.requireSettings();
    if (request.statements.commands.length === 0) throw new Error('missing creation statements: set "creation_statements" on the role');
    const username = renderUsernameTemplate(settings.usernameTemplate, request.usernameConfig);
    const values = { name: username, username, password: request.password, expiration: formatExpiration(request.expiration) };
    try {
      await this.runStatements(request.statements, values, 'failed to create the user', request.password);
    } catch (err) {
      // CREATE USER commits at once, so a later statement's failure leaves the user behind unless it is dropped here.
      const rollback = statementsOrDefault(request.rollbackStatements, DEFAULT_ROLLBACK);
      await this.runStatements(rollback, { name: username, username }, 'failed to roll back the user').catch(() => undefined);
      throw err;
    }
    return { username };
  }

  async updateUser(request: UpdateUserRequest): Promise<void> {
    if (request.password === undefined && request.expiration === undefined) throw new Error('no change requested: set a new password or a new expiration');
    const name = request.username;
    if (request.password !== undefined) {
      const statements = statementsOrDefault(request.password.statements, DEFAULT_ROTATION);
      const values = { name, username: name, password: request.password.newPassword };
      await this.runStatements(statements, values, `failed to change the password of user "${name}"`, request.password.newPassword);
    }
    // MySQL users have no expiry, so an expiration change runs only the role's own renew statements, as in Vault.
    if (request.expiration !== undefined && request.expiration.statements.commands.length > 0) {
      const values = { name, username: name, expiration: formatExpiration(request.expiration.newExpiration) };
      await this.runStatements(request.expiration.statements, values, `failed to change the expiration of user "${name}"`);
    }
  }

  async deleteUser(request: DeleteUserRequest): Promise<void> {
    const name = request.username;
    // REVOKE fails for a user that is gone, and deleting a missing user must succeed.
    let exists = true;
    await this.run(async (connection) => {
      const [rows] = await connection.query('SELECT 1 FROM mysql.user WHERE User = ?', [name]);
      exists = (rows as unknown[]).length > 0;
    }, `failed to delete user "${name}"`);
    if (!exists) return;
    const statements = statementsOrDefault(request.statements, DEFAULT_REVOCATION);
    await this.runStatements(statements, { name, username: name }, `failed to delete user "${name}"`);
  }

  async type(): Promise<string> {
    return 'mysql';
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool === undefined) return;
    // mysql2's end() fails every request still waiting for a connection
    // with "Pool is closed", so let the operations already started finish.
    await Promise.allSettled([...this.inFlight]);
    await pool.end();
  }

  private requireSettings(): Settings {
    if (this.settings === undefined) throw new Error('the connection is not initialized: call initialize first');
    return this.settings;
  }

  /**
   * Runs every command of `statements` in one transaction. MySQL commits
   * account statements such as CREATE USER implicitly, so those are not
   * undone when a later command fails.
   */
  private async runStatements(statements: Statements, values: Record<string, string>, failure: string, ...secrets: string[]): Promise<void> {
    const commands = splitStatements(statements).map((command) => renderStatement(command, values));
    await this.run(async (connection) => {
      await connection.beginTransaction();
      try {
        for (const command of commands) await connection.query(command);
        await connection.commit();
      } catch (err) {
        await connection.rollback().catch(() => undefined);
        throw err;
      }
    }, failure, secrets);
  }

  private async run(work: (connection: mysql.PoolConnection) => Promise<void>, failure: string, secrets: string[] = []): Promise<void> {
    const settings = this.requireSettings();
    const pool = this.pool;
    if (pool === undefined) throw new Error(`${failure}: the connection is closed`);
    const running = this.runOnPool(pool, work, failure, [...secrets, settings.password, hostOf(settings)]);
    this.inFlight.add(running);
    try {
      await running;
    } finally {
      this.inFlight.delete(running);
    }
  }

  private async runOnPool(pool: mysql.Pool, work: (connection: mysql.PoolConnection) => Promise<void>, failure: string, secrets: string[]): Promise<void> {
    let connection: mysql.PoolConnection | undefined;
    try {
      connection = await pool.getConnection();
      await work(connection);
    } catch (err) {
      throw new Error(`${failure}: ${scrubSecrets((err as Error).message, secrets)}`);
    } finally {
      connection?.release();
    }
  }
}

/** Formats an expiry as MySQL's DATETIME reads it, in UTC. */
function formatExpiration(time: Date): string {
  return time.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

function parseSettings(config: Record<string, unknown>): Settings {
  const settings = parseSqlConnectionSettings(config, { exampleUrl: 'mysql://{{username}}:{{password}}@host:3306/db', defaultUsernameTemplate: DEFAULT_USERNAME_TEMPLATE });
  connectionOptions(settings);
  return settings;
}

/**
 * Builds the driver's options. Credentials are filled in after the URL is
 * split, so a password with "@" or "/" needs no escaping.
 * @throws Error when the URL cannot be parsed; the message leaves the URL out.
 */
function connectionOptions(settings: Settings): mysql.PoolOptions {
  const dsn = /^(?:(?<user>[^:@]*)(?::(?<password>[^@]*))?@)?tcp\((?<host>[^:)]+)(?::(?<port>\d+))?\)\/(?<database>[^?]*)$/.exec(settings.connectionUrl);
  let parts: { user: string; password: string; host: string; port: string; database: string };
  if (dsn?.groups !== undefined) {
    const groups = dsn.groups;
    parts = { user: groups.user ?? '', password: groups.password ?? '', host: groups.host, port: groups.port ?? '3306', database: groups.database };
  } else {
    let url: URL;
    try {
      url = new URL(settings.connectionUrl.replaceAll('{{username}}', 'USERNAME').replaceAll('{{password}}', 'PASSWORD'));
    } catch {
      throw new Error('invalid setting "connection_url": expected mysql://user:password@host:port/database or user:password@tcp(host:port)/database');
    }
    parts = {
      user: decodeURIComponent(url.username).replace('USERNAME', '{{username}}'),
      password: decodeURIComponent(url.password).replace('PASSWORD', '{{password}}'),
      host: url.hostname,
      port: url.port || '3306',
      database: url.pathname.replace(/^\//, ''),
    };
  }
  const fill = (text: string): string => renderStatement(text, { username: settings.username, password: settings.password });
  return { host: parts.host, port: Number(parts.port), user: fill(parts.user), password: fill(parts.password), database: parts.database || undefined };
}

function hostOf(settings: Settings): string {
  try {
    return String(connectionOptions(settings).host ?? '');
  } catch {
    return '';
  }
}
