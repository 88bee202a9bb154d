/**
 * @coffer/database-redis: the database plugin for Redis ACL users, as
 * Vault's `redis-database-plugin`.
 */
import { SDK_VERSION, type DatabasePlugin } from '@coffer/sdk';
import { RedisDatabase } from './redis.js';

export const plugin: DatabasePlugin = {
  kind: 'database',
  name: 'redis-database-plugin',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  async create() {
    return new RedisDatabase();
  },
};

export { DEFAULT_USERNAME_TEMPLATE, RedisDatabase } from './redis.js';
