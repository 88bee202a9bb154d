/**
 * The built-in plugins the server can mount or open. Each is an ordinary
 * plugin built on `@coffer/sdk`.
 */
import { plugin as approle } from '@coffer/auth-approle';
import { plugin as cert } from '@coffer/auth-cert';
import { plugin as github } from '@coffer/auth-github';
import { plugin as jwt } from '@coffer/auth-jwt';
import { plugin as ldap } from '@coffer/auth-ldap';
import { plugin as radius } from '@coffer/auth-radius';
import { plugin as userpass } from '@coffer/auth-userpass';
import { plugin as mysqlDatabase } from '@coffer/database-mysql';
import { plugin as postgresqlDatabase } from '@coffer/database-postgresql';
import { plugin as redisDatabase } from '@coffer/database-redis';
import { plugin as aws } from '@coffer/secrets-aws';
import { plugin as database } from '@coffer/secrets-database';
import { plugin as kv } from '@coffer/secrets-kv';
import { plugin as pki } from '@coffer/secrets-pki';
import { plugin as ldapSecrets } from '@coffer/secrets-ldap';
import { plugin as rabbitmq } from '@coffer/secrets-rabbitmq';
import { plugin as ssh } from '@coffer/secrets-ssh';
import { plugin as totp } from '@coffer/secrets-totp';
import { plugin as transit } from '@coffer/secrets-transit';
import { plugin as fileStorage } from '@coffer/storage-file';
import { plugin as inmemStorage } from '@coffer/storage-inmem';
import { plugin as sqliteStorage } from '@coffer/storage-sqlite';
import { plugin as postgresqlStorage } from '@coffer/storage-postgresql';
import { plugin as etcdStorage } from '@coffer/storage-etcd';
import { plugin as mysqlStorage } from '@coffer/storage-mysql';
import type { AuthPlugin, DatabasePlugin, SecretsPlugin, StoragePlugin } from '@coffer/sdk';

export const builtinSecretsEngines: ReadonlyMap<string, SecretsPlugin> = new Map([
  ['kv', kv],
  ['transit', transit],
  ['database', database],
  ['pki', pki],
  ['ssh', ssh],
  ['totp', totp],
  ['rabbitmq', rabbitmq],
  ['ldap', ldapSecrets],
  ['aws', aws],
]);

/** Database plugins the database secrets engine opens by name, as Vault names them. */
export const builtinDatabasePlugins: ReadonlyMap<string, DatabasePlugin> = new Map([
  [postgresqlDatabase.name, postgresqlDatabase],
  [mysqlDatabase.name, mysqlDatabase],
  [redisDatabase.name, redisDatabase],
]);

export const builtinAuthMethods: ReadonlyMap<string, AuthPlugin> = new Map([
  ['userpass', userpass],
  ['approle', approle],
  ['ldap', ldap],
  // Vault registers its JWT/OIDC method under both names.
  ['jwt', jwt],
  ['oidc', jwt],
  ['cert', cert],
  ['radius', radius],
  ['github', github],
]);

export const builtinStorageBackends: ReadonlyMap<string, StoragePlugin> = new Map([
  ['inmem', inmemStorage],
  ['file', fileStorage],
  ['sqlite', sqliteStorage],
  ['postgresql', postgresqlStorage],
  ['etcd', etcdStorage],
  ['mysql', mysqlStorage],
]);
