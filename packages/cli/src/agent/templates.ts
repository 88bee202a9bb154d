// Renders the agent's templates and keeps them current. Each secret a
// template reads is a dependency with its own refresh timer. A leased secret
// is renewed at about two thirds of its lease, or fetched again near its end
// when it cannot be renewed. A secret without a lease is fetched again every
// static_secret_render_interval. When a secret's data changes, the templates
// that read it are rendered and written again, and their commands run.
import { spawn } from 'node:child_process';
import { lstat, readFile } from 'node:fs/promises';
import { stringifyJson, timerDelay } from '@coffer/sdk';
import type { ClientConfig } from '../client.js';
import { CofferClient } from '../client.js';
import { preflightKvVersion } from '../commands/kv-paths.js';
import { writeFileAtomic } from './atomic-file.js';
import type { TemplateConfig } from './config.js';
import { AgentConfigError } from './config.js';
import type { AgentLogger } from './log.js';
import { SecretValue, executeTemplate } from './template/execute.js';
import { builtinFunctions } from './template/functions.js';
import { TemplateError } from './template/lexer.js';
import type { TemplateNode } from './template/parser.js';
import { parseTemplate } from './template/parser.js';
import type { LongTimeout } from './timers.js';
import { clearLongTimeout, setLongTimeout } from './timers.js';

/** Names a template may call: the built-ins, `secret` and `secrets`. */
const functionNames: ReadonlySet<string> = new Set([...Object.keys(builtinFunctions), 'secret', 'secrets']);

/** Fraction of a renewable lease after which it is renewed. */
const renewAtFraction = 2 / 3;

/** Fraction of a lease that cannot be renewed after which the secret is fetched again, as Vault Agent's lease_renewal_threshold defaults to. */
const refetchAtFraction = 0.9;

/** Backoff in seconds between retries of a failed render or fetch, as Vault Agent's defaults. */
const retryBackoff = 0.25;
const retryMaxBackoff = 60;

/**
 * Returns the wait in milliseconds before retry `attempt` (1 for the first)
 * of a failed render or fetch: retryBackoff, doubling per attempt up to
 * retryMaxBackoff, and never past what a Node.js timer keeps.
 */
export function retryDelayMs(attempt: number): number {
  return timerDelay(Math.min(retryBackoff * 2 ** (attempt - 1), retryMaxBackoff) * 1000);
}

/** Time a template's command may run before it is killed, as Vault Agent's command_timeout defaults to. */
const commandTimeoutMs = 30_000;

/** A template with its parsed text. */
export interface LoadedTemplate {
  config: TemplateConfig;
  nodes: TemplateNode[];
}

/** A secret that templates read, with its refresh timer. */
interface Dependency {
  key: string;
  path: string;
  /** Data of a write, from `secret "path" "k=v"`; undefined for a read. */
  params?: Record<string, string>;
  /** True for a `secrets "path"` list, whose value contains the keys in `data.keys`. */
  list?: boolean;
  value: SecretValue;
  timer?: LongTimeout;
  failures: number;
}

export interface TemplateOptions {
  /** Called when the value of an env_template changes, including its first render. */
  onEnvChange?: () => void;
  staticSecretRenderInterval: number;
  /** Retries of a failed render or fetch before exit_on_retry_failure stops the agent. */
  maxRetries: number;
  exitOnRetryFailure: boolean;
  /** Called when the agent must stop because exit_on_retry_failure gave up. */
  onFatal(error: Error): void;
}

/**
 * Reads and parses every template, so that a bad one stops the agent at
 * start with its file and line.
 *
 * @throws TemplateError for a template that does not parse.
 * @throws AgentConfigError for a source file that cannot be read.
 */
