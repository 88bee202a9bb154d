/**
 * A database plugin served as an external plugin, for the plugin tests: the
 * built-in PostgreSQL plugin's logic behind `serve()`, except that creating
 * a user for the role "crash" ends the process, so tests can cut a call off.
 */
import { PostgresDatabase } from '@coffer/database-postgresql';
import { SDK_VERSION, serve, type DatabasePlugin, type NewUserRequest, type NewUserResponse } from '@coffer/sdk';

class CrashingPostgresDatabase extends PostgresDatabase {
  override async newUser(request: NewUserRequest): Promise<NewUserResponse> {
    if (request.usernameConfig.roleName === 'crash') process.exit(3);
    return super.newUser(request);
  }
}

const plugin: DatabasePlugin = {
  kind: 'database',
  name: 'coffer-test-database',
  version: '1.0.0',
  sdkVersion: SDK_VERSION,
  async create() {
    return new CrashingPostgresDatabase();
  },
};

await serve(plugin);
