/**
 * The built-in secrets engines, auth methods, audit device and database
 * plugins pass the same conformance suites that `coffer plugin certify`
 * runs for vendors, driven by the `certify` blocks of their integrations/
 * files. Built-in plugins cannot import the server, so their suites run
 * here, against one dev server. The database plugins run against the
 * machine's PostgreSQL and MariaDB. Seals and storage over the wire are in
 * builtins-configured.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe } from 'node:test';
import {
  auditChecks,
  authChecks,
  databaseChecks,
  declareChecks,
  loadIntegration,
  secretsChecks,
  type AuditContext,
  type AuthContext,
  type DatabaseContext,
  type Integration,
  type SecretsContext,
} from '@coffer/certify';
import { startGitHubStandIn, type GitHubStandIn } from '@coffer/auth-github/testing';
import { freeradiusSkipReason, startTestRadiusServer, TEST_SECRET, type TestRadiusServer } from '@coffer/auth-radius/testing';
import { startCertifyServer, type CertifyServer } from './harness.js';

const INTEGRATIONS = fileURLToPath(new URL('../../../../integrations/', import.meta.url));

let workDirectory: string;
let server: CertifyServer;
const integrations = new Map<string, Integration>();

/** Returns the certify block of a loaded integration, typed by kind. */
function described<K extends 'secrets' | 'auth' | 'audit' | 'database'>(folder: string, kind: K) {
  const certify = integrations.get(folder)?.certify;
  if (certify === undefined || certify.kind !== kind) throw new Error(`integrations/${folder}/integration.hcl has no certify { ${kind} { ... } } block`);
  return certify as Extract<NonNullable<Integration['certify']>, { kind: K }>;
}

const secretsContexts = new Map<string, SecretsContext>();
const authContexts = new Map<string, AuthContext>();
const databaseContexts = new Map<string, DatabaseContext>();
const DATABASE_FOLDERS = ['database-postgresql-database-plugin', 'database-mysql-database-plugin'];
let auditContext: AuditContext;
/** The RADIUS server the radius auth method checks passwords with; absent when FreeRADIUS is not installed. */
let radius: TestRadiusServer | undefined;
const radiusSkipReason = freeradiusSkipReason();
/** The stand-in for GitHub's REST API that the github auth method calls. */
let github: GitHubStandIn | undefined;

