/**
 * ACL users in Redis 6 and later, for the database secrets engine. Settings
 * follow Vault's `redis-database-plugin`: `host`, `port`, `username`,
 * `password` and `tls`. Statements are not SQL: each creation or rotation
 * statement is a JSON array of ACL rules such as `["~cache:*", "+@read"]`,
 * or the rules separated by spaces.
 *
 * NOTE: Redis users have no expiry, so renewals change nothing in Redis, and
 * ACL changes are lost on a Redis restart unless Redis saves its ACL file.
 */
import {
  renderUsernameTemplate,
  scrubSecrets,
  stringSetting,
  usernameTemplateSetting,
  type Database,
  type DeleteUserRequest,
  type InitializeRequest,
  type InitializeResponse,
  type NewUserRequest,
  type NewUserResponse,
  type Statements,
  type UpdateUserRequest,
} from '@coffer/sdk';
import { Redis } from 'ioredis';

/** Modelled on Vault's template for Redis: uppercase parts joined by "_". */
export const DEFAULT_USERNAME_TEMPLATE =
  '{{ printf "V_%s_%s_%s_%s" (.DisplayName | uppercase | truncate 10) (.RoleName | uppercase | truncate 10) (random 20) (unix_time) | truncate 100 }}';

/** The rules a user gets when the role gives none: read commands on every key. */
const DEFAULT_RULES = ['~*', '+@read'];

/** How long a connection attempt may take, in milliseconds. */
const CONNECT_TIMEOUT_MS = 5000;

interface Settings {
  host: string;
  port: number;
  username: string;
  password: string;
  tls: boolean;
  usernameTemplate: string;
}

export class RedisDatabase implements Database {
  private settings: Settings | undefined;
  private client: Redis | undefined;
  /** The client's last connection error, which ioredis reports only as an event. */
  private connectionError: Error | undefined;

  async initialize(request: InitializeRequest): Promise<InitializeResponse> {
    const settings = parseSettings(request.config);
    await this.close();
    this.settings = settings;
    this.client = new Redis({
      host: settings.host,
      port: settings.port,
      ...(settings.username === '' ? {} : { username: settings.username }),
      ...(settings.password === '' ? {} : { password: settings.password }),
      ...(settings.tls ? { tls: {} } : {}),
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      // Fail commands at once while disconnected, so a request does not wait for a reconnect.
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    // A failed command reports only "Connection is closed.", so the cause is kept for the message.
    // Without a listener the event would also crash the process.
    this.client.on('error', (err: Error) => {
      this.connectionError = err;
    });
    if (request.verifyConnection) await this.run(async (client) => void (await client.ping()), 'failed to verify the connection');
    return { config: request.config };
  }

  async newUser(request: NewUserRequest): Promise<NewUserResponse> {
    const settings = this.requireSettings();
    const username = renderUsernameTemplate(settings.usernameTemplate, request.usernameConfig);
    const rules = parseRules(request.statements, DEFAULT_RULES);
    await this.run(async (client) => {
      await client.call('ACL', 'SETUSER', username, 'on', `>${request.password}`, ...rules);
    }, 'failed to create the user', [request.password]);
    return { username };
  }

  async updateUser(request: UpdateUserRequest): Promise<void> {
    if (request.password === undefined && request.expiration === undefined) throw new Error('no change requested: set a new password or a new expiration');
    const change = request.password;
    if (change === undefined) return;
    const rules = parseRules(change.statements, []);
    await this.run(async (client) => {
      await client.call('ACL', 'SETUSER', request.username, 'resetpass', `>${change.newPassword}`, ...rules);
    }, `failed to change the password of user "${request.username}"`, [change.newPassword]);
    // The root account's own password changed, so later connections need the new one.
    if (request.username === this.settings?.username) this.settings.password = change.newPassword;
  }

  async deleteUser(request: DeleteUserRequest): Promise<void> {
    await this.run(async (client) => {
      await client.call('ACL', 'DELUSER', request.username);
    }, `failed to delete user "${request.username}"`);
  }

  async type(): Promise<string> {
    return 'redis';
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    client?.disconnect();
  }

  private requireSettings(): Settings {
    if (this.settings === undefined) throw new Error('the connection is not initialized: call initialize first');
    return this.settings;
  }

  private async run(work: (client: Redis) => Promise<void>, failure: string, secrets: string[] = []): Promise<void> {
    const settings = this.requireSettings();
    const client = this.client!;
    this.connectionError = undefined;
    try {
      if (client.status === 'wait' || client.status === 'end') await client.connect();
      await work(client);
    } catch (err) {
      const cause = this.connectionError ?? (err as Error);
      throw new Error(`${failure}: ${scrubSecrets(cause.message, [...secrets, settings.password, settings.host])}`);
    }
  }
}

/**
 * Reads ACL rules from the first statement: a JSON array of strings, or
 * rules separated by spaces. Returns `fallback` when there is none.
 * @throws Error naming the statement's problem.
 */
function parseRules(statements: Statements, fallback: string[]): string[] {
  const text = statements.commands.join(' ').trim();
  if (text === '') return fallback;
  if (!text.startsWith('[')) return text.split(/\s+/);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('invalid statements: expected a JSON array of ACL rules such as ["~*", "+@read"]');
  }
  if (!Array.isArray(parsed) || !parsed.every((rule) => typeof rule === 'string')) {
    throw new Error('invalid statements: expected a JSON array of ACL rules such as ["~*", "+@read"]');
  }
  return parsed;
}

function parseSettings(config: Record<string, unknown>): Settings {
  const host = stringSetting(config, 'host');
  if (host === '') throw new Error('missing setting "host": give the Redis server\'s host name or address');
  const rawPort = config.port ?? 6379;
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid setting "port": expected a port number, got ${JSON.stringify(rawPort)}`);
  const tls = config.tls === true || config.tls === 'true';
  const usernameTemplate = usernameTemplateSetting(config, DEFAULT_USERNAME_TEMPLATE);
  return { host, port, username: stringSetting(config, 'username'), password: stringSetting(config, 'password'), tls, usernameTemplate };
}
