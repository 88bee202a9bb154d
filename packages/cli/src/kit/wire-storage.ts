/**
 * The module the storage suite imports when `coffer plugin certify` runs a
 * storage plugin over the wire. Its `plugin` opens every store as the
 * server would for a `storage` stanza that names the plugin's launcher, so
 * each case talks to a plugin process through the server's storage client.
 * The launcher's location comes from the environment variable
 * {@link WIRE_STORAGE_ENV}.
 */
import { appendFileSync } from 'node:fs';
import { SDK_VERSION, type Logger, type StoragePlugin } from '@coffer/sdk';
import { ExternalStorage } from '@coffer/server';

/** The environment variable with the JSON {@link WireStorageTarget}. */
export const WIRE_STORAGE_ENV = 'COFFER_CERTIFY_STORAGE_WIRE';

/** The launcher's location and the SHA-256 that pins it. */
export interface WireStorageTarget {
  /** The stanza's label, the plugin's name. */
  label: string;
  pluginDirectory: string;
  /** The launcher's file name in the plugin directory. */
  command: string;
  /** Hex SHA-256 of the launcher, as `plugin_sha256`. */
  sha256: string;
  startTimeoutMs: number;
  /** File that receives the storage client's JSON log lines, the plugin's output among them: the bundle's server.log. */
  logFile: string;
}

/**
 * Returns a logger that appends pino-style JSON lines to `file`. Appends are
 * synchronous, because the suite's processes may exit right after a case,
 * and the crash case writes from a second process.
 */
function fileLogger(file: string, bindings: object = {}): Logger {
  const write = (level: number) => (fields: object, msg: string) => {
    const { err, ...rest } = fields as { err?: unknown };
    const line: Record<string, unknown> = { level, time: Date.now(), ...bindings, ...rest, msg };
    if (err !== undefined) line.err = err instanceof Error ? { message: err.message } : err;
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  };
  return { trace: write(10), debug: write(20), info: write(30), warn: write(40), error: write(50), child: (more) => fileLogger(file, { ...bindings, ...more }) };
}

function readTarget(): WireStorageTarget {
  const raw = process.env[WIRE_STORAGE_ENV];
  if (raw === undefined) throw new Error(`${WIRE_STORAGE_ENV} is not set; coffer plugin certify sets it`);
  return JSON.parse(raw) as WireStorageTarget;
}

/** Names of the settings the description gives, which the stanza passes on to the plugin. */
function describedSettings(): string[] {
  const raw = process.env.COFFER_CERTIFY_STORAGE;
  return raw === undefined ? [] : Object.keys((JSON.parse(raw) as { settings: Record<string, string> }).settings);
}

export const plugin: StoragePlugin = {
  kind: 'storage',
  name: 'wire',
  version: '1.0.0',
  sdkVersion: SDK_VERSION,
  settings: describedSettings(),
  // The suite passes a silent logger, which would drop the plugin's output, so the adapter logs to the bundle instead.
  async create(settings) {
    const target = readTarget();
    const stanza = { ...settings, plugin_sha256: target.sha256, plugin_command: target.command };
    return ExternalStorage.open(target.label, stanza, { pluginDirectory: target.pluginDirectory, startTimeoutMs: target.startTimeoutMs }, fileLogger(target.logFile));
  },
};
