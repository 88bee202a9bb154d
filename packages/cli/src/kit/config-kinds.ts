/**
 * Certify runs of the kinds a server configuration names instead of the
 * plugin catalog: seals and storage backends. Both start the plugin's
 * launcher with the server's own configured-plugin client, so the suites
 * talk to the plugin process over the wire exactly as a server would.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  prepareSealDescription,
  runChecks,
  runStorageSuite,
  sealChecks,
  sha256Hex,
  type SealContext,
  type SealDescription,
  type SealServer,
  type StorageDescription,
} from '@coffer/certify';
import type { Logger } from '@coffer/sdk';
import { ExternalSeal, startServer } from '@coffer/server';
import type { KindOutcome, KindRun } from './kind-suites.js';
import { WIRE_STORAGE_ENV, type WireStorageTarget } from './wire-storage.js';

/** How long a plugin may take to start and finish Create, in milliseconds; generous, as runs share the CPU. */
export const CONFIG_PLUGIN_START_MS = 20_000;
/** Auto-unseal retries of the seal suite's servers: short, so a restart check does not wait long. */
const UNSEAL_RETRY = { initialMs: 100, maxMs: 1000 };

/** Logger that appends pino-style JSON lines to a stream, for the bundle's server.log. */
export function streamLogger(stream: WriteStream, bindings: object = {}): Logger {
  const write = (level: number) => (fields: object, msg: string) => {
    const { err, ...rest } = fields as { err?: unknown };
    const line: Record<string, unknown> = { level, time: Date.now(), ...bindings, ...rest, msg };
    if (err !== undefined) line.err = err instanceof Error ? { message: err.message } : err;
    stream.write(`${JSON.stringify(line)}\n`);
  };
  return { trace: write(10), debug: write(20), info: write(30), warn: write(40), error: write(50), child: (more) => streamLogger(stream, { ...bindings, ...more }) };
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(() => resolve()));
}

/** Quotes a value as an HCL string. */
function hclString(value: string): string {
  return JSON.stringify(value).replaceAll('${', '$${').replaceAll('%{', '%%{');
}

/** Returns the `seal` stanza that names the plugin, with its settings. */
export function sealStanza(label: string, command: string, sha256: string, settings: Record<string, string>): string {
  const lines = [`seal ${hclString(label)} {`, `  plugin_sha256  = ${hclString(sha256)}`, `  plugin_command = ${hclString(command)}`];
  for (const [name, value] of Object.entries(settings)) lines.push(`  ${name} = ${hclString(value)}`);
  return `${lines.join('\n')}\n}\n`;
}

/**
 * Runs the seal suite: the seal's own checks through the server's seal
 * client, then servers configured with the seal, all logging to `logFile`.
 */
export async function runSealSuite(run: KindRun, description: SealDescription, logFile: string): Promise<KindOutcome> {
  const { integration, pluginDirectory, command } = run;
  const sha256 = sha256Hex(await readFile(join(pluginDirectory, command)));
  const dir = await mkdtemp(join(run.workDirectory, 'seal-'));
  const prepared = await prepareSealDescription(description, dir);
  const log = createWriteStream(logFile, { flags: 'a' });
  const logger = streamLogger(log);
  const options = { pluginDirectory, startTimeoutMs: CONFIG_PLUGIN_START_MS };

  const dataDirectory = join(dir, 'server-data');
  await mkdir(dataDirectory);
  const configFile = join(dir, 'server.hcl');
  const config = [
    `plugin_directory = ${hclString(pluginDirectory)}`,
    `storage "file" {\n  path = ${hclString(dataDirectory)}\n}`,
    sealStanza(integration.name, command, sha256, prepared.settings),
    'listener "tcp" {\n  address     = "127.0.0.1:0"\n  tls_disable = true\n}',
  ].join('\n');
  await writeFile(configFile, config, { mode: 0o600 });

  const context: SealContext = {
    description: prepared,
    openSeal: (settings) => ExternalSeal.open(integration.name, { plugin_sha256: sha256, plugin_command: command, ...settings }, options, logger),
    async startServer(): Promise<SealServer> {
      const server = await startServer({ configPaths: [configFile], logDestination: log, autoUnsealRetry: UNSEAL_RETRY, pluginStartTimeoutMs: CONFIG_PLUGIN_START_MS });
      return { address: server.address, close: () => server.close() };
    },
    state: {},
  };
  try {
    const suite = await runChecks('seal', integration.name, sealChecks, context);
    return { suite, sha256 };
  } finally {
    await context.state.server?.close();
    await closeStream(log);
  }
}

/**
 * Runs the storage suite over the wire: every case opens its store through
 * the server's storage client, which starts the plugin's launcher.
 */
export async function runWireStorageSuite(run: KindRun, description: StorageDescription): Promise<KindOutcome> {
  const { integration, pluginDirectory, command } = run;
  const sha256 = sha256Hex(await readFile(join(pluginDirectory, command)));
  const target: WireStorageTarget = { label: integration.name, pluginDirectory, command, sha256, startTimeoutMs: CONFIG_PLUGIN_START_MS, logFile: run.logFile };
  const adapter = new URL('./wire-storage.js', import.meta.url).href;
  const storage = await runStorageSuite(integration.name, adapter, description, { env: { [WIRE_STORAGE_ENV]: JSON.stringify(target) } });
  return { suite: storage.suite, output: storage.output, sha256 };
}
