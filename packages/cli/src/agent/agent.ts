// Runs the agent: auto-auth with its sinks, the templates and the API proxy,
// until SIGINT or SIGTERM, or once with exit_after_auth.
import { rm } from 'node:fs/promises';
import type { ClientConfig } from '../client.js';
import { CofferClient } from '../client.js';
import type { UI } from '../io.js';
import { writeFileAtomic } from './atomic-file.js';
import { AuthHandler } from './auth-handler.js';
import { ChildSupervisor } from './exec.js';
import type { AuthToken } from './auth-methods.js';
import { createAuthMethod } from './auth-methods.js';
import { LeaseCache } from './lease-cache.js';
import type { AgentConfig, MethodConfig } from './config.js';
import type { AgentLogger } from './log.js';
import type { RunningProxy } from './proxy.js';
import { startProxy } from './proxy.js';
import { writeSinks } from './sinks.js';
import type { LoadedTemplate } from './templates.js';
import { TemplateRenderer } from './templates.js';

/** Parts the command builds before the agent runs. */
export interface AgentParts {
  config: AgentConfig;
  clientConfig: ClientConfig;
  templates: LoadedTemplate[];
  logger: AgentLogger;
  ui: UI;
}

/** The exec child exited on its own; the agent exits with the same code. */
interface ChildExit {
  exitCode: number;
}

/** Why the agent stops: a signal name or "abort", a fatal error, or the exec child's exit. */
type StopReason = string | Error | ChildExit;

