/**
 * Users in PostgreSQL, for the database secrets engine. Settings and
 * defaults follow Vault's `postgresql-database-plugin`: `connection_url`
 * may hold `{{username}}` and `{{password}}`, which are filled from the
 * `username` and `password` settings, and a role must give its own
 * creation statements.
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
import pg from 'pg';

/** Vault's default username template for PostgreSQL, whose identifiers hold at most 63 bytes. */
export const DEFAULT_USERNAME_TEMPLATE =
  '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}';

const DEFAULT_ROTATION = [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';`];
const DEFAULT_RENEW = [`ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';`];
/** Hands what the user owns to the connection's user, then drops the user. */
const DEFAULT_REVOCATION = [`REASSIGN OWNED BY "{{name}}" TO CURRENT_USER; DROP OWNED BY "{{name}}"; DROP ROLE IF EXISTS "{{name}}";`];

/** The settings this plugin reads; any other key is kept and returned unchanged. */
type Settings = SqlConnectionSettings;

export class PostgresDatabase implements Database {
  private settings: Settings | undefined;
  private pool: pg.Pool | undefined;
  /** Operations started and not yet finished, which `close` waits for. */
  private readonly inFlight = new Set<Promise<void>>();

  async initialize(request: InitializeRequest): Promise<InitializeResponse> {
    const settings = parseSettings(request.config);
    await this.close();
    this.settings = settings;
    this.pool = new pg.Pool({ connectionString: connectionString(settings), max: settings.maxOpenConnections });
    // An idle connection that the server drops must not crash the process.
    this.pool.on('error', () => {});
    if (request.verifyConnection) {
      await this.run(async (client) => {
        await client.query('SELECT 1');
      }, 'failed to verify the connection');
    }
    return { config: request.config };
  }

  async newUser(request: NewUserRequest): Promise<NewUserResponse> {
    const settings = this.requireSettings();
    if (request.statements.commands.length === 0) throw new Error('missing creation statements: set "creation_statements" on the role');
    const username = renderUsernameTemplate(settings.usernameTemplate, request.usernameConfig);
    const values = { name: username, username, password: request.password, expiration: formatExpiration(request.expiration) };
    // The statements run in one transaction, so a failure leaves nothing behind and rollback statements are not needed.
    await this.runStatements(request.statements, values, 'failed to create the user', request.password);
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
    if (request.expiration !== undefined) {
      const statements = statementsOrDefault(request.expiration.statements, DEFAULT_RENEW);
      const values = { name, username: name, expiration: formatExpiration(request.expiration.newExpiration) };
      await this.runStatements(statements, values, `failed to change the expiration of user "${name}"`);
    }
  }

  async deleteUser(request: DeleteUserRequest): Promise<void> {
    const name = request.username;
    // REASSIGN OWNED fails for a role that is gone, and deleting a missing user must succeed.
    let exists = true;
    await this.run(async (client) => {
      exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount === 1;
    }, `failed to delete user "${name}"`);
    if (!exists) return;
    const statements = statementsOrDefault(request.statements, DEFAULT_REVOCATION);
    await this.runStatements(statements, { name, username: name }, `failed to delete user "${name}"`);
  }

  async type(): Promise<string> {
    return 'postgres';
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool === undefined) return;
    // pg-pool neither serves nor rejects a request still waiting for a
    // client once end() is called, so such an operation would never settle.
    await Promise.allSettled([...this.inFlight]);
    await pool.end();
  }

  private requireSettings(): Settings {
    if (this.settings === undefined) throw new Error('the connection is not initialized: call initialize first');
    return this.settings;
  }

  /** Runs every command of `statements` in one transaction. */
  private async runStatements(statements: Statements, values: Record<string, string>, failure: string, ...secrets: string[]): Promise<void> {
    const commands = splitStatements(statements).map((command) => renderStatement(command, values));
    await this.run(async (client) => {
      await client.query('BEGIN');
      try {
        for (const command of commands) await client.query(command);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }, failure, secrets);
  }

  /** Runs `work` on a pooled client and rewraps driver errors without credentials or hosts. */
  private async run(work: (client: pg.PoolClient) => Promise<void>, failure: string, secrets: string[] = []): Promise<void> {
    const settings = this.requireSettings();
    const pool = this.pool;
    if (pool === undefined) throw new Error(`${failure}: the connection is closed`);
    const running = this.runOnPool(pool, work, failure, [...secrets, settings.password, ...hostsOf(settings.connectionUrl)]);
    this.inFlight.add(running);
    try {
      await running;
    } finally {
      this.inFlight.delete(running);
    }
  }

  private async runOnPool(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<void>, failure: string, secrets: string[]): Promise<void> {
    let client: pg.PoolClient | undefined;
    try {
      client = await pool.connect();
      await work(client);
    } catch (err) {
      throw new Error(`${failure}: ${scrubSecrets((err as Error).message, secrets)}`);
    } finally {
      client?.release();
    }
  }
}

/** Formats an expiry as PostgreSQL's VALID UNTIL reads it, in UTC, as Vault's plugin does. */
function formatExpiration(time: Date): string {
  return time.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '+0000');
}

function parseSettings(config: Record<string, unknown>): Settings {
  return parseSqlConnectionSettings(config, { exampleUrl: 'postgresql://{{username}}:{{password}}@host:5432/db', defaultUsernameTemplate: DEFAULT_USERNAME_TEMPLATE });
}

function connectionString(settings: Settings): string {
  return renderStatement(settings.connectionUrl, {
    username: encodeURIComponent(settings.username),
    password: encodeURIComponent(settings.password),
  });
}

/** Host names and addresses named in a connection URL, to scrub from errors. */
function hostsOf(url: string): string[] {
  const match = /@([^/?]+)/.exec(url) ?? /^[a-z]+:\/\/([^/?]+)/i.exec(url);
  if (match === null) return [];
  return match[1].split(',').map((host) => host.replace(/:\d+$/, '')).filter((host) => host !== '');
}
