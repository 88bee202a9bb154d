/**
 * The database plugin contract: the calls the database secrets engine makes
 * to a plugin that manages users in one kind of database. The shapes follow
 * Vault's dbplugin version 5, so a plugin's logic carries over from Vault.
 *
 * Times are JavaScript `Date`s here and protobuf timestamps on the wire.
 * A plugin receives the role's statements as the operator wrote them, and
 * splits them and fills in the `{{name}}`, `{{username}}`, `{{password}}`
 * and `{{expiration}}` placeholders itself, because only the plugin can
 * quote them for its database.
 */
import { checkUsernameTemplate } from './username-template.js';

/** The statements a role configures for one action, in the order to run them. */
export interface Statements {
  /** Each entry is one or more commands separated as the database's client would take them. */
  commands: string[];
}

/** Request of {@link Database.initialize}. */
export interface InitializeRequest {
  /**
   * The connection's settings from `config/:name`: `connection_url`,
   * `username`, `password` and any plugin-specific key, as strings,
   * numbers or booleans.
   */
  config: Record<string, unknown>;
  /** When true, the plugin connects now and throws when it cannot. */
  verifyConnection: boolean;
}

/** Response of {@link Database.initialize}. */
export interface InitializeResponse {
  /**
   * The settings the engine stores. A plugin may return them altered, for
   * example with defaults filled in; it must not drop keys it does not know.
   */
  config: Record<string, unknown>;
}

/** Values a username template can use. */
export interface UsernameMetadata {
  /** The display name of the token that asked for the credentials, e.g. `token` or `userpass-alice`. */
  displayName: string;
  /** The role the credentials are for. */
  roleName: string;
}

/** Request of {@link Database.newUser}. */
export interface NewUserRequest {
  usernameConfig: UsernameMetadata;
  /** The password the engine generated for the user. */
  password: string;
  /** When the credentials expire; the plugin may use it in `{{expiration}}` and ignore it otherwise. */
  expiration: Date;
  /** The role's `creation_statements`. Empty means the plugin's own default, if it has one. */
  statements: Statements;
  /**
   * The role's `rollback_statements`, which the plugin runs when creation
   * fails half way. Empty means the plugin's own default.
   */
  rollbackStatements: Statements;
}

/** Response of {@link Database.newUser}. */
export interface NewUserResponse {
  /** The name of the user the plugin created. */
  username: string;
}

/** A password change, within {@link UpdateUserRequest}. */
export interface ChangePassword {
  newPassword: string;
  /** The role's rotation statements; empty means the plugin's default. */
  statements: Statements;
}

/** An expiry change, within {@link UpdateUserRequest}. */
export interface ChangeExpiration {
  newExpiration: Date;
  /** The role's `renew_statements`; empty means the plugin's default, which may do nothing. */
  statements: Statements;
}

/** Request of {@link Database.updateUser}. At least one change is set. */
export interface UpdateUserRequest {
  username: string;
  password?: ChangePassword;
  expiration?: ChangeExpiration;
}

/** Request of {@link Database.deleteUser}. */
export interface DeleteUserRequest {
  username: string;
  /** The role's `revocation_statements`; empty means the plugin's default. */
  statements: Statements;
}

/**
 * One connection of the database engine to one database. The engine opens a
 * `Database` per `config/:name` and calls `initialize` before anything else.
 *
 * Errors: a method throws an `Error` whose message describes what failed. The
 * message reaches API clients, so it must not contain the connection URL's
 * credentials or any password; {@link scrubSecrets} removes them.
 */
export interface Database {
  /** Checks and stores the connection settings, and connects when asked to. */
  initialize(request: InitializeRequest): Promise<InitializeResponse>;
  /** Creates a user with the given password and returns its name. */
  newUser(request: NewUserRequest): Promise<NewUserResponse>;
  /** Changes a user's password, its expiry, or both. */
  updateUser(request: UpdateUserRequest): Promise<void>;
  /** Drops a user. Dropping a user that does not exist succeeds. */
  deleteUser(request: DeleteUserRequest): Promise<void>;
  /** The database's type, such as `postgres` or `mysql`. */
  type(): Promise<string>;
  /** Closes every connection. The engine calls no method afterwards. */
  close(): Promise<void>;
}

/**
 * Replaces `{{name}}`, `{{username}}`, `{{password}}` and `{{expiration}}`
 * (and any other key of `values`) in a statement. Placeholders without a
 * value stay as they are, so a database error names them.
 */
export function renderStatement(statement: string, values: Record<string, string>): string {
  return statement.replace(/\{\{\s*(\w+)\s*\}\}/g, (placeholder, key: string) => (Object.hasOwn(values, key) ? values[key] : placeholder));
}

