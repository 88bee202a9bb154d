/**
 * The database plugin: its name and version, and one `UsersDatabase` per
 * connection that the database secrets engine opens.
 */
import { SDK_VERSION, type DatabasePlugin } from '@coffer/sdk';
import { UsersDatabase } from './users-database.js';

export const plugin: DatabasePlugin = {
  kind: 'database',
  name: '__NAME__',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  async create() {
    return new UsersDatabase();
  },
};
