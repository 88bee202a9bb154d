/**
 * A throwaway Coffer server for certification: a dev server on a free
 * loopback port with a plugin directory of its own, its log in a file, and
 * helpers to register a plugin by SHA-256.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CofferHttp, sha256Hex } from '@coffer/certify';
import { startServer, type RunningServer } from '@coffer/server';

/** A running certify server and a client with its root token. */
export interface CertifyServer {
  server: RunningServer;
  http: CofferHttp;
  close(): Promise<void>;
}

/** Options of {@link startCertifyServer}. */
export interface CertifyServerOptions {
  pluginDirectory: string;
  /** File that receives the server's JSON log lines, plugin output included. */
  logFile: string;
  /** When set, a file audit device at `certify/` writes every request and response here. */
  auditFile?: string;
}

/** Starts the server; the caller must call `close`, which also closes the log file. */
export async function startCertifyServer(options: CertifyServerOptions): Promise<CertifyServer> {
  const log: WriteStream = createWriteStream(options.logFile, { flags: 'a' });
  const rootToken = `certify-${randomBytes(16).toString('hex')}`;
  let server: RunningServer;
  try {
    server = await startServer({
      dev: true,
      devListenAddress: '127.0.0.1:0',
      devRootTokenId: rootToken,
      devPluginDirectory: options.pluginDirectory,
      pluginStartTimeoutMs: 20_000,
      logDestination: log,
    });
  } catch (error) {
    await closeStream(log);
    throw error;
  }
  const http = new CofferHttp(server.address, rootToken);
  const close = async (): Promise<void> => {
    await server.close();
    await closeStream(log);
  };
  if (options.auditFile !== undefined) {
    try {
      await http.expect([204], 'PUT', 'sys/audit/certify', { type: 'file', options: { file_path: options.auditFile } });
    } catch (error) {
      await close();
      throw error;
    }
  }
  return { server, http, close };
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(() => resolve()));
}

/** The catalog type of each plugin kind that runs over the wire. */
export const CATALOG_TYPES: Partial<Record<string, string>> = { secrets: 'secret', auth: 'auth', audit: 'audit', database: 'database' };

/**
 * Registers the executable `command` of the plugin directory under `name`
 * by its SHA-256, and returns the hash.
 */
export async function registerPlugin(http: CofferHttp, pluginDirectory: string, catalogType: string, name: string, command: string): Promise<string> {
  const sha256 = sha256Hex(await readFile(join(pluginDirectory, command)));
  await http.expect([204], 'PUT', `sys/plugins/catalog/${catalogType}/${name}`, { sha256, command });
  return sha256;
}