export async function loadTemplates(configs: TemplateConfig[]): Promise<LoadedTemplate[]> {
  const loaded: LoadedTemplate[] = [];
  for (const config of configs) {
    let source = config.contents;
    if (config.source !== undefined) {
      try {
        source = await readFile(config.source, 'utf8');
      } catch (error) {
        throw new AgentConfigError(`${config.place}.source: error reading template ${config.source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
    }
    const delimiters = { left: config.leftDelimiter ?? '{{', right: config.rightDelimiter ?? '}}' };
    loaded.push({ config, nodes: parseTemplate(config.name, source ?? '', functionNames, delimiters) });
  }
  return loaded;
}

function dependencyKey(path: string, params: Record<string, string> | undefined, list: boolean): string {
  if (list) return `list ${path}`;
  return params === undefined ? `read ${path}` : `write ${path} ${JSON.stringify(Object.entries(params).sort())}`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error);
}

export class TemplateRenderer {
  private client: CofferClient | undefined;
  // NOTE: a secret that no template reads any more, because a conditional
  // branch changed, keeps its refresh timer until the next token.
  private readonly dependencies = new Map<string, Dependency>();
  /** First fetches in progress, so that templates that read the same secret at once share one request. */
  private readonly pending = new Map<string, Promise<Dependency>>();
  /** API paths of KV version 2 secrets, by the path the template wrote, so the mount is looked up once. */
  private readonly kvPaths = new Map<string, string>();
  /** Keys of the dependencies each template read in its last render. */
  private readonly usedBy = new Map<LoadedTemplate, Set<string>>();
  private readonly retryTimers = new Map<LoadedTemplate, NodeJS.Timeout>();
  private readonly retries = new Map<LoadedTemplate, number>();
  /** Renders in progress, and the templates to render again once theirs ends. */
  private readonly rendering = new Map<LoadedTemplate, Promise<void>>();
  private readonly queued = new Set<LoadedTemplate>();
  /** Rendered values of the env_template stanzas, by variable name. */
  private readonly envValues = new Map<string, string>();
  /** Bumped on every new token, so that work started for an old token is dropped. */
  private generation = 0;
  private stopped = false;

  constructor(
    private readonly templates: LoadedTemplate[],
    private readonly clientConfig: ClientConfig,
    private readonly options: TemplateOptions,
    private readonly logger: AgentLogger,
  ) {}

  /**
   * Switches to a new auto-auth token: drops every secret read with the old
   * one and renders every template again. Errors are logged and retried.
   */
  async setToken(token: string): Promise<void> {
    this.generation += 1;
    this.client = new CofferClient({ ...this.clientConfig, token });
    this.clearDependencies();
    await Promise.all(this.templates.map((template) => this.renderWithRetry(template)));
  }

  /**
   * Renders every template once with `token`, for exit_after_auth.
   *
   * @throws TemplateError or the fetch error of the first template that fails.
   */
  async renderOnce(token: string): Promise<void> {
    this.client = new CofferClient({ ...this.clientConfig, token });
    for (const template of this.templates) await this.render(template);
    this.stop();
  }

  /** Returns the env_template values, or undefined until every one has rendered. */
  environment(): Record<string, string> | undefined {
    const names = this.templates.flatMap((template) => (template.config.envName === undefined ? [] : [template.config.envName]));
    if (names.some((name) => !this.envValues.has(name))) return undefined;
    return Object.fromEntries(names.map((name) => [name, this.envValues.get(name)!]));
  }

  /** Stops every timer. */
  stop(): void {
    this.stopped = true;
    this.clearDependencies();
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
  }

  private clearDependencies(): void {
    for (const dependency of this.dependencies.values()) clearLongTimeout(dependency.timer);
    this.dependencies.clear();
    this.pending.clear();
    this.kvPaths.clear();
    this.usedBy.clear();
  }

  /**
   * Renders a template, one render at a time: a request that arrives while
   * one runs is queued and runs after it, so that a render with older data
   * never writes last.
   */
  private async renderWithRetry(template: LoadedTemplate): Promise<void> {
    const running = this.rendering.get(template);
    if (running !== undefined) {
      this.queued.add(template);
      return running;
    }
    const done = this.renderAttempt(template).finally(() => {
      this.rendering.delete(template);
      if (this.queued.delete(template) && !this.stopped) void this.renderWithRetry(template);
    });
    this.rendering.set(template, done);
    return done;
  }

  private async renderAttempt(template: LoadedTemplate): Promise<void> {
    const generation = this.generation;
    clearTimeout(this.retryTimers.get(template));
    try {
      await this.render(template);
      this.retries.delete(template);
    } catch (error) {
      if (this.stopped || generation !== this.generation) return;
      const attempt = (this.retries.get(template) ?? 0) + 1;
      this.retries.set(template, attempt);
      if (attempt > this.options.maxRetries && this.options.exitOnRetryFailure) {
        this.options.onFatal(new Error(`template ${template.config.name} failed after ${this.options.maxRetries} retries: ${describeError(error)}`));
        return;
      }
      const delay = retryDelayMs(attempt);
      this.logger.error('error rendering template, retrying', { template: template.config.name, backoff: `${delay / 1000}s`, error: describeError(error) });
      this.retryTimers.set(template, setTimeout(() => void this.renderWithRetry(template), delay));
    }
  }

  /** Renders one template and writes its destination when the text differs from the file's. */
  private async render(template: LoadedTemplate): Promise<void> {
    const generation = this.generation;
    const used = new Set<string>();
    const functions = {
      ...builtinFunctions,
      secret: async (path: unknown, ...args: unknown[]) => {
        const dependency = await this.dependency(path, args);
        used.add(dependency.key);
        return dependency.value;
      },
      secrets: async (path: unknown) => {
        const dependency = await this.dependency(path, [], true);
        used.add(dependency.key);
        const keys = dependency.value.secret.data?.keys;
        return Array.isArray(keys) ? keys.map(String).sort() : [];
      },
    };
    const text = await executeTemplate(template.nodes, { name: template.config.name, errorOnMissingKey: template.config.errorOnMissingKey, functions });
    if (generation !== this.generation || this.stopped) return;
    this.usedBy.set(template, used);

    const envName = template.config.envName;
    if (envName !== undefined) {
      const changed = this.envValues.get(envName) !== text;
      this.envValues.set(envName, text);
      if (changed) {
        this.logger.info('rendered env_template', { name: envName });
        this.options.onEnvChange?.();
      }
      return;
    }

    const { destination, perms, command, createDestDirs } = template.config;
    let current: string | undefined;
    try {
      current = await readFile(destination, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text && (await hasMode(destination, perms))) {
      this.logger.debug('template unchanged', { template: template.config.name, destination });
      return;
    }
    await writeFileAtomic(destination, text, perms, createDestDirs);
    if (current === text) {
      // Only the mode or the file type differed, such as after perms was narrowed, so the command does not run.
      this.logger.info('template permissions updated', { template: template.config.name, destination });
      return;
    }
    this.logger.info('rendered template', { template: template.config.name, destination });
    if (command !== undefined) await this.runCommand(command, template.config.name);
  }

  /**
   * Runs a template's command. Its output is discarded and only its exit
   * status is logged, because a command may print the secrets it reads.
   */
  private runCommand(command: string, templateName: string): Promise<void> {
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', command], { stdio: 'ignore', timeout: commandTimeoutMs });
      child.on('error', (error) => {
        this.logger.error('error running template command', { template: templateName, error: error.message });
        resolve();
      });
      child.on('exit', (code, signal) => {
        if (code === 0) this.logger.info('template command finished', { template: templateName });
        else this.logger.error('template command failed', { template: templateName, exit_code: code ?? undefined, signal: signal ?? undefined });
        resolve();
      });
    });
  }

  /** Returns the cached secret for `secret path [k=v ...]` or the list for `secrets path`, fetching it on first use. */
  private async dependency(pathArgument: unknown, args: unknown[], list = false): Promise<Dependency> {
    if (typeof pathArgument !== 'string' || pathArgument === '') throw new Error('secret expects a path such as "secret/data/app"');
    let params: Record<string, string> | undefined;
    for (const arg of args) {
      const text = typeof arg === 'string' ? arg : '';
      const equals = text.indexOf('=');
      if (equals <= 0) throw new Error(`secret expects key=value arguments after the path, got ${JSON.stringify(arg)}`);
      params ??= {};
      params[text.slice(0, equals)] = text.slice(equals + 1);
    }
    const path = pathArgument.replace(/^\/+/, '');
    const key = dependencyKey(path, params, list);
    const cached = this.dependencies.get(key) ?? this.pending.get(key);
    if (cached !== undefined) return cached;

    const generation = this.generation;
    const fetching = this.fetch(path, params, list).then((value) => {
      const dependency: Dependency = { key, path, value, failures: 0 };
      if (params !== undefined) dependency.params = params;
      if (list) dependency.list = true;
      if (generation === this.generation && !this.stopped) {
        this.dependencies.set(key, dependency);
        this.schedule(dependency);
      }
      return dependency;
    });
    this.pending.set(key, fetching);
    try {
      return await fetching;
    } finally {
      if (this.pending.get(key) === fetching) this.pending.delete(key);
    }
  }

  /**
   * Reads `path`, writes `params` to it, or lists it. On a KV version 2 mount,
   * a path without "data/" (or "metadata/" for a list) gets it, as Consul
   * Template adds it. A list of a path with no keys is empty.
   */
  private async fetch(path: string, params: Record<string, string> | undefined, list = false): Promise<SecretValue> {
    const client = this.client!;
    if (list) {
      const secret = await client.list(await this.kvPath(client, path, 'metadata/'));
      return new SecretValue(secret ?? { request_id: '', lease_id: '', lease_duration: 0, renewable: false, data: { keys: [] }, warnings: null });
    }
    if (params !== undefined) {
      const secret = await client.write(path, params);
      if (secret === null) throw new Error(`no data returned by a write to ${path}`);
      return new SecretValue(secret);
    }
    // A query such as "?version=1" reads one version of a KV secret, as Consul Template allows.
    const queryStart = path.indexOf('?');
    const apiPath = queryStart === -1 ? path : path.slice(0, queryStart);
    const query = queryStart === -1 ? undefined : Object.fromEntries(new URLSearchParams(path.slice(queryStart + 1)));
    const secret = await client.read(await this.kvPath(client, apiPath, 'data/'), query);
    if (secret === null) throw new Error(`no secret exists at ${path}`);
    return new SecretValue(secret);
  }

  private async kvPath(client: CofferClient, path: string, prefix: 'data/' | 'metadata/'): Promise<string> {
    const known = this.kvPaths.get(prefix + path);
    if (known !== undefined) return known;
    const resolved = await this.resolveKvPath(client, path, prefix);
    this.kvPaths.set(prefix + path, resolved);
    return resolved;
  }

  private async resolveKvPath(client: CofferClient, path: string, prefix: 'data/' | 'metadata/'): Promise<string> {
    let mount: { mountPath: string; version: 1 | 2 };
    try {
      mount = await preflightKvVersion(client, path);
    } catch {
      // A token that may not look up the mount can still read the path as written.
      return path;
    }
    if (mount.version !== 2 || mount.mountPath === '' || !path.startsWith(mount.mountPath)) return path;
    const inside = path.slice(mount.mountPath.length);
    return inside.startsWith(prefix) ? path : `${mount.mountPath}${prefix}${inside}`;
  }

  /** Sets the timer that renews or fetches `dependency` again. */
  private schedule(dependency: Dependency, renewed?: number): void {
    if (this.stopped) return;
    const secret = dependency.value.secret;
    const lease = renewed ?? secret.lease_duration;
    let delay: number;
    let action: () => Promise<void>;
    if (secret.lease_id !== '' && lease > 0 && secret.renewable && (renewed === undefined || renewed >= secret.lease_duration)) {
      delay = lease * renewAtFraction;
      action = () => this.renew(dependency);
    } else if (secret.lease_id !== '' && lease > 0) {
      delay = lease * refetchAtFraction;
      action = () => this.refetch(dependency);
    } else {
      delay = certificateRefresh(secret.data) ?? this.options.staticSecretRenderInterval;
      action = () => this.refetch(dependency);
    }
    dependency.timer = setLongTimeout(() => void action(), Math.max(delay, 0.1) * 1000);
  }

  private async renew(dependency: Dependency): Promise<void> {
    const generation = this.generation;
    const secret = dependency.value.secret;
    try {
      const response = await this.client!.write('sys/leases/renew', { lease_id: secret.lease_id, increment: secret.lease_duration });
      if (generation !== this.generation) return;
      const ttl = response?.lease_duration ?? 0;
      this.logger.debug('renewed secret lease', { path: dependency.path, lease_id: secret.lease_id, ttl });
      this.schedule(dependency, ttl);
    } catch (error) {
      if (generation !== this.generation) return;
      this.logger.warn('error renewing secret lease, fetching the secret again', { path: dependency.path, error: describeError(error) });
      await this.refetch(dependency);
    }
  }

  /** Fetches a dependency again and renders the templates that use it when its data changed. */
  private async refetch(dependency: Dependency): Promise<void> {
    const generation = this.generation;
    let value: SecretValue;
    try {
      value = await this.fetch(dependency.path, dependency.params, dependency.list);
    } catch (error) {
      if (generation !== this.generation || this.stopped) return;
      dependency.failures += 1;
      if (dependency.failures > this.options.maxRetries && this.options.exitOnRetryFailure) {
        this.options.onFatal(new Error(`fetching ${dependency.path} failed after ${this.options.maxRetries} retries: ${describeError(error)}`));
        return;
      }
      const delay = retryDelayMs(dependency.failures);
      this.logger.error('error fetching secret, retrying', { path: dependency.path, backoff: `${delay / 1000}s`, error: describeError(error) });
      dependency.timer = setLongTimeout(() => void this.refetch(dependency), delay);
      return;
    }
    if (generation !== this.generation || this.stopped) return;
    dependency.failures = 0;
    const changed = stringifyJson(value.secret.data) !== stringifyJson(dependency.value.secret.data);
    dependency.value = value;
    this.schedule(dependency);
    if (!changed) return;

    this.logger.info('secret changed, rendering templates again', { path: dependency.path });
    const users = this.templates.filter((template) => this.usedBy.get(template)?.has(dependency.key));
    await Promise.all(users.map((template) => this.renderWithRetry(template)));
  }
}

/** Returns true when `path` is a regular file, not a symlink, with exactly `mode`. */
async function hasMode(path: string, mode: number): Promise<boolean> {
  try {
    const stats = await lstat(path);
    return stats.isFile() && (stats.mode & 0o7777) === mode;
  } catch {
    return false;
  }
}

/**
 * Seconds until a certificate without a lease, such as one PKI issued
 * without generate_lease, should be issued again: at 90% of the time left
 * before its `expiration`. Undefined for data that contains no certificate.
 */
function certificateRefresh(data: Record<string, unknown> | null): number | undefined {
  if (data === null || typeof data.certificate !== 'string' || typeof data.expiration !== 'number') return undefined;
  return Math.max((data.expiration - Date.now() / 1000) * refetchAtFraction, 1);
}

export { TemplateError };
