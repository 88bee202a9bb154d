// `coffer server`: starts a server in this process and runs it until SIGINT,
// SIGTERM or the abort signal of the CommandIO.
import type { RunningServer, StartOptions } from '@coffer/server';
import { envSetting } from '../client.js';
import type { Command } from '../command.js';
import { expectArguments } from '../command.js';
import { UsageError } from '../flags.js';
import type { UI } from '../io.js';
import { columnize, wrapAtLength } from '../output.js';
import { storeToken, tokenFilePath } from '../token-helper.js';

/** Resolves when SIGINT or SIGTERM arrives or `signal` is aborted; returns what stopped it. */
function waitForStop(signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    const finish = (reason: string): void => {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onTerminate);
      signal?.removeEventListener('abort', onAbort);
      resolve(reason);
    };
    const onInterrupt = (): void => finish('SIGINT');
    const onTerminate = (): void => finish('SIGTERM');
    const onAbort = (): void => finish('abort');
    process.once('SIGINT', onInterrupt);
    process.once('SIGTERM', onTerminate);
    if (signal?.aborted) finish('abort');
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function printConfiguration(ui: UI, server: RunningServer, options: StartOptions): void {
  const rows = [['Api Address:', server.address]];
  server.addresses.forEach((address, index) => {
    const tls = address.startsWith('https:') ? 'enabled' : 'disabled';
    rows.push([`Listener ${index + 1}:`, `tcp (addr: "${address.replace(/^https?:\/\//, '')}", tls: "${tls}")`]);
  });
  rows.push(['Log Level:', options.logLevel ?? 'info']);
  rows.push(['Storage:', server.storageType]);

  const width = Math.max(...rows.map(([label]) => label.length));
  ui.output('==> Coffer server configuration:\n');
  ui.output(columnize(rows.map(([label, value]) => [label.padStart(width), value])).replace(/^/gm, '  '));
  ui.output('');
  ui.output('==> Coffer server started! Log data will stream in below:\n');
}

function printDevBanner(ui: UI, server: RunningServer, tokenStored: boolean, tokenFile: string): void {
  if (server.dev === undefined) return;
  const tokenNote = tokenStored
    ? `The root token is already stored in ${tokenFile}, so the CLI is authenticated and ready to use.`
    : 'Log in with the root token below to use the CLI.';
  ui.output(
    wrapAtLength(
      'WARNING! dev mode is enabled! In this mode, Coffer keeps all data in memory and starts unsealed ' +
        `with a single unseal key. ${tokenNote}`,
    ),
  );
  ui.output('');
  ui.output('You may need to set the following environment variables:');
  ui.output('');
  ui.output(`    $ export COFFER_ADDR='${server.address}'`);
  ui.output(`    $ export VAULT_ADDR='${server.address}'`);
  ui.output('');
  ui.output(wrapAtLength('The unseal key and root token are shown below, to seal and unseal the server or to log in again.'));
  ui.output('');
  ui.output(`Unseal Key: ${server.dev.unsealKey}`);
  ui.output(`Root Token: ${server.dev.rootToken}`);
  ui.output('');
  ui.output('Development mode should NOT be used in production installations!');
  ui.output('');
}

export const serverCommand: Command = {
  name: 'server',
  synopsis: 'Start a Coffer server',
  help: `
Usage: coffer server [options]

  Starts a Coffer server that serves the HTTP API until it receives SIGINT or
  SIGTERM. The configuration comes from HCL or JSON files given with -config.

      $ coffer server -config=/etc/coffer/config.hcl

  A development server keeps its data in memory, starts unsealed and prints
  its unseal key and root token. Never use it in production.

      $ coffer server -dev -dev-root-token-id=root`,
  flags: [
    {
      name: 'config',
      kind: 'list',
      usage: 'Path to a configuration file or a folder of them (.hcl and .json). Repeat the flag to merge several.',
    },
    { name: 'log-level', kind: 'string', defaultText: 'info', usage: 'Log verbosity: trace, debug, info, warn or error. COFFER_LOG_LEVEL or VAULT_LOG_LEVEL also set it.' },
    { name: 'dev', kind: 'bool', group: 'Dev Options', usage: 'Start an in-memory development server, unsealed, with KV version 2 mounted at secret/.' },
    {
      name: 'dev-root-token-id',
      kind: 'string',
      group: 'Dev Options',
      usage: 'Root token of the development server, in place of a generated one. COFFER_DEV_ROOT_TOKEN_ID or VAULT_DEV_ROOT_TOKEN_ID also set it.',
    },
    {
      name: 'dev-listen-address',
      kind: 'string',
      group: 'Dev Options',
      defaultText: '127.0.0.1:8200',
      usage: 'Address the development server listens on; port 0 picks a free port. COFFER_DEV_LISTEN_ADDRESS or VAULT_DEV_LISTEN_ADDRESS also set it.',
    },
    {
      name: 'dev-plugin-dir',
      kind: 'string',
      group: 'Dev Options',
      usage: 'Folder of external plugin executables the development server may register and run, like plugin_directory in a config file.',
    },
  ],
  async run({ ui, io, args, flags }) {
    expectArguments(args, 0);
    const dev = flags.bool('dev');
    const configPaths = flags.list('config');
    if (!dev && configPaths.length === 0) {
      throw new UsageError('Must specify at least one config path using -config, or use -dev for a development server');
    }

    const options: StartOptions = { dev, configPaths, logDestination: io.stdout };
    const rootTokenId = flags.string('dev-root-token-id') || envSetting(io.env, 'DEV_ROOT_TOKEN_ID');
    if (rootTokenId !== undefined) options.devRootTokenId = rootTokenId;
    const listenAddress = flags.string('dev-listen-address') || envSetting(io.env, 'DEV_LISTEN_ADDRESS');
    if (listenAddress !== undefined) options.devListenAddress = listenAddress;
    const pluginDirectory = flags.string('dev-plugin-dir');
    if (pluginDirectory !== '') options.devPluginDirectory = pluginDirectory;
    const logLevel = flags.string('log-level') || envSetting(io.env, 'LOG_LEVEL');
    if (logLevel !== undefined) options.logLevel = logLevel.toLowerCase();

    let server: RunningServer;
    try {
      // Loaded here so that client commands do not load the server and its storage drivers.
      const { startServer } = await import('@coffer/server');
      server = await startServer(options);
    } catch (error) {
      ui.error(`Error starting the server: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }

    printConfiguration(ui, server, options);
    let tokenStored = false;
    if (server.dev !== undefined) {
      try {
        // Vault's dev mode also logs the CLI in with the root token.
        await storeToken(io.env, server.dev.rootToken);
        tokenStored = true;
      } catch (error) {
        ui.warn(`Could not store the root token in ${tokenFilePath(io.env)}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    printDevBanner(ui, server, tokenStored, tokenFilePath(io.env));

    const reason = await waitForStop(io.signal);
    ui.output(`==> Coffer shutdown triggered by ${reason}`);
    try {
      await server.close();
    } catch (error) {
      ui.error(`Error stopping the server: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    return 0;
  },
};
