// Runs the agent: auto-auth with its sinks, the templates and the API proxy,
// until SIGINT or SIGTERM, or once with exit_after_auth.
import { rm, writeFile } from 'node:fs/promises';
import type { ClientConfig } from '../client.js';
import { CofferClient } from '../client.js';
import type { UI } from '../io.js';
import { AuthHandler } from './auth-handler.js';
import type { AuthToken } from './auth-methods.js';
import { createAuthMethod } from './auth-methods.js';
import type { AgentConfig } from './config.js';
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

/** Resolves with the signal name when SIGINT or SIGTERM arrives, or "abort" when `signal` aborts. */
function waitForStop(signal: AbortSignal | undefined, fatal: Promise<Error>): Promise<string | Error> {
  return new Promise((resolve) => {
    const finish = (reason: string | Error): void => {
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

/**
 * Runs the agent and returns its exit code: 0 after a clean stop or a
 * successful exit_after_auth run, 1 when it could not start or run.
 */
export async function runAgent(parts: AgentParts, stopSignal: AbortSignal | undefined): Promise<number> {
  const { config, clientConfig, templates, logger, ui } = parts;
  const client = new CofferClient(clientConfig);
  const running = new AbortController();
  let currentToken: string | undefined;
  let reportFatal: (error: Error) => void = () => undefined;
  const fatal = new Promise<Error>((resolve) => (reportFatal = resolve));
  const proxies: RunningProxy[] = [];
  const renderer =
    templates.length === 0
      ? undefined
      : new TemplateRenderer(
          templates,
          clientConfig,
          { staticSecretRenderInterval: config.staticSecretRenderInterval, exitOnRetryFailure: config.exitOnRetryFailure, onFatal: (error) => reportFatal(error) },
          logger.named('template'),
        );

  const cleanUp = async (): Promise<void> => {
    running.abort();
    renderer?.stop();
    await Promise.all(proxies.map((proxy) => proxy.close()));
    if (config.pidFile !== undefined) await rm(config.pidFile, { force: true });
  };

  try {
    if (config.pidFile !== undefined) await writeFile(config.pidFile, String(process.pid), { mode: 0o644 });
    for (const listener of config.listeners) {
      const proxy = await startProxy(listener, clientConfig, { useAutoAuthToken: config.useAutoAuthToken, currentToken: () => currentToken }, logger.named('proxy'));
      proxies.push(proxy);
    }
  } catch (error) {
    ui.error(`Error starting the agent: ${error instanceof Error ? error.message : String(error)}`);
    await cleanUp();
    return 1;
  }
  printStarted(ui, config, clientConfig, proxies);

  let handler: AuthHandler | undefined;
  let firstToken: AuthToken | undefined;
  if (config.method !== undefined) {
    const method = config.method;
    const sinkLogger = logger.named('sink.file');
    let sinksWritten = true;
    const onToken = async (token: AuthToken): Promise<void> => {
      currentToken = token.token;
      sinksWritten = await writeSinks(config.sinks, client, token, sinkLogger);
      if (renderer !== undefined && !config.exitAfterAuth) await renderer.setToken(token.token);
    };
    handler = new AuthHandler(client, method, createAuthMethod(method, logger.named(`auth.${method.type}`)), logger.named('auth.handler'), onToken);
    const stopped = waitForStop(stopSignal, fatal);
    void stopped.then(() => running.abort());
    try {
      firstToken = await handler.authenticate(running.signal, method.exitOnError ? 1 : Infinity);
    } catch (error) {
      ui.error(`Error authenticating: ${error instanceof Error ? error.message : String(error)}`);
      await cleanUp();
      return 1;
    }
    if (firstToken === undefined) {
      await cleanUp();
      return 0;
    }
    if (config.exitAfterAuth && !sinksWritten) {
      ui.error('Error writing the token to the sinks: see the log above');
      await cleanUp();
      return 1;
    }
    if (config.exitAfterAuth) return exitAfterAuth(parts, renderer, firstToken, cleanUp);
    handler.run(firstToken, running.signal).catch((error: unknown) => {
      reportFatal(new Error(`authentication failed and exit_on_err is set: ${error instanceof Error ? error.message : String(error)}`));
    });
    const reason = await stopped;
    return finish(ui, reason, cleanUp);
  }

  const reason = await waitForStop(stopSignal, fatal);
  return finish(ui, reason, cleanUp);
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

async function finish(ui: UI, reason: string | Error, cleanUp: () => Promise<void>): Promise<number> {
  await cleanUp();
  if (reason instanceof Error) {
    ui.error(`Error: ${reason.message}`);
    return 1;
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
