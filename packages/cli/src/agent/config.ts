// The agent's configuration: Vault Agent's file format, in HCL or JSON,
// limited to the stanzas coffer agent supports. Each setting is checked
// here, so the agent starts only with a config it can run.
import { readFile, readdir, stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { AgentConfigError, parseConfigText } from './config-source.js';
import { SourceText, Stanza } from './config-reader.js';

export { AgentConfigError } from './config-source.js';

/** The server the agent talks to, from the `vault` (or `coffer`) stanza. */
export interface ServerConnection {
  address?: string;
  caCert?: string;
  caPath?: string;
  clientCert?: string;
  clientKey?: string;
  tlsSkipVerify: boolean;
  tlsServerName?: string;
  /** Retries of a failed template request, from `retry { num_retries }`: 12 by default, 0 with num_retries = -1. */
  numRetries: number;
}

export type AuthMethodType = 'approle' | 'token_file' | 'userpass' | 'cert' | 'jwt' | 'ldap';

/** The `auto_auth.method` stanza. */
export interface MethodConfig {
  type: AuthMethodType;
  /** Path of the auth method without `auth/`, such as "approle". */
  mountPath: string;
  /** Settings of the method's `config` block, checked for the method type. */
  config: Stanza;
  /** Seconds to wait after the first failed login; the wait doubles up to maxBackoff. */
  minBackoff: number;
  maxBackoff: number;
  /** Exit when a login fails, in place of retrying with backoff. */
  exitOnError: boolean;
}

/** A `sink "file"` stanza. */
export interface SinkConfig {
  path: string;
  /** Mode of the sink file, such as 0o640. */
  mode: number;
  /** Seconds the response-wrapping token lives, when the sink writes a wrapped token; 0 writes the token. */
  wrapTtl: number;
}

/** A `listener "tcp"` stanza. */
export interface ListenerConfig {
  address: string;
  tlsDisable: boolean;
  /** Reject requests without `X-Vault-Request: true`, a guard against server-side request forgery. */
  requireRequestHeader: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

/** A `template` stanza. */
export interface TemplateConfig {
  /** Name of the template in errors: its source file, or "contents" for inline text. */
  name: string;
  source?: string;
  contents?: string;
  destination: string;
  perms: number;
  /** Shell command run after the destination changes. */
  command?: string;
  /** Create the destination's missing parent folders. */
  createDestDirs: boolean;
  /** Environment variable an `env_template` sets for the exec child; undefined for a file template. */
  envName?: string;
  /** Strings around actions, in place of `{{` and `}}`. */
  leftDelimiter?: string;
  rightDelimiter?: string;
  errorOnMissingKey: boolean;
  /** Config place of the stanza, such as `template[1]`, for errors. */
  place: string;
}

/** The `exec` stanza: a child process that gets the env_template values, as Vault Agent's process supervisor mode runs. */
export interface ExecConfig {
  command: string[];
  /** "always" restarts the child when an env_template value changes; "never" keeps it running. */
  restartOnSecretChanges: 'always' | 'never';
  restartStopSignal: NodeJS.Signals;
}

export interface AgentConfig {
  files: string[];
  /** Log level from `log_level`; the -log-level flag and COFFER_LOG_LEVEL take precedence. */
  logLevel?: string;
  server: ServerConnection;
  pidFile?: string;
  exitAfterAuth: boolean;
  method?: MethodConfig;
  sinks: SinkConfig[];
  listeners: ListenerConfig[];
  /** The listener's token use: false sends requests as they come, true adds the agent's token where none is set, "force" always sets it. */
  useAutoAuthToken: boolean | 'force';
  /** Whether the listeners cache responses that create tokens or carry leases; a `cache` stanza turns it on, as in Vault Agent. */
  cache: boolean;
  templates: TemplateConfig[];
  /** The `env_template` stanzas, which render environment variables for `exec`. */
  envTemplates: TemplateConfig[];
  exec?: ExecConfig;
  /** Seconds between re-reads of secrets that have no lease, such as KV secrets. */
  staticSecretRenderInterval: number;
  /** Exit when a template cannot be rendered after its retries, in place of retrying forever. */
  exitOnRetryFailure: boolean;
}

/** Vault Agent's defaults for auto-auth backoff, in seconds. */
const defaultMinBackoff = 1;
const defaultMaxBackoff = 300;

/** Vault Agent's default number of retries of a failed request. */
const defaultNumRetries = 12;

/** Vault Agent's default interval for secrets without a lease. */
const defaultStaticSecretRenderInterval = 300;

const topLevelFields = [
  'vault',
  'coffer',
  'pid_file',
  'exit_after_auth',
  'auto_auth',
  'listener',
  'api_proxy',
  'cache',
  'template',
  'template_config',
  'env_template',
  'exec',
  'log_level',
];
const unsupportedTopLevel = ['telemetry', 'persist', 'disable_idle_connections', 'disable_keep_alives', 'log_file', 'log_format'];

/**
 * Reads and checks the config files at `paths`; a folder contributes its
 * `.hcl` and `.json` files. Later files add blocks to earlier ones and
 * replace their single settings.
 *
 * @throws AgentConfigError naming the file, stanza and field of the first problem.
 */
export async function loadAgentConfig(paths: string[]): Promise<AgentConfig> {
  const files: string[] = [];
  for (const path of paths) files.push(...(await configFiles(path)));
  if (files.length === 0) throw new AgentConfigError(`no .hcl or .json config file found in ${paths.join(', ')}`);

  const stanzas: Stanza[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new AgentConfigError(`error reading config file ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const top = new Stanza(file, '', parseConfigText(file, text), new SourceText(text, file.endsWith('.json') ? 'json' : 'hcl'));
    top.checkFields(topLevelFields, unsupportedTopLevel);
    stanzas.push(top);
  }
  return buildConfig(files, stanzas);
}

async function configFiles(path: string): Promise<string[]> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch (error) {
    throw new AgentConfigError(`error reading config file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isFolder) return [path];
  const names = (await readdir(path)).filter((name) => name.endsWith('.hcl') || name.endsWith('.json')).sort();
  return names.map((name) => join(path, name));
}

function buildConfig(files: string[], stanzas: Stanza[]): AgentConfig {
  const config: AgentConfig = {
    files,
    server: { tlsSkipVerify: false, numRetries: defaultNumRetries },
    exitAfterAuth: false,
    sinks: [],
    listeners: [],
    useAutoAuthToken: false,
    cache: false,
    templates: [],
    envTemplates: [],
    staticSecretRenderInterval: defaultStaticSecretRenderInterval,
    exitOnRetryFailure: false,
  };

  for (const top of stanzas) {
    for (const name of ['vault', 'coffer']) {
      for (const block of top.blocks(name)) config.server = readServer(block);
    }
    const pidFile = top.string('pid_file');
    if (pidFile !== undefined && pidFile !== '') config.pidFile = pidFile;
    config.exitAfterAuth = top.bool('exit_after_auth', config.exitAfterAuth);
    const logLevel = top.string('log_level');
    if (logLevel !== undefined && logLevel !== '') config.logLevel = logLevel;

    for (const block of top.blocks('auto_auth')) readAutoAuth(block, config);
    for (const { label, stanza } of top.labelledBlocks('listener')) config.listeners.push(readListener(label, stanza));
    for (const block of top.blocks('cache')) {
      if (block.has('persist')) throw block.error('persist', 'the persistent cache is not supported by coffer agent, which keeps its cache in memory only; remove persist');
      block.checkFields(['use_auto_auth_token'], ['enforce_consistency', 'when_inconsistent', 'cache_static_secrets', 'disable_caching_dynamic_secrets']);
      config.useAutoAuthToken = readUseAutoAuthToken(block);
      config.cache = true;
    }
    for (const block of top.blocks('api_proxy')) {
      block.checkFields(['use_auto_auth_token'], ['enforce_consistency', 'when_inconsistent']);
      config.useAutoAuthToken = readUseAutoAuthToken(block);
    }
    for (const block of top.blocks('template_config')) {
      block.checkFields(['static_secret_render_interval', 'exit_on_retry_failure'], ['max_connections_per_host', 'lease_renewal_threshold']);
      config.staticSecretRenderInterval = block.duration('static_secret_render_interval', config.staticSecretRenderInterval);
      if (config.staticSecretRenderInterval === 0) throw block.error('static_secret_render_interval', 'must be more than 0s');
      config.exitOnRetryFailure = block.bool('exit_on_retry_failure', config.exitOnRetryFailure);
    }
    top.blocks('template').forEach((block) => config.templates.push(readTemplate(block)));
    for (const { label, stanza } of top.labelledBlocks('env_template')) config.envTemplates.push(readEnvTemplate(label, stanza));
    for (const block of top.blocks('exec')) config.exec = readExec(block);
  }

  checkWhole(config, stanzas[0]);
  return config;
}

function readServer(stanza: Stanza): ServerConnection {
  stanza.checkFields(
    ['address', 'ca_cert', 'ca_path', 'client_cert', 'client_key', 'tls_skip_verify', 'tls_server_name', 'retry'],
    ['namespace'],
  );
  const server: ServerConnection = { tlsSkipVerify: stanza.bool('tls_skip_verify', false), numRetries: readRetries(stanza) };
  const address = stanza.string('address');
  if (address !== undefined) {
    if (!/^https?:\/\/[^/]/.test(address)) throw stanza.error('address', `invalid address "${address}": expected a URL such as https://127.0.0.1:8200`);
    server.address = address.replace(/\/+$/, '');
  }
  const text = (field: string): string | undefined => {
    const value = stanza.string(field);
    return value === '' ? undefined : value;
  };
  const caCert = text('ca_cert');
  const caPath = text('ca_path');
  const clientCert = text('client_cert');
  const clientKey = text('client_key');
  const tlsServerName = text('tls_server_name');
  if (caCert !== undefined) server.caCert = caCert;
  if (caPath !== undefined) server.caPath = caPath;
  if (clientCert !== undefined) server.clientCert = clientCert;
  if (clientKey !== undefined) server.clientKey = clientKey;
  if (tlsServerName !== undefined) server.tlsServerName = tlsServerName;
  if ((server.clientCert === undefined) !== (server.clientKey === undefined)) {
    throw stanza.error(server.clientCert === undefined ? 'client_cert' : 'client_key', 'client_cert and client_key must be set together');
  }
  return server;
}

/** Reads `retry { num_retries }`, where 0 means Vault's default of 12 and -1 turns retries off. */
function readRetries(vault: Stanza): number {
  const retry = vault.object('retry');
  retry.checkFields(['num_retries']);
  const value = retry.values.num_retries;
  if (value === undefined) return defaultNumRetries;
  let count = NaN;
  if (typeof value === 'number') count = value;
  else if (typeof value === 'string') count = Number(value);
  if (!Number.isInteger(count) || count < -1) throw retry.error('num_retries', `expected a whole number of -1 or more, got ${JSON.stringify(value)}`);
  if (count === -1) return 0;
  return count === 0 ? defaultNumRetries : count;
}

function readAutoAuth(stanza: Stanza, config: AgentConfig): void {
  stanza.checkFields(['method', 'sink'], ['enable_reauth_on_new_credentials']);
  const methods = stanza.labelledBlocks('method');
  if (methods.length !== 1) throw stanza.error('method', `expected exactly one method stanza, found ${methods.length}`);
  config.method = readMethod(methods[0].label, methods[0].stanza);

  for (const { label, stanza: sink } of stanza.labelledBlocks('sink')) {
    if (label !== 'file') throw sink.error(undefined, `unsupported sink type "${label}": coffer agent supports only "file" sinks`);
    sink.checkFields(['config', 'wrap_ttl'], ['dh_type', 'dh_path', 'derive_key', 'aad', 'aad_env_var']);
    const sinkConfig = sink.object('config');
    sinkConfig.checkFields(['path', 'mode']);
    config.sinks.push({
      path: sinkConfig.requiredString('path', 'set it to the file the agent writes the token to'),
      mode: sinkConfig.fileMode('mode', 0o640),
      wrapTtl: sink.duration('wrap_ttl', 0),
    });
  }
}

/**
 * The fields of each method's `config` block: the required ones with a hint,
 * the optional ones, and those Vault Agent has that coffer agent does not.
 */
const methodFields: Record<AuthMethodType, { required: [string, string][]; optional: string[]; unsupported: string[] }> = {
  approle: {
    required: [['role_id_file_path', 'set it to the file that contains the role ID']],
    optional: ['secret_id_file_path', 'remove_secret_id_file_after_reading', 'secret_id_response_wrapping_path'],
    unsupported: ['remove_secret_id_file_follows_symlinks'],
  },
  token_file: { required: [['token_file_path', 'set it to the file that contains the token']], optional: [], unsupported: [] },
  userpass: {
    required: [['username', 'set it to the user to log in as']],
    optional: ['password', 'password_file_path'],
    unsupported: [],
  },
  cert: { required: [], optional: ['name', 'ca_cert', 'client_cert', 'client_key'], unsupported: ['reload'] },
  jwt: {
    required: [
      ['path', 'set it to the file that contains the JWT'],
      ['role', 'set it to the role of the JWT auth method to log in with'],
    ],
    optional: ['remove_jwt_after_reading'],
    unsupported: ['remove_jwt_follows_symlinks', 'jwt_read_period'],
  },
  ldap: {
    required: [
      ['username', 'set it to the LDAP user to log in as'],
      ['password_file_path', 'set it to the file that contains the password'],
    ],
    optional: ['remove_password_after_reading'],
    unsupported: ['remove_password_follows_symlinks', 'password_read_period'],
  },
};

function readMethod(type: string, stanza: Stanza): MethodConfig {
  if (!(type in methodFields)) {
    throw stanza.error(undefined, `unsupported auth method "${type}": coffer agent supports ${Object.keys(methodFields).join(', ')}`);
  }
  const methodType = type as AuthMethodType;
  stanza.checkFields(['mount_path', 'config', 'min_backoff', 'max_backoff', 'exit_on_err'], ['namespace', 'wrap_ttl', 'max_retries']);

  const config = stanza.object('config');
  const { required, optional, unsupported } = methodFields[methodType];
  config.checkFields([...required.map(([field]) => field), ...optional], unsupported);
  for (const [field, hint] of required) config.requiredString(field, hint);
  if (methodType === 'userpass' && !config.has('password') && !config.has('password_file_path')) {
    throw config.error('password_file_path', 'missing value: set it to the file that contains the password');
  }
  config.bool('remove_secret_id_file_after_reading', true);
  config.bool('remove_jwt_after_reading', true);
  config.bool('remove_password_after_reading', true);

  const mountPath = (stanza.string('mount_path') ?? `auth/${type}`).replace(/^\/+|\/+$/g, '');
  const minBackoff = stanza.duration('min_backoff', defaultMinBackoff);
  const maxBackoff = stanza.duration('max_backoff', defaultMaxBackoff);
  if (minBackoff === 0) throw stanza.error('min_backoff', 'must be more than 0s');
  if (maxBackoff < minBackoff) throw stanza.error('max_backoff', `must be at least min_backoff (${minBackoff}s)`);
  const exitOnError = stanza.bool('exit_on_err', false);
  return { type: methodType, mountPath: mountPath.replace(/^auth\//, ''), config, minBackoff, maxBackoff, exitOnError };
}

function readListener(type: string, stanza: Stanza): ListenerConfig {
  if (type !== 'tcp') throw stanza.error(undefined, `unsupported listener type "${type}": coffer agent supports only "tcp"`);
  stanza.checkFields(['address', 'tls_disable', 'tls_cert_file', 'tls_key_file', 'require_request_header'], ['role', 'agent_api', 'proxy_api']);
  const listener: ListenerConfig = {
    address: stanza.string('address') ?? '127.0.0.1:8200',
    tlsDisable: stanza.bool('tls_disable', false),
    requireRequestHeader: stanza.bool('require_request_header', false),
  };
  if (!listener.tlsDisable) {
    listener.tlsCertFile = stanza.requiredString('tls_cert_file', 'set it to a PEM certificate, or set tls_disable = true');
    listener.tlsKeyFile = stanza.requiredString('tls_key_file', 'set it to the PEM key of tls_cert_file');
  }
  return listener;
}

function readUseAutoAuthToken(stanza: Stanza): boolean | 'force' {
  const value = stanza.values.use_auto_auth_token;
  if (typeof value === 'string' && value.toLowerCase() === 'force') return 'force';
  return stanza.bool('use_auto_auth_token', false);
}

function readTemplate(stanza: Stanza): TemplateConfig {
  stanza.checkFields(
    ['source', 'contents', 'destination', 'perms', 'command', 'error_on_missing_key', 'create_dest_dirs', 'left_delimiter', 'right_delimiter'],
    ['exec', 'backup', 'function_denylist', 'sandbox_path', 'wait', 'command_timeout', 'uid', 'gid'],
  );
  const source = stanza.string('source');
  const contents = stanza.string('contents');
  if (source !== undefined && contents !== undefined) throw stanza.error('contents', 'set either source or contents, not both');
  if (source === undefined && contents === undefined) throw stanza.error('source', 'missing value: set source to a template file, or contents to the template text');
  const template: TemplateConfig = {
    name: source ?? 'contents',
    destination: stanza.requiredString('destination', 'set it to the file the template renders to'),
    perms: stanza.fileMode('perms', 0o644),
    errorOnMissingKey: stanza.bool('error_on_missing_key', false),
    createDestDirs: stanza.bool('create_dest_dirs', true),
    place: stanza.path,
  };
  if (source !== undefined) template.source = source;
  if (contents !== undefined) template.contents = contents;
  for (const [field, key] of [['left_delimiter', 'leftDelimiter'], ['right_delimiter', 'rightDelimiter']] as const) {
    const delimiter = stanza.string(field);
    if (delimiter === undefined) continue;
    if (delimiter.trim() === '' || delimiter.trim() !== delimiter) throw stanza.error(field, `invalid delimiter ${JSON.stringify(delimiter)}: it must be non-empty and have no spaces around it`);
    template[key] = delimiter;
  }
  const command = stanza.string('command');
  if (command !== undefined && command !== '') template.command = command;
  return template;
}

/** Vault Agent's pattern for env_template names: an environment variable name. */
const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

function readEnvTemplate(name: string, stanza: Stanza): TemplateConfig {
  stanza.checkFields(['source', 'contents', 'error_on_missing_key'], ['left_delimiter', 'right_delimiter', 'exec', 'command']);
  if (!envNamePattern.test(name)) throw stanza.error(undefined, `invalid environment variable name "${name}": use letters, digits and underscores`);
  const source = stanza.string('source');
  const contents = stanza.string('contents');
  if (source !== undefined && contents !== undefined) throw stanza.error('contents', 'set either source or contents, not both');
  if (source === undefined && contents === undefined) throw stanza.error('contents', 'missing value: set contents to the template text, or source to a template file');
  const template: TemplateConfig = {
    name: source ?? `env_template ${name}`,
    destination: '',
    perms: 0,
    errorOnMissingKey: stanza.bool('error_on_missing_key', false),
    createDestDirs: false,
    envName: name,
    place: stanza.path,
  };
  if (source !== undefined) template.source = source;
  if (contents !== undefined) template.contents = contents;
  return template;
}

function readExec(stanza: Stanza): ExecConfig {
  stanza.checkFields(['command', 'restart_on_secret_changes', 'restart_stop_signal'], ['restart_kill_timeout', 'child_process_stdout', 'child_process_stderr']);
  const command = stanza.stringList('command');
  if (command === undefined || command.length === 0 || command[0] === '') {
    throw stanza.error('command', 'missing value: set it to the program and its arguments, such as ["./app", "-port=8080"]');
  }
  const restart = stanza.string('restart_on_secret_changes') ?? 'always';
  if (restart !== 'always' && restart !== 'never') throw stanza.error('restart_on_secret_changes', `invalid value "${restart}": use "always" or "never"`);
  const signal = (stanza.string('restart_stop_signal') ?? 'SIGTERM').toUpperCase();
  const signalName = signal.startsWith('SIG') ? signal : `SIG${signal}`;
  if (!(signalName in constants.signals)) throw stanza.error('restart_stop_signal', `unknown signal "${signal}": use a name such as SIGTERM or SIGINT`);
  return { command, restartOnSecretChanges: restart, restartStopSignal: signalName as NodeJS.Signals };
}

/** Checks what involves several stanzas. */
function checkWhole(config: AgentConfig, top: Stanza): void {
  if (config.envTemplates.length > 0 && config.exec === undefined) throw top.error('env_template', 'env_template needs an exec stanza to run with the values');
  if (config.exec !== undefined && config.envTemplates.length === 0) throw top.error('exec', 'exec needs at least one env_template stanza');
  if (config.exec !== undefined && config.method === undefined) throw top.error('exec', 'exec needs a token for its env_template stanzas: add an auto_auth stanza');
  if (config.exec !== undefined && config.exitAfterAuth) throw top.error('exec', 'exec cannot be used with exit_after_auth');
  // As in Vault Agent, process supervisor mode does not render file templates.
  if (config.exec !== undefined && config.templates.length > 0) throw top.error('exec', 'exec cannot be used with template stanzas: use env_template stanzas');
  const proxies = config.listeners.length > 0;
  if (!proxies && config.method === undefined && config.templates.length === 0) {
    throw top.error(undefined, 'nothing to do: add an auto_auth, template or listener stanza');
  }
  if (config.templates.length > 0 && config.method === undefined) {
    throw top.error('template', 'templates need a token: add an auto_auth stanza');
  }
  if (config.exitAfterAuth && config.method === undefined) throw top.error('exit_after_auth', 'needs an auto_auth stanza');
  if (config.useAutoAuthToken !== false && config.method === undefined) {
    throw top.error('api_proxy', 'use_auto_auth_token needs an auto_auth stanza');
  }
}
