/**
 * @coffer/database-postgresql: the database plugin for PostgreSQL, as
 * Vault's `postgresql-database-plugin`.
 */
import { SDK_VERSION, type DatabasePlugin } from '@coffer/sdk';
import { PostgresDatabase } from './postgresql.js';

export const plugin: DatabasePlugin = {
  kind: 'database',
  name: 'postgresql-database-plugin',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  async create() {
    return new PostgresDatabase();
  },
};

export { DEFAULT_USERNAME_TEMPLATE, PostgresDatabase } from './postgresql.js';