/** Returns `statements`, or `fallback` as the commands when the role set none. */
export function statementsOrDefault(statements: Statements, fallback: readonly string[]): Statements {
  return statements.commands.length > 0 ? statements : { commands: [...fallback] };
}

/**
 * Splits statements into single commands at `;` outside quotes, the way
 * Vault's `strutil` splits them, and drops empty ones. Dollar-quoted bodies
 * (`$$ ... $$`, as PostgreSQL writes functions) are kept whole.
 */
export function splitStatements(statements: Statements): string[] {
  const commands: string[] = [];
  for (const text of statements.commands) {
    let current = '';
    let quote: string | null = null;
    for (let index = 0; index < text.length; index++) {
      const character = text[index];
      if (quote === null && character === '$' && text.startsWith('$$', index)) {
        const end = text.indexOf('$$', index + 2);
        const stop = end === -1 ? text.length : end + 2;
        current += text.slice(index, stop);
        index = stop - 1;
        continue;
      }
      if (quote === null && (character === "'" || character === '"' || character === '`')) quote = character;
      else if (quote === character) quote = null;
      if (character === ';' && quote === null) {
        if (current.trim() !== '') commands.push(current.trim());
        current = '';
        continue;
      }
      current += character;
    }
    if (current.trim() !== '') commands.push(current.trim());
  }
  return commands;
}

/**
 * Removes the given secrets and the password and host of a connection URL
 * from a driver's error message, so it can be wrapped and shown to a client.
 *
 * @param secrets - Passwords, usernames of the root account and hosts to
 *   replace with `[redacted]`; empty strings are ignored.
 */
export function scrubSecrets(message: string, secrets: readonly string[]): string {
  let scrubbed = message.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@\s/]*@/gi, '$1[redacted]@');
  const ordered = [...new Set(secrets.filter((secret) => secret !== ''))].sort((a, b) => b.length - a.length);
  for (const secret of ordered) scrubbed = scrubbed.split(secret).join('[redacted]');
  return scrubbed;
}

/**
 * Returns the string setting `name` of a connection configuration, or an
 * empty string when it is absent or null.
 * @throws Error naming the setting when its value is not a string.
 */
export function stringSetting(config: Readonly<Record<string, unknown>>, name: string): string {
  const value = config[name];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new Error(`invalid setting "${name}": expected a string`);
  return value;
}

/**
 * Returns the `username_template` setting, or `fallback` when it is unset,
 * after checking that it parses.
 * @throws Error naming the setting and the template's problem.
 */
export function usernameTemplateSetting(config: Readonly<Record<string, unknown>>, fallback: string): string {
  const template = stringSetting(config, 'username_template') || fallback;
  try {
    checkUsernameTemplate(template);
  } catch (err) {
    throw new Error(`invalid setting "username_template": ${(err as Error).message}`);
  }
  return template;
}

/** The connection settings of a SQL database plugin, as Vault's SQL plugins name them. */
export interface SqlConnectionSettings {
  /** The URL with `{{username}}` and `{{password}}` placeholders for the two settings below. */
  connectionUrl: string;
  username: string;
  password: string;
  usernameTemplate: string;
  /** The size of the plugin's connection pool; 4 when unset. */
  maxOpenConnections: number;
}

/**
 * Reads `connection_url`, `username`, `password`, `username_template` and
 * `max_open_connections`. `exampleUrl` appears in the error for a missing
 * URL, and `defaultUsernameTemplate` applies when no template is set.
 * @throws Error naming the setting and the fix.
 */
export function parseSqlConnectionSettings(
  config: Readonly<Record<string, unknown>>,
  { exampleUrl, defaultUsernameTemplate }: { exampleUrl: string; defaultUsernameTemplate: string },
): SqlConnectionSettings {
  const connectionUrl = stringSetting(config, 'connection_url');
  if (connectionUrl === '') throw new Error(`missing setting "connection_url": give a URL such as ${exampleUrl}`);
  const usernameTemplate = usernameTemplateSetting(config, defaultUsernameTemplate);
  const rawMax = config.max_open_connections ?? 4;
  const maxOpenConnections = Number(rawMax);
  if (!Number.isInteger(maxOpenConnections) || maxOpenConnections < 1) {
    throw new Error(`invalid setting "max_open_connections": expected a positive integer, got ${JSON.stringify(rawMax)}`);
  }
  return { connectionUrl, username: stringSetting(config, 'username'), password: stringSetting(config, 'password'), usernameTemplate, maxOpenConnections };
}
