/**
 * @coffer/database-mysql: the database plugin for MySQL and MariaDB, as
 * Vault's `mysql-database-plugin`.
 */
import { SDK_VERSION, type DatabasePlugin } from '@coffer/sdk';
import { MySqlDatabase } from './mysql.js';

export const plugin: DatabasePlugin = {
  kind: 'database',
  name: 'mysql-database-plugin',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  async create() {
    return new MySqlDatabase();
  },
};

export { DEFAULT_USERNAME_TEMPLATE, MySqlDatabase } from './mysql.js';