before(async () => {
  workDirectory = await mkdtemp(join(tmpdir(), 'coffer-builtins-'));
  for (const folder of ['secrets-kv', 'secrets-transit', 'secrets-pki', 'secrets-ssh', 'secrets-totp', 'secrets-rabbitmq', 'secrets-ldap', 'secrets-aws', 'auth-userpass', 'auth-approle', 'auth-jwt', 'auth-radius', 'auth-github', 'audit-file', ...DATABASE_FOLDERS]) {
    integrations.set(folder, await loadIntegration(join(INTEGRATIONS, folder, 'integration.hcl')));
  }
  server = await startCertifyServer({ pluginDirectory: workDirectory, logFile: join(workDirectory, 'server.log') });

  for (const folder of ['secrets-kv', 'secrets-transit', 'secrets-pki', 'secrets-ssh', 'secrets-totp', 'secrets-rabbitmq', 'secrets-ldap', 'secrets-aws']) {
    const integration = integrations.get(folder)!;
    const { secrets } = described(folder, 'secrets');
    const mount = `certify-${integration.name}`;
    await server.http.expect([204], 'POST', `sys/mounts/${mount}`, { type: integration.name, options: secrets.options ?? {} });
    secretsContexts.set(folder, { http: server.http, mount, description: secrets });
  }
  for (const folder of ['auth-userpass', 'auth-approle', 'auth-jwt']) {
    const integration = integrations.get(folder)!;
    const { auth } = described(folder, 'auth');
    const mount = `certify-${integration.name}`;
    await server.http.expect([204], 'POST', `sys/auth/${mount}`, { type: integration.name, options: auth.options ?? {} });
    authContexts.set(folder, { http: server.http, mount, description: auth, state: {} });
  }
  if (radiusSkipReason === undefined) {
    // The server's port is known only now, so the config is written here and not in integration.hcl.
    radius = await startTestRadiusServer();
    const { auth } = described('auth-radius', 'auth');
    await server.http.expect([204], 'POST', 'sys/auth/certify-radius', { type: 'radius' });
    const config = { host: radius.host, port: radius.port, secret: TEST_SECRET, read_timeout: '5s', token_ttl: '1h', token_max_ttl: '2h' };
    await server.http.expect([204], 'POST', 'auth/certify-radius/config', config);
    authContexts.set('auth-radius', { http: server.http, mount: 'certify-radius', description: auth, state: {} });
  }
  // The stand-in's address is known only now, so the config is written here and not in integration.hcl.
  github = await startGitHubStandIn({
    organizations: [{ id: 31337, login: 'certify-org' }],
    teams: [],
    users: [{ id: 7, login: 'certify', organizations: ['certify-org'], teams: [] }],
    tokens: { ghp_certifyMemberToken: 'certify' },
    maxPageSize: 100,
  });
  await server.http.expect([204], 'POST', 'sys/auth/certify-github', { type: 'github' });
  await server.http.expect([204], 'POST', 'auth/certify-github/config', { organization: 'certify-org', base_url: github.baseUrl, token_ttl: '1h', token_max_ttl: '2h' });
  authContexts.set('auth-github', { http: server.http, mount: 'certify-github', description: described('auth-github', 'auth').auth, state: {} });

  for (const folder of DATABASE_FOLDERS) {
    const integration = integrations.get(folder)!;
    const { database } = described(folder, 'database');
    const mount = `certify-${integration.name}`;
    await server.http.expect([204], 'POST', `sys/mounts/${mount}`, { type: 'database' });
    databaseContexts.set(folder, { http: server.http, mount, pluginName: integration.name, description: database, state: {} });
  }

  const { audit } = described('audit-file', 'audit');
  const startIsolatedServer = async () => {
    const isolated = await startCertifyServer({ pluginDirectory: workDirectory, logFile: join(workDirectory, 'isolated.log') });
    return { http: isolated.http, close: isolated.close };
  };
  auditContext = { http: server.http, type: 'file', path: 'certify-file', description: audit, dir: workDirectory, startIsolatedServer, state: {} };
});

after(async () => {
  await server?.close();
  await radius?.stop();
  await github?.stop();
  await rm(workDirectory, { recursive: true, force: true });
});

declareChecks('secrets: kv', secretsChecks, () => secretsContexts.get('secrets-kv')!);
declareChecks('secrets: transit', secretsChecks, () => secretsContexts.get('secrets-transit')!);
declareChecks('secrets: pki', secretsChecks, () => secretsContexts.get('secrets-pki')!);
declareChecks('secrets: ssh', secretsChecks, () => secretsContexts.get('secrets-ssh')!);
declareChecks('secrets: totp', secretsChecks, () => secretsContexts.get('secrets-totp')!);
declareChecks('secrets: rabbitmq', secretsChecks, () => secretsContexts.get('secrets-rabbitmq')!);
declareChecks('secrets: ldap', secretsChecks, () => secretsContexts.get('secrets-ldap')!);
declareChecks('secrets: aws', secretsChecks, () => secretsContexts.get('secrets-aws')!);
declareChecks('auth: userpass', authChecks, () => authContexts.get('auth-userpass')!);
declareChecks('auth: approle', authChecks, () => authContexts.get('auth-approle')!);
declareChecks('auth: jwt', authChecks, () => authContexts.get('auth-jwt')!);
if (radiusSkipReason === undefined) declareChecks('auth: radius', authChecks, () => authContexts.get('auth-radius')!);
else describe('auth: radius conformance', { skip: radiusSkipReason }, () => {});
declareChecks('auth: github', authChecks, () => authContexts.get('auth-github')!);
declareChecks('audit: file', auditChecks, () => auditContext);
declareChecks('database: postgresql', databaseChecks, () => databaseContexts.get('database-postgresql-database-plugin')!);
declareChecks('database: mysql', databaseChecks, () => databaseContexts.get('database-mysql-database-plugin')!);
