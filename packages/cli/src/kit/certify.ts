/**
 * `coffer plugin certify` end to end: build the project, start a fresh
 * server with a file audit device, register the plugin by SHA-256, run the
 * kind's suite and the project's own tests, and write the review bundle.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import {
  codeDigest,
  failureLines,
  loadIntegration,
  renderHtml,
  renderJunit,
  sha256Hex,
  suitePassed,
  writeManifest,
  type BundleSummary,
  type CheckResult,
  type Integration,
  type SuiteResult,
} from '@coffer/certify';
import { BACKEND_PROTOCOL_VERSION, CORE_PROTOCOL_VERSION } from '@coffer/sdk';
import { COFFER_VERSION } from '@coffer/server';
import { startCertifyServer, type CertifyServer } from './harness.js';
import { CATALOG_KINDS, runKindSuite, type KindOutcome } from './kind-suites.js';
import { installPlugin } from './launcher.js';

/** Options of one certification. */
export interface CertifyOptions {
  /** A project folder with integration.hcl, or a plugin binary with integration.hcl beside it. */
  target: string;
  kind: string;
  /** Bundle folder to write; must not exist or be empty. */
  output: string;
  /** Run the project's `npm test`; when false the check is skipped and certification fails. */
  runProjectTests: boolean;
  /** Run `npm run build` first; false when the caller has built the project already. */
  build: boolean;
  /** Receives progress lines for the terminal. */
  progress(line: string): void;
}

/** Result of one certification. */
export interface CertifyOutcome {
  passed: boolean;
  suites: SuiteResult[];
  /** One line per failed required check, naming it. */
  failures: string[];
}

/** Runs a command in `cwd`, appending its output to `logFile`; returns its exit code. */
function runLogged(command: string, args: string[], cwd: string, logFile: string): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise) => {
    // A project's `node --test` skips its files when NODE_TEST_CONTEXT is set, as it is inside a running `node --test`.
    const { NODE_TEST_CONTEXT: _parentTestRun, ...environment } = process.env;
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...environment, NODE_OPTIONS: '' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', (error) => (output += `${error.message}\n`));
    child.on('close', async (code) => {
      await writeFile(logFile, output, { flag: 'a' });
      resolvePromise({ code: code ?? 1, output });
    });
  });
}

/** Builds the result of one project step, such as the build or the project's own tests. */
function projectCheck(id: string, title: string, status: CheckResult['status'], message?: string): CheckResult {
  const check: CheckResult = { id, title, required: true, status, durationMs: 0 };
  if (message !== undefined) check.message = message;
  return check;
}

