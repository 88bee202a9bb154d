/**
 * The plugin side of `coffer.database.v1.Database`: opens a connection
 * object per `Initialize` and routes every later call to the connection
 * named by the call's `multiplex_id` metadata, an ID the host chose.
 */
import * as grpc from '@grpc/grpc-js';
import type { Database } from '../database.js';
import type { Logger } from '../logger.js';
import type { DatabasePlugin } from '../plugin.js';
import {
  configFromWire,
  deleteUserFromWire,
  newUserFromWire,
  updateUserFromWire,
  type WireDeleteUserRequest,
  type WireNewUserRequest,
  type WireUpdateUserRequest,
} from './database-wire.js';
import { MULTIPLEX_ID_METADATA_KEY, unaryHandler } from './protocol.js';

/** The connection ID used when the host sends no multiplex ID. */
const SINGLE_CONNECTION_ID = 'single';

function statusError(code: grpc.status, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function connectionId(metadata: grpc.Metadata): string {
  const values = metadata.get(MULTIPLEX_ID_METADATA_KEY);
  return values.length > 0 ? String(values[0]) : SINGLE_CONNECTION_ID;
}

/** The handlers of `coffer.database.v1.Database` for one plugin process. */
export class DatabaseService {
  private readonly connections = new Map<string, Promise<Database>>();

  constructor(
    private readonly plugin: DatabasePlugin,
    private readonly logger: Logger,
  ) {}

  /** Returns the gRPC handlers of `coffer.database.v1.Database`. */
  implementation(): grpc.UntypedServiceImplementation {
    return {
      Initialize: unaryHandler(async (request: { config_json?: string; verify_connection?: boolean }, call) => {
        const id = connectionId(call.metadata);
        let opening = this.connections.get(id);
        if (opening === undefined) {
          opening = this.plugin.create();
          this.connections.set(id, opening);
          // A failed create must not stay cached, so the next Initialize tries again.
          opening.catch(() => this.connections.delete(id));
        }
        const database = await opening;
        try {
          const result = await database.initialize({ config: configFromWire(request.config_json), verifyConnection: request.verify_connection === true });
          return { config_json: JSON.stringify(result.config) };
        } catch (err) {
          throw statusError(grpc.status.INVALID_ARGUMENT, (err as Error).message);
        }
      }),
      NewUser: unaryHandler(async (request: WireNewUserRequest, call) => {
        const result = await (await this.database(call.metadata)).newUser(newUserFromWire(request));
        return { username: result.username };
      }),
      UpdateUser: unaryHandler(async (request: WireUpdateUserRequest, call) => {
        await (await this.database(call.metadata)).updateUser(updateUserFromWire(request));
        return {};
      }),
      DeleteUser: unaryHandler(async (request: WireDeleteUserRequest, call) => {
        await (await this.database(call.metadata)).deleteUser(deleteUserFromWire(request));
        return {};
      }),
      Type: unaryHandler(async (_request: object, call) => ({ type: await (await this.database(call.metadata)).type() })),
      Close: unaryHandler(async (_request: object, call) => {
        const id = connectionId(call.metadata);
        const opening = this.connections.get(id);
        if (opening === undefined) return {};
        this.connections.delete(id);
        await (await opening).close();
        return {};
      }),
    };
  }

  /** Closes every open connection, when the plugin stops. */
  async close(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      all.map(async (opening) => {
        try {
          await (await opening).close();
        } catch (err) {
          this.logger.error({ err: (err as Error).message }, 'database connection failed to close');
        }
      }),
    );
  }

  private database(metadata: grpc.Metadata): Promise<Database> {
    const id = connectionId(metadata);
    const opening = this.connections.get(id);
    if (opening === undefined) throw statusError(grpc.status.FAILED_PRECONDITION, `database connection "${id}" is not open; call Initialize first`);
    return opening;
  }
}
