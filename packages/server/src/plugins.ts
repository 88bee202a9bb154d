/**
 * The built-in plugins the server can mount or open. Each is an ordinary
 * plugin built on `@coffer/sdk`.
 */
import { plugin as kv } from '@coffer/secrets-kv';
import { plugin as fileStorage } from '@coffer/storage-file';
import { plugin as inmemStorage } from '@coffer/storage-inmem';
import { plugin as sqliteStorage } from '@coffer/storage-sqlite';
import type { AuthPlugin, SecretsPlugin, StoragePlugin } from '@coffer/sdk';

export const builtinSecretsEngines: ReadonlyMap<string, SecretsPlugin> = new Map([['kv', kv]]);

export const builtinAuthMethods: ReadonlyMap<string, AuthPlugin> = new Map();

export const builtinStorageBackends: ReadonlyMap<string, StoragePlugin> = new Map([
  ['inmem', inmemStorage],
  ['file', fileStorage],
  ['sqlite', sqliteStorage],
]);