function packageScripts(project: string): Record<string, string> {
  const file = join(project, 'package.json');
  if (!existsSync(file)) return {};
  return (JSON.parse(readFileSync(file, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/**
 * Describes a passed `npm test` by its counts from the TAP summary, so a
 * reviewer can read how many tests the project has. The count is unknown
 * unless the test script prints a `# tests N` line, as node's test runner does.
 */
function projectTestsPassed(output: string): string {
  const count = (label: string): string | undefined => [...output.matchAll(new RegExp(`^# ${label} (\\d+)$`, 'gm'))].at(-1)?.[1];
  const tests = count('tests');
  if (tests === undefined) return 'npm test passed, but printed no TAP summary ("# tests N"), so the number of tests is unknown';
  return `npm test ran ${tests} tests: ${count('pass') ?? '?'} passed, ${count('skipped') ?? '0'} skipped, ${count('todo') ?? '0'} todo`;
}

/**
 * Describes a failed `npm test` with the names of the failed tests from its
 * TAP output, then the last lines of that output. The names are needed
 * because a failed test is usually reported far above the last lines.
 */
function projectTestsFailure(code: number, output: string): string {
  const failed = [...output.matchAll(/^\s*not ok \d+ - (.+)$/gm)].map((match) => match[1]!.trim());
  const names = failed.length === 0 ? '' : `; failed tests: ${failed.join('; ')}`;
  return `npm test exited with ${code}${names} (full output in project-tests.log):\n${lastLines(output, 25)}`;
}

/** Resolves the target to its project folder, its integration and, for a binary, the binary's path. */
async function resolveTarget(options: CertifyOptions): Promise<{ project: string; integration: Integration; binary?: string }> {
  const target = resolve(options.target);
  if (!existsSync(target)) throw new Error(`"${options.target}" does not exist: give a project folder or a plugin binary`);
  const isFile = statSync(target).isFile();
  const project = isFile ? dirname(target) : target;
  const integrationFile = join(project, 'integration.hcl');
  if (!existsSync(integrationFile)) throw new Error(`${integrationFile} is missing: every plugin describes itself there; "coffer plugin new" writes one`);
  const integration = await loadIntegration(integrationFile);
  if (integration.kind !== options.kind) throw new Error(`integration.hcl declares kind "${integration.kind}", but -kind is "${options.kind}"`);
  return isFile ? { project, integration, binary: target } : { project, integration };
}

async function prepareOutput(output: string): Promise<void> {
  if (existsSync(output) && !statSync(output).isDirectory()) throw new Error(`output "${output}" is a file, not a folder: choose a new folder for the bundle`);
  if (existsSync(output) && (await readdir(output)).length > 0) throw new Error(`output folder "${output}" is not empty: choose a new folder for the bundle`);
  await mkdir(output, { recursive: true });
}

/** Certifies one plugin and writes the bundle. @throws Error for a bad target or output folder. */
export async function certifyPlugin(options: CertifyOptions): Promise<CertifyOutcome> {
  const startedAt = new Date().toISOString();
  const { project, integration, binary } = await resolveTarget(options);
  const bundle = resolve(options.output);
  await prepareOutput(bundle);
  await copyFile(join(project, 'integration.hcl'), join(bundle, 'integration.hcl'));

  const projectResults: CheckResult[] = [];
  const scripts = packageScripts(project);
  if (binary === undefined && scripts.build !== undefined && !options.build) {
    projectResults.push(projectCheck('build', 'the project builds with npm run build', 'skipped', 'not run: -build=false, so the project was built before'));
  } else if (binary === undefined && scripts.build !== undefined) {
    options.progress(`building ${project}`);
    const build = await runLogged('npm', ['run', 'build'], project, join(bundle, 'build.log'));
    if (build.code !== 0) {
      projectResults.push(projectCheck('build', 'the project builds with npm run build', 'failed', `npm run build exited with ${build.code}:\n${lastLines(build.output, 15)}`));
      return finish(options, bundle, integration, startedAt, [{ suite: 'project', plugin: integration.name, results: projectResults }], undefined, '', project);
    }
    projectResults.push(projectCheck('build', 'the project builds with npm run build', 'passed'));
  }

  const outcome = await runSuiteOnServer(options, bundle, project, integration, binary);

  if (binary === undefined && scripts.test !== undefined && options.runProjectTests) {
    options.progress('running the project tests (npm test)');
    const tests = await runLogged('npm', ['test'], project, join(bundle, 'project-tests.log'));
    const message = tests.code === 0 ? projectTestsPassed(tests.output) : projectTestsFailure(tests.code, tests.output);
    projectResults.push(projectCheck('project-tests', "the project's own tests pass (npm test)", tests.code === 0 ? 'passed' : 'failed', message));
  } else {
    const reason = options.runProjectTests ? 'the project has no test script' : 'not run: -project-tests=false';
    projectResults.push(projectCheck('project-tests', "the project's own tests pass (npm test)", options.runProjectTests ? 'skipped' : 'failed', reason));
  }
  const suites = [outcome.suite, { suite: 'project', plugin: integration.name, results: projectResults }];
  return finish(options, bundle, integration, startedAt, suites, outcome.sha256, outcome.output ?? '', project);
}

/** Starts the server, installs the plugin, runs the kind's suite and stops the server. */
async function runSuiteOnServer(options: CertifyOptions, bundle: string, project: string, integration: Integration, binary?: string): Promise<KindOutcome> {
  const workDirectory = await mkdtemp(join(tmpdir(), 'coffer-certify-'));
  const pluginDirectory = join(workDirectory, 'plugins');
  await mkdir(pluginDirectory);
  const command = integration.name;
  let server: CertifyServer | undefined;
  try {
    await installPlugin(pluginDirectory, command, project, integration, binary);
    if (CATALOG_KINDS.includes(integration.kind)) {
      options.progress('starting a certify server');
      server = await startCertifyServer({ pluginDirectory, logFile: join(bundle, 'server.log'), auditFile: join(bundle, 'audit.log') });
    }
    options.progress(`running the ${integration.kind} conformance suite`);
    const logFile = join(bundle, 'server.log');
    return await runKindSuite({ integration, project, pluginDirectory, command, workDirectory, logFile, ...(server !== undefined ? { server } : {}) });
  } catch (error) {
    const check = projectCheck('setup', 'the server starts and the plugin registers and mounts', 'failed', error instanceof Error ? error.message : String(error));
    return { suite: { suite: integration.kind, plugin: integration.name, results: [check] } };
  } finally {
    await server?.close();
    await rm(workDirectory, { recursive: true, force: true });
  }
}

/** Keeps the server log lines that carry plugin output, as plugin-output.log. */
async function extractPluginOutput(bundle: string, extra: string): Promise<void> {
  const serverLog = join(bundle, 'server.log');
  const lines = existsSync(serverLog) ? (await readFile(serverLog, 'utf8')).split('\n').filter((line) => line.includes('"plugin output"')) : [];
  await writeFile(join(bundle, 'plugin-output.log'), `${lines.join('\n')}${lines.length > 0 ? '\n' : ''}${extra}`);
}

/** Returns the version of the @coffer/sdk that the project resolves, as Node.js would find it from the project folder. */
function sdkVersion(project: string, integration: Integration): string {
  if (integration.runtime === 'python3') return 'none: speaks the wire protocol directly';
  let directory: string;
  try {
    directory = dirname(createRequire(join(project, 'package.json')).resolve('@coffer/sdk'));
  } catch {
    return 'unknown: @coffer/sdk does not resolve from the project';
  }
  for (; directory !== dirname(directory); directory = dirname(directory)) {
    const file = join(directory, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (manifest.name === '@coffer/sdk') return manifest.version ?? 'unknown';
  }
  return 'unknown';
}

/** The gRPC service each kind serves besides go-plugin's; the rest serve Vault's backend protocol. */
const KIND_SERVICES: Record<string, string> = {
  audit: 'coffer.audit.v1.AuditDevice',
  database: 'coffer.database.v1.Database',
  seal: 'coffer.seal.v1.Seal',
  storage: 'coffer.storage.v1.StorageBackend',
};

function protocolOf(kind: string): string {
  const service = KIND_SERVICES[kind];
  if (service !== undefined) return `go-plugin core ${CORE_PROTOCOL_VERSION}, ${service}`;
  return `go-plugin core ${CORE_PROTOCOL_VERSION}, backend ${BACKEND_PROTOCOL_VERSION}`;
}

/** Writes results, reports and the manifest, and returns the verdict. */
async function finish(
  options: CertifyOptions,
  bundle: string,
  integration: Integration,
  startedAt: string,
  suites: SuiteResult[],
  sha256: string | undefined,
  extraOutput: string,
  project: string,
): Promise<CertifyOutcome> {
  const passed = suites.every((suite) => suitePassed(suite));
  const failures = suites.flatMap(failureLines);
  await extractPluginOutput(bundle, extraOutput);

  const entry = join(project, integration.entry ?? '');
  const summary: BundleSummary = {
    name: integration.name,
    kind: integration.kind,
    version: integration.version,
    vendor: integration.vendor,
    source_url: integration.source_url,
    support: integration.support,
    sha256: sha256 ?? 'not registered',
    entry_sha256: integration.entry !== undefined && existsSync(entry) ? sha256Hex(await readFile(entry)) : 'none',
    code_sha256: integration.entry !== undefined && integration.runtime !== undefined && existsSync(entry) ? await codeDigest(entry, integration.runtime) : 'none',
    sdk_version: sdkVersion(project, integration),
    protocol: protocolOf(integration.kind),
    coffer_version: COFFER_VERSION,
    started_at: startedAt,
    finished_at: new Date().toISOString(),
    passed,
  };
  await writeFile(join(bundle, 'results.json'), `${JSON.stringify({ summary, suites }, null, 2)}\n`);
  await writeFile(join(bundle, 'junit.xml'), renderJunit(suites));
  await writeFile(join(bundle, 'report.html'), renderHtml(summary, suites));
  await writeFile(join(bundle, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeManifest(bundle, summary);
  options.progress(`bundle written to ${bundle} (${basename(bundle)}/manifest.json lists every file)`);
  return { passed, suites, failures };
}
