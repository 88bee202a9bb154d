/**
 * A database connection served by an external database plugin: each method
 * is a call of `coffer.database.v1.Database` on the plugin process, for one
 * connection. After the process crashed and was restarted, the connection
 * sends its last `Initialize` again before the next call, because the new
 * process has no connections.
 */
import { Metadata } from '@grpc/grpc-js';
import {
  callUnary,
  CofferError,
  configFromWire,
  MULTIPLEX_ID_METADATA_KEY,
  newUserToWire,
  updateUserToWire,
  type Database,
  type DeleteUserRequest,
  type InitializeRequest,
  type InitializeResponse,
  type NewUserRequest,
  type NewUserResponse,
  type UpdateUserRequest,
} from '@coffer/sdk';
import type { PluginConnection } from './connection.js';
import type { PluginProcess } from './plugin-process.js';

/** How long one call may take, in milliseconds; a hung plugin then fails the request. */
const CALL_MS = 30_000;

export class ExternalDatabase implements Database {
  private readonly metadata = new Metadata();
  private lastInitialize: InitializeRequest | undefined;
  /** The process connection the last Initialize ran on. */
  private initializedOn: PluginConnection | undefined;
  private closed = false;

  constructor(
    private readonly process: PluginProcess,
    readonly id: string,
    private readonly release: () => Promise<void>,
  ) {
    this.metadata.set(MULTIPLEX_ID_METADATA_KEY, id);
  }

  async initialize(request: InitializeRequest): Promise<InitializeResponse> {
    const connection = await this.ready();
    const reply = await this.call<{ config_json?: string }>(connection, 'Initialize', { config_json: JSON.stringify(request.config), verify_connection: request.verifyConnection });
    this.lastInitialize = request;
    this.initializedOn = connection;
    return { config: configFromWire(reply.config_json) };
  }

  async newUser(request: NewUserRequest): Promise<NewUserResponse> {
    const reply = await this.call<{ username?: string }>(await this.initialized(), 'NewUser', newUserToWire(request));
    return { username: reply.username ?? '' };
  }

  async updateUser(request: UpdateUserRequest): Promise<void> {
    await this.call(await this.initialized(), 'UpdateUser', updateUserToWire(request));
  }

  async deleteUser(request: DeleteUserRequest): Promise<void> {
    await this.call(await this.initialized(), 'DeleteUser', { username: request.username, statements: request.statements });
  }

  async type(): Promise<string> {
    return (await this.call<{ type?: string }>(await this.initialized(), 'Type', {})).type ?? '';
  }

  /** Calls the plugin's Close for the connection and releases the process. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.initializedOn !== undefined && this.process.isCurrent(this.initializedOn)) {
        await this.call(this.initializedOn, 'Close', {}, true);
      }
    } catch {
      // The process may be gone, and then it has nothing of this connection to close.
    } finally {
      await this.release();
    }
  }

  private label(): string {
    return `database plugin "${this.process.entry.name}"`;
  }

  private async ready(): Promise<PluginConnection> {
    if (this.closed) throw new CofferError('COFFER_ERR_PLUGIN_UNAVAILABLE', 500, `${this.label()}: the connection is closed`);
    try {
      return await this.process.ready();
    } catch (err) {
      throw new CofferError('COFFER_ERR_PLUGIN_UNAVAILABLE', 500, `${this.label()} is not available: ${(err as Error).message}`);
    }
  }

  /** Returns the process connection, sending the last Initialize again when the process was restarted. */
  private async initialized(): Promise<PluginConnection> {
    const connection = await this.ready();
    if (this.initializedOn === connection) return connection;
    if (this.lastInitialize === undefined) throw new CofferError('COFFER_ERR_PLUGIN_UNAVAILABLE', 500, `${this.label()}: the connection is not initialized`);
    await this.initialize(this.lastInitialize);
    return connection;
  }

  /**
   * Calls a method for this connection. A plugin error keeps its message,
   * and a call cut off by a crash reports that the plugin is being restarted.
   * @throws Error with the plugin's message, or CofferError (500) when the process failed.
   */
  private async call<Reply>(connection: PluginConnection, method: string, request: object, closing = false): Promise<Reply> {
    try {
      return await callUnary<Reply>(connection.database, method, request, { metadata: this.metadata, deadline: Date.now() + CALL_MS });
    } catch (err) {
      const details = (err as { details?: string }).details ?? (err as Error).message;
      if (!closing && (await this.process.stoppedDuringCall())) {
        throw new CofferError(
          'COFFER_ERR_PLUGIN_UNAVAILABLE',
          500,
          `${this.label()} stopped while handling ${method} (${details}); it restarts on the next request, so retry the request`,
        );
      }
      throw new Error(details);
    }
  }
}