/** Resolves with the signal name when SIGINT or SIGTERM arrives, "abort" when `signal` aborts, or what `fatal` reports. */
function waitForStop(signal: AbortSignal | undefined, fatal: Promise<Error | ChildExit>): Promise<StopReason> {
  return new Promise((resolve) => {
    const finish = (reason: StopReason): void => {
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
    void fatal.then(finish);
    if (signal?.aborted) finish('abort');
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** State that the run steps share. */
interface AgentRun {
  parts: AgentParts;
  client: CofferClient;
  renderer: TemplateRenderer | undefined;
  /** Aborted when the agent stops, which ends the auto-auth loop. */
  running: AbortController;
  /** Resolves with the reason the agent stops. */
  stopped: Promise<StopReason>;
  reportFatal(error: Error): void;
  cleanUp(): Promise<void>;
  /** Sets the token the proxy adds to requests, which the cache also treats as its own. */
  setProxyToken(token: string): void;
}

/**
 * Runs the agent and returns its exit code: 0 after a clean stop or a
 * successful exit_after_auth run, 1 when it could not start or run.
 */
export async function runAgent(parts: AgentParts, stopSignal: AbortSignal | undefined): Promise<number> {
  const { config, clientConfig, templates, logger, ui } = parts;
  const running = new AbortController();
  let currentToken: string | undefined;
  let reportFatal: (reason: Error | ChildExit) => void = () => undefined;
  const fatal = new Promise<Error | ChildExit>((resolve) => (reportFatal = resolve));
  const proxies: RunningProxy[] = [];
  const cache = config.cache && config.listeners.length > 0 ? new LeaseCache(logger.named('cache')) : undefined;
  const supervisor = config.exec === undefined ? undefined : new ChildSupervisor(config.exec, logger.named('exec'), (exitCode) => reportFatal({ exitCode }));
  let renderer: TemplateRenderer | undefined;
  if (templates.length > 0) {
    const options = {
      onEnvChange: () => {
        const env = renderer?.environment();
        if (supervisor === undefined || env === undefined) return;
        if (!supervisor.running) supervisor.start(env);
        else if (config.exec?.restartOnSecretChanges === 'always') void supervisor.restart(env);
      },
      staticSecretRenderInterval: config.staticSecretRenderInterval,
      maxRetries: config.server.numRetries,
      exitOnRetryFailure: config.exitOnRetryFailure,
      onFatal: reportFatal,
    };
    renderer = new TemplateRenderer(templates, clientConfig, options, logger.named('template'));
  }

  // Without a handler, SIGHUP would end the process and leave the pid file behind.
  const onHangup = (): void => logger.warn('received SIGHUP, which coffer agent ignores: restart the agent to apply config changes');
  process.on('SIGHUP', onHangup);

  const cleanUp = async (): Promise<void> => {
    process.off('SIGHUP', onHangup);
    running.abort();
    renderer?.stop();
    await supervisor?.stop();
    await Promise.all(proxies.map((proxy) => proxy.close()));
    cache?.close();
    if (config.pidFile !== undefined) await rm(config.pidFile, { force: true });
  };

  try {
    // Written atomically, so a symlink planted at the path is replaced rather than followed to another file.
    if (config.pidFile !== undefined) await writeFileAtomic(config.pidFile, String(process.pid), 0o644);
    const proxyOptions = { useAutoAuthToken: config.useAutoAuthToken, currentToken: () => currentToken, cache };
    for (const listener of config.listeners) proxies.push(await startProxy(listener, clientConfig, proxyOptions, logger.named('proxy')));
  } catch (error) {
    ui.error(`Error starting the agent: ${error instanceof Error ? error.message : String(error)}`);
    await cleanUp();
    return 1;
  }
  printStarted(ui, config, clientConfig, proxies);

  const stopped = waitForStop(stopSignal, fatal);
  void stopped.then(() => running.abort());
  const run: AgentRun = {
    parts,
    client: new CofferClient(clientConfig),
    renderer,
    running,
    stopped,
    reportFatal: (error) => reportFatal(error),
    cleanUp,
    setProxyToken: (token) => {
      currentToken = token;
      cache?.registerAutoAuthToken(token);
    },
  };
  if (config.method !== undefined) return runAutoAuth(run, config.method);
  return finish(ui, await stopped, cleanUp);
}

/** Logs in, then either exits (exit_after_auth) or keeps the token current until the agent stops. */
async function runAutoAuth(run: AgentRun, method: MethodConfig): Promise<number> {
  const { parts, client, renderer, running, cleanUp } = run;
  const { config, logger, ui } = parts;
  const sinkLogger = logger.named('sink.file');
  let sinksWritten = true;
  const onToken = async (token: AuthToken): Promise<void> => {
    run.setProxyToken(token.token);
    sinksWritten = await writeSinks(config.sinks, client, token, sinkLogger);
    if (renderer !== undefined && !config.exitAfterAuth) await renderer.setToken(token.token);
  };
  const login = createAuthMethod(method, logger.named(`auth.${method.type}`));
  const handler = new AuthHandler(client, method, login, logger.named('auth.handler'), onToken);

  let firstToken: AuthToken | undefined;
  try {
    firstToken = await handler.authenticate(running.signal, method.exitOnError ? 1 : Infinity);
  } catch (error) {
    ui.error(`Error authenticating: ${error instanceof Error ? error.message : String(error)}`);
    await cleanUp();
    return 1;
  }
  if (firstToken === undefined) return finish(ui, await run.stopped, cleanUp);

  if (config.exitAfterAuth && !sinksWritten) {
    ui.error('Error writing the token to the sinks: see the log above');
    await cleanUp();
    return 1;
  }
  if (config.exitAfterAuth) return exitAfterAuth(parts, renderer, firstToken, cleanUp);

  handler.run(firstToken, running.signal).catch((error: unknown) => {
    run.reportFatal(new Error(`authentication failed and exit_on_err is set: ${error instanceof Error ? error.message : String(error)}`));
  });
  return finish(ui, await run.stopped, cleanUp);
}

async function exitAfterAuth(parts: AgentParts, renderer: TemplateRenderer | undefined, token: AuthToken, cleanUp: () => Promise<void>): Promise<number> {
  try {
    await renderer?.renderOnce(token.token);
  } catch (error) {
    parts.ui.error(`Error rendering templates: ${error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error)}`);
    await cleanUp();
    return 1;
  }
  parts.logger.info('exit_after_auth is set, exiting');
  await cleanUp();
  return 0;
}

async function finish(ui: UI, reason: StopReason, cleanUp: () => Promise<void>): Promise<number> {
  await cleanUp();
  if (reason instanceof Error) {
    ui.error(`Error: ${reason.message}`);
    return 1;
  }
  if (typeof reason !== 'string') {
    ui.output(`==> Coffer agent shutdown because the child process exited with code ${reason.exitCode}`);
    return reason.exitCode;
  }
  ui.output(`==> Coffer agent shutdown triggered by ${reason}`);
  return 0;
}

function printStarted(ui: UI, config: AgentConfig, clientConfig: ClientConfig, proxies: RunningProxy[]): void {
  ui.output('==> Coffer agent configuration:\n');
  ui.output(`  Server Address: ${clientConfig.address}`);
  if (config.method !== undefined) ui.output(`  Auto-Auth Method: ${config.method.type} (mount: auth/${config.method.mountPath})`);
  proxies.forEach((proxy, index) => {
    const tls = config.listeners[index].tlsDisable ? 'disabled' : 'enabled';
    ui.output(`  Listener ${index + 1}: tcp (addr: "${proxy.address}", tls: "${tls}")`);
  });
  ui.output(`  Templates: ${config.templates.length}`);
  ui.output('');
  ui.output('==> Coffer agent started! Log data will stream in below:\n');
}
