/**
 * Child process that runs one Coffer server from the built `dist` of
 * @coffer/server.
 *
 * Usage (forked by the runner with an IPC channel): `coffer-server.mjs CONFIG`.
 * Sends `{ type: 'ready', address }` once the listener is up. On a `stop`
 * message, a closed IPC channel (the runner died) or SIGTERM it closes the
 * server and exits with status 0, so `--cpu-prof` can write its profile.
 */
import { serveChild } from '../lib/child-protocol.mjs';

const configPath = process.argv[2];
if (configPath === undefined) {
  console.error('usage: coffer-server.mjs CONFIG_FILE');
  process.exit(1);
}

const serverModule = new URL('../../packages/server/dist/index.js', import.meta.url);
const { startServer } = await import(serverModule.href);
const server = await startServer({ configPaths: [configPath] });

serveChild({ address: server.address }, () => server.close());
