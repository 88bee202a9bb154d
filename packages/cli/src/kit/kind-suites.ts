/**
 * Runs the conformance suite of one plugin kind. Secrets engines, auth
 * methods, audit devices and database plugins run against a certify server
 * that has the plugin in its catalog. Seals and storage backends start the
 * way a server configuration's stanza starts them.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import {
  auditChecks,
  authChecks,
  databaseChecks,
  runChecks,
  secretsChecks,
  type AuditDescription,
  type Integration,
  type IsolatedServer,
  type SuiteResult,
} from '@coffer/certify';
import { runSealSuite, runWireStorageSuite } from './config-kinds.js';
import { CATALOG_TYPES, registerPlugin, startCertifyServer, type CertifyServer } from './harness.js';

/** Everything a kind's runner needs. */
export interface KindRun {
  integration: Integration;
  project: string;
  /** The running certify server, or undefined for the kinds a server configuration names. */
  server?: CertifyServer;
  /** The bundle's server.log, where the seal suite's servers log too. */
  logFile: string;
  pluginDirectory: string;
  /** Executable name of the plugin in the plugin directory. */
  command: string;
  /** Folder for scratch files and isolated servers' logs. */
  workDirectory: string;
}

/** Output of one kind's run: the suite result and anything the bundle should keep. */
export interface KindOutcome {
  suite: SuiteResult;
  /** SHA-256 the catalog pinned, when the plugin was registered. */
  sha256?: string;
  /** Extra text for plugin-output.log, such as the storage suite's output. */
  output?: string;
}

/** Kinds whose suite `coffer plugin certify` runs today. */
export const CERTIFIABLE_KINDS = ['secrets', 'auth', 'audit', 'storage', 'database', 'seal'];

/** Kinds whose suite needs the certify server with the plugin in its catalog. */
export const CATALOG_KINDS = ['secrets', 'auth', 'audit', 'database'];

function gap(integration: Integration, reason: string): KindOutcome {
  const check = { id: 'suite', title: `a conformance suite exists for kind ${integration.kind}`, required: true, status: 'failed' as const, message: reason, durationMs: 0 };
  return { suite: { suite: integration.kind, plugin: integration.name, results: [check] } };
}

function requireServer(run: KindRun): CertifyServer {
  if (run.server === undefined) throw new Error(`kind ${run.integration.kind} needs a running certify server`);
  return run.server;
}

/** Replaces `{{dir}}` in the string values of a connection's settings. */
function expandDirectory(settings: Record<string, unknown>, dir: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).map(([name, value]) => [name, typeof value === 'string' ? value.replaceAll('{{dir}}', dir) : value]));
}

/** Runs the suite of the integration's kind. */
export async function runKindSuite(run: KindRun): Promise<KindOutcome> {
  const { integration } = run;
  const certify = integration.certify;
  if (certify === undefined) return gap(integration, `integration.hcl has no certify { ${integration.kind} { ... } } block that says how to exercise the plugin`);

  switch (certify.kind) {
    case 'secrets': {
      const server = requireServer(run);
      const sha256 = await registerPlugin(server.http, run.pluginDirectory, 'secret', integration.name, run.command);
      await server.http.expect([204], 'POST', `sys/mounts/${integration.name}`, { type: integration.name, options: certify.secrets.options ?? {} });
      const suite = await runChecks('secrets', integration.name, secretsChecks, { http: server.http, mount: integration.name, description: certify.secrets });
      return { suite, sha256 };
    }
    case 'auth': {
      const server = requireServer(run);
      const sha256 = await registerPlugin(server.http, run.pluginDirectory, 'auth', integration.name, run.command);
      await server.http.expect([204], 'POST', `sys/auth/${integration.name}`, { type: integration.name, options: certify.auth.options ?? {} });
      const suite = await runChecks('auth', integration.name, authChecks, { http: server.http, mount: integration.name, description: certify.auth, state: {} });
      return { suite, sha256 };
    }
    case 'audit':
      return runAuditSuite(run, certify.audit);
    case 'storage':
      return runWireStorageSuite(run, certify.storage);
    case 'database': {
      const server = requireServer(run);
      const sha256 = await registerPlugin(server.http, run.pluginDirectory, 'database', integration.name, run.command);
      await server.http.expect([204], 'POST', 'sys/mounts/certify-db', { type: 'database' });
      const dir = await mkdtemp(join(run.workDirectory, 'database-'));
      const description = { ...certify.database, connection: expandDirectory(certify.database.connection, dir) };
      const context = { http: server.http, mount: 'certify-db', pluginName: integration.name, description, state: {} };
      const suite = await runChecks('database', integration.name, databaseChecks, context);
      return { suite, sha256 };
    }
    case 'seal':
      return runSealSuite(run, certify.seal, run.logFile);
  }
}

async function runAuditSuite(run: KindRun, description: AuditDescription): Promise<KindOutcome> {
  const server = requireServer(run);
  const { integration } = run;
  const catalogType = CATALOG_TYPES.audit!;
  const sha256 = await registerPlugin(server.http, run.pluginDirectory, catalogType, integration.name, run.command);
  const dir = await mkdtemp(join(run.workDirectory, 'audit-'));
  let isolatedCount = 0;

  // The failing-device check needs a server where no other device records requests.
  const startIsolatedServer = async (): Promise<IsolatedServer> => {
    isolatedCount += 1;
    const isolated = await startCertifyServer({ pluginDirectory: run.pluginDirectory, logFile: join(run.workDirectory, `isolated-${isolatedCount}.log`) });
    await registerPlugin(isolated.http, run.pluginDirectory, catalogType, integration.name, run.command);
    return { http: isolated.http, close: isolated.close };
  };
  const context = { http: server.http, type: integration.name, path: integration.name, description, dir, startIsolatedServer, state: {} };
  const suite = await runChecks('audit', integration.name, auditChecks, context);
  return { suite, sha256 };
}
