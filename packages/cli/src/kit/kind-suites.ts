/**
 * Runs the conformance suite of one plugin kind against a certify server.
 * Database and seal plugins do not run over the wire yet, so their kinds
 * report one failed check with that reason.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  auditChecks,
  authChecks,
  runChecks,
  runStorageSuite,
  secretsChecks,
  type AuditDescription,
  type Integration,
  type IsolatedServer,
  type SuiteResult,
} from '@coffer/certify';
import { CATALOG_TYPES, registerPlugin, startCertifyServer, type CertifyServer } from './harness.js';

/** Everything a kind's runner needs. */
export interface KindRun {
  integration: Integration;
  /** The project folder; the storage suite imports `entry` from it. */
  project: string;
  /** The running server, or undefined for kinds that run in-process. */
  server?: CertifyServer;
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
  /** Extra text for plugin-output.log, such as the storage child's output. */
  output?: string;
}

/** Kinds whose suite `coffer plugin certify` runs today. */
export const CERTIFIABLE_KINDS = ['secrets', 'auth', 'audit', 'storage'];

function gap(integration: Integration, reason: string): KindOutcome {
  const check = { id: 'suite', title: `a conformance suite exists for kind ${integration.kind}`, required: true, status: 'failed' as const, message: reason, durationMs: 0 };
  return { suite: { suite: integration.kind, plugin: integration.name, results: [check] } };
}

function requireServer(run: KindRun): CertifyServer {
  if (run.server === undefined) throw new Error(`kind ${run.integration.kind} needs a running certify server`);
  return run.server;
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
    case 'storage': {
      const moduleUrl = pathToFileURL(join(run.project, integration.entry ?? 'dist/index.js')).href;
      const storage = await runStorageSuite(integration.name, moduleUrl, certify.storage);
      return { suite: storage.suite, output: storage.output };
    }
    case 'database':
      // TODO: run the database plugin suite once database plugins are served over the wire.
      return gap(integration, 'no conformance suite for database plugins yet; they are not served over the wire on this branch');
    case 'seal':
      // TODO: run the seal suite once seals are served over the wire.
      return gap(integration, 'no conformance suite for seals yet; they are not served over the wire on this branch');
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
