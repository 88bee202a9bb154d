/**
 * The open database connections of one mount: one plugin `Database` per
 * `config/:name`, opened through the server's system view on first use and
 * kept until the config changes, `reset/:name` is called or the mount goes.
 */
import { badRequest, CofferError, type Database, type Logger, type Storage, type SystemView } from '@coffer/sdk';
import { readConnection, type ConnectionConfig } from './store.js';

interface OpenConnection {
  database: Database;
  /** The stored config it was initialized with, to notice a change written by another node. */
  fingerprint: string;
}

export class Connections {
  private readonly open = new Map<string, Promise<OpenConnection>>();
  /** The last task queued by {@link Connections.exclusive} for each key. */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly system: SystemView,
    private readonly logger: Logger,
  ) {}

  /**
   * Opens a plugin `Database` for `config` and initializes it, without
   * caching it. Callers that keep it must close it.
   * @throws CofferError (400) when the plugin is unknown or rejects the
   *   settings, and (500) when the server cannot open database plugins.
   */
  async create(config: ConnectionConfig, verifyConnection: boolean): Promise<Database> {
    if (this.system.openDatabase === undefined) {
      throw new CofferError('COFFER_ERR_DATABASE_UNAVAILABLE', 500, 'this server cannot open database plugins');
    }
    let database: Database;
    try {
      database = await this.system.openDatabase(config.pluginName, config.pluginVersion === '' ? undefined : config.pluginVersion);
    } catch (err) {
      if (err instanceof CofferError && err.status === 400) throw badRequest(`invalid field "plugin_name": ${err.message}`);
      throw err;
    }
    try {
      await database.initialize({ config: config.connectionDetails, verifyConnection });
    } catch (err) {
      await database.close().catch(() => undefined);
      throw badRequest(`error creating database object: ${(err as Error).message}`);
    }
    return reportingErrors(database);
  }

  /**
   * Returns the open connection `name`, opening it from storage when needed.
   * @throws CofferError (400) when no connection of that name is configured.
   */
  async get(storage: Storage, name: string): Promise<{ database: Database; config: ConnectionConfig }> {
    const config = await readConnection(storage, name);
    if (config === null) throw badRequest(`no connection named "${name}": write config/${name} first`);
    const fingerprint = JSON.stringify(config);
    const cached = this.open.get(name);
    if (cached !== undefined) {
      const connection = await cached.catch(() => undefined);
      if (connection?.fingerprint === fingerprint) return { database: connection.database, config };
      await this.close(name);
    }
    const opening = this.create(config, false).then((database) => ({ database, fingerprint }));
    this.open.set(name, opening);
    try {
      return { database: (await opening).database, config };
    } catch (err) {
      if (this.open.get(name) === opening) this.open.delete(name);
      throw err;
    }
  }

  /**
   * Keeps `database`, initialized with `config`, as the open connection
   * `name`, closing the one it replaces. Saves a config write from opening
   * the plugin twice, which for an external plugin means a second process start.
   */
  async adopt(name: string, config: ConnectionConfig, database: Database): Promise<void> {
    await this.close(name);
    this.open.set(name, Promise.resolve({ database, fingerprint: JSON.stringify(config) }));
  }

  /**
   * Runs `task` after every earlier task for `key` has settled. Changes to a
   * stored password go through here: two rotations of one account that
   * overlap could leave the database with one new password and storage with
   * the other, and the account would be locked out.
   */
  async exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Closes the connection `name`, if it is open. */
  async close(name: string): Promise<void> {
    const opening = this.open.get(name);
    if (opening === undefined) return;
    this.open.delete(name);
    const connection = await opening.catch(() => undefined);
    if (connection === undefined) return;
    try {
      await connection.database.close();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, connection: name }, 'database connection failed to close');
    }
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open.keys()].map((name) => this.close(name)));
  }
}

/**
 * Wraps a plugin's `Database` so that its plain errors reach the client as
 * 500s with their message; the plugin has scrubbed credentials from them.
 * Without this the server would return only "internal error".
 */
function reportingErrors(database: Database): Database {
  const wrap = async <T>(action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (err) {
      if (err instanceof CofferError) throw err;
      throw new CofferError('COFFER_ERR_DATABASE', 500, (err as Error).message);
    }
  };
  return {
    initialize: (request) => wrap(() => database.initialize(request)),
    newUser: (request) => wrap(() => database.newUser(request)),
    updateUser: (request) => wrap(() => database.updateUser(request)),
    deleteUser: (request) => wrap(() => database.deleteUser(request)),
    type: () => wrap(() => database.type()),
    close: () => database.close(),
  };
}
