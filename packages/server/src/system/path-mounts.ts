/**
 * sys/mounts, sys/auth, sys/remount and sys/internal/ui/mounts: managing
 * secrets engine and auth method mounts.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, definePath, parseDurationSeconds, permissionDenied, stringifyJson, type PathDefinition, type FieldMap } from '@coffer/sdk';
import type { Core } from '../core.js';
import { rawJson } from '../http/envelope.js';
import { normalizeMountPath, type MountManager } from '../router/mount-manager.js';
import type { MountConfig, MountEntry } from '../router/mount-table.js';
import { normalizeVersion } from '../plugin/catalog.js';
import type { TokenMountConfig, TokenMountSettings } from '../token/mount-settings.js';
import type { RunningPlugin } from '../plugin/external-plugins.js';
import { COFFER_VERSION } from '../version.js';

/** The `running_plugin_version` of a plugin built into the server, in Vault's form. */
const BUILTIN_VERSION = `v${COFFER_VERSION}+builtin`;

const SYSTEM_MOUNT_DESCRIPTION = 'system endpoints used for control, policy and debugging';

/** Formats a mount entry as Vault's sys/mounts does; `running` is the catalog plugin of an external mount. */
export function describeMount(entry: MountEntry, auth = false, running?: RunningPlugin): Record<string, unknown> {
  return {
    accessor: entry.accessor,
    config: describeConfig(entry.config, auth),
    description: entry.description,
    external_entropy_access: entry.externalEntropyAccess,
    local: entry.local,
    options: Object.keys(entry.options).length > 0 ? entry.options : null,
    plugin_version: entry.pluginVersion,
    running_plugin_version: running === undefined ? BUILTIN_VERSION : running.version,
    running_sha256: running?.sha256 ?? '',
    seal_wrap: entry.sealWrap,
    type: entry.type,
    uuid: entry.uuid,
  };
}

/** Formats a mount's tunables; an auth mount's include `token_type`. */
function describeConfig(config: MountConfig, auth: boolean): Record<string, unknown> {
  const described: Record<string, unknown> = {
    default_lease_ttl: config.defaultLeaseTtl,
    force_no_cache: config.forceNoCache,
    max_lease_ttl: config.maxLeaseTtl,
  };
  if (auth) described.token_type = config.tokenType || 'default-service';
  if (config.listingVisibility !== '') described.listing_visibility = config.listingVisibility;
  if (config.auditNonHmacRequestKeys.length > 0) described.audit_non_hmac_request_keys = config.auditNonHmacRequestKeys;
  if (config.auditNonHmacResponseKeys.length > 0) described.audit_non_hmac_response_keys = config.auditNonHmacResponseKeys;
  if (config.passthroughRequestHeaders.length > 0) described.passthrough_request_headers = config.passthroughRequestHeaders;
  if (config.allowedResponseHeaders.length > 0) described.allowed_response_headers = config.allowedResponseHeaders;
  return described;
}

/** Formats one of the server's own mounts, which are not in any table. */
function builtinMount(type: string, accessor: string, description: string): Record<string, unknown> {
  return {
    accessor,
    config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 },
    description,
    external_entropy_access: false,
    local: type === 'cubbyhole',
    options: null,
    plugin_version: '',
    running_plugin_version: BUILTIN_VERSION,
    running_sha256: '',
    seal_wrap: false,
    type,
    uuid: '',
  };
}

function cubbyholeMount(): Record<string, unknown> {
  return builtinMount('cubbyhole', 'cubbyhole', 'per-token private secret storage');
}

function identityMount(): Record<string, unknown> {
  return builtinMount('identity', 'identity', 'identity store');
}

/** Accessor of the built-in token mount, which entity aliases of tokens created with `entity_alias` name. */
export const TOKEN_MOUNT_ACCESSOR = 'auth_token';

/** Formats the token auth method's entry in sys/auth, with its tuned settings. */
export function tokenMount(settings: TokenMountSettings): Record<string, unknown> {
  const mount = builtinMount('token', TOKEN_MOUNT_ACCESSOR, settings.description);
  return { ...mount, config: describeConfig(settings.config, true) };
}

function systemMount(): Record<string, unknown> {
  return {
    accessor: 'system',
    config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 },
    description: SYSTEM_MOUNT_DESCRIPTION,
    external_entropy_access: false,
    local: false,
    options: null,
    plugin_version: '',
    running_plugin_version: BUILTIN_VERSION,
    running_sha256: '',
    seal_wrap: true,
    type: 'system',
    uuid: '',
  };
}

/**
 * Parses the tunable settings of an enable request's `config` object or of
 * a tune request. `prefix` is how the request names them: `config.` or none.
 * Unknown keys and bad values are rejected by name.
 */
function parseMountConfig(raw: Record<string, unknown>, prefix: string, auth: boolean): Partial<MountConfig> {
  const config: Partial<MountConfig> = {};
  for (const [key, value] of Object.entries(raw)) {
    // An empty listing_visibility resets it, as in Vault. Other empty values change nothing.
    if (key === 'listing_visibility' && value === '') config.listingVisibility = '';
    if (value === null || value === undefined || value === '') continue;
    const field = prefix + key;
    switch (key) {
      case 'default_lease_ttl':
      case 'max_lease_ttl': {
        const seconds = value === 'system' ? 0 : parseDurationSeconds(value);
        if (seconds === null) throw badRequest(`invalid "${field}" ${stringifyJson(value)}: expected a duration such as "768h"`);
        config[key === 'default_lease_ttl' ? 'defaultLeaseTtl' : 'maxLeaseTtl'] = seconds;
        break;
      }
      case 'force_no_cache':
        if (typeof value !== 'boolean') throw badRequest(`invalid "${field}": expected a boolean`);
        config.forceNoCache = value;
        break;
      case 'listing_visibility':
        if (value !== 'hidden' && value !== 'unauth') {
          throw badRequest(`invalid "${field}" ${stringifyJson(value)}: must be "hidden" or "unauth"`);
        }
        config.listingVisibility = value;
        break;
      case 'audit_non_hmac_request_keys':
      case 'audit_non_hmac_response_keys':
      case 'passthrough_request_headers':
      case 'allowed_response_headers':
        config[camelCase(key) as 'auditNonHmacRequestKeys'] = stringList(value, field);
        break;
      case 'token_type':
        config.tokenType = mountTokenType(value, field, auth);
        break;
      default:
        throw badRequest(`unknown field "${field}"`);
    }
  }
  return config;
}

/**
 * Checks a mount's lease TTLs as they will be after a change, where 0 means
 * the server's. As in Vault, a mount's max may exceed the server's, but its
 * default must fit under its own max, or under the server's when it has none.
 */
function checkLeaseTtls(ttls: Pick<MountConfig, 'defaultLeaseTtl' | 'maxLeaseTtl'>, serverMaxTtl: number, prefix: string): void {
  const { defaultLeaseTtl, maxLeaseTtl } = ttls;
  if (maxLeaseTtl > 0 && defaultLeaseTtl > maxLeaseTtl) {
    throw badRequest(
      `default lease TTL of ${defaultLeaseTtl}s would exceed the max lease TTL of ${maxLeaseTtl}s: lower "${prefix}default_lease_ttl" or raise "${prefix}max_lease_ttl"`,
    );
  }
  if (maxLeaseTtl === 0 && defaultLeaseTtl > serverMaxTtl) {
    throw badRequest(
      `default lease TTL of ${defaultLeaseTtl}s would exceed the server's max lease TTL of ${serverMaxTtl}s: lower "${prefix}default_lease_ttl" or set "${prefix}max_lease_ttl"`,
    );
  }
}

const MOUNT_TOKEN_TYPES: readonly string[] = ['default-service', 'default-batch', 'service', 'batch'];

/**
 * Reads an auth mount's `token_type`. Vault's `default` is `default-service`.
 * @throws CofferError (400) for a secrets engine, or a type not in MOUNT_TOKEN_TYPES.
 */
function mountTokenType(value: unknown, field: string, auth: boolean): string {
  if (!auth) throw badRequest(`invalid "${field}": only auth methods issue tokens`);
  const type = value === 'default' ? 'default-service' : value;
  if (typeof type !== 'string' || !MOUNT_TOKEN_TYPES.includes(type)) {
    throw badRequest(`invalid "${field}" ${stringifyJson(value)}: use "default-service", "default-batch", "service" or "batch"`);
  }
  return type;
}

function stringList(value: unknown, field: string): string[] {
  if (typeof value === 'string') return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  throw badRequest(`invalid "${field}": expected a list of strings`);
}

function camelCase(snake: string): string {
  return snake.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function stringOptions(raw: Record<string, unknown>): Record<string, string> {
  const options: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'object') throw badRequest(`invalid "options.${key}": expected a string`);
    options[key] = String(value);
  }
  return options;
}

const mountFields = {
  path: { type: 'string', description: 'Path of the mount.', required: true },
  type: { type: 'string', description: 'The type of the secrets engine, e.g. "kv".' },
  description: { type: 'string', description: 'User-friendly description of the mount.' },
  config: { type: 'map', description: 'Tunables: default_lease_ttl, max_lease_ttl, force_no_cache, listing_visibility and header lists.' },
  options: { type: 'kv_pairs', description: 'Engine options, such as "version" for kv, as an object or "key=value" strings.' },
  local: { type: 'bool', description: 'Keep the mount on this cluster only.' },
  seal_wrap: { type: 'bool', description: 'Accepted for compatibility; every entry is already encrypted by the barrier.' },
  external_entropy_access: { type: 'bool', description: 'Accepted for compatibility; Coffer has no external entropy source.' },
  plugin_name: { type: 'string', description: 'Deprecated alias of "type".' },
  plugin_version: { type: 'string', description: 'Version of a catalog plugin to run, e.g. "v1.2.0"; built-in plugins have none.' },
} as const;

const tuneFields = {
  path: { type: 'string', description: 'Path of the mount.', required: true },
  description: { type: 'string', description: 'User-friendly description of the mount.' },
  default_lease_ttl: { type: 'string', description: 'Default lease TTL, e.g. "1h"; "system" resets it.' },
  max_lease_ttl: { type: 'string', description: 'Maximum lease TTL, e.g. "24h"; "system" resets it.' },
  listing_visibility: { type: 'string', description: '"unauth" or "hidden".' },
  audit_non_hmac_request_keys: { type: 'comma_string_slice', description: 'Request keys the audit log keeps in clear.' },
  audit_non_hmac_response_keys: { type: 'comma_string_slice', description: 'Response keys the audit log keeps in clear.' },
  passthrough_request_headers: { type: 'comma_string_slice', description: 'Request headers passed to the backend.' },
  allowed_response_headers: { type: 'comma_string_slice', description: 'Response headers the backend may set.' },
  options: { type: 'kv_pairs', description: 'Engine options, as an object or "key=value" strings; kv accepts "version" to upgrade from 1 to 2.' },
  plugin_version: { type: 'string', description: 'Pinned plugin version.' },
  token_type: { type: 'string', description: 'Auth mounts only: "default-service", "default-batch", "service" or "batch".' },
} as const;

/** Secrets engine types that stand for kv with a version option. */
const KV_VERSION_ALIASES: ReadonlyMap<string, string> = new Map([
  ['kv-v1', '1'],
  ['kv-v2', '2'],
]);

/** The mount table a set of list, enable, tune and disable paths manages. */
interface MountTableApi {
  /** Path below `sys/`: `mounts` or `auth`. */
  name: string;
  /** Name of one mount in help text, e.g. "secrets engine". */
  noun: string;
  manager: MountManager;
  /** Mounts the server owns, listed before the table's entries. */
  builtins(): Record<string, Record<string, unknown>>;
  /** The server's lease TTLs in seconds, which apply where a mount's TTL is 0. */
  serverTtls(): { defaultLeaseTtl: number; maxLeaseTtl: number };
  /** Returns the settings of a built-in mount that a tune may change, by mount path. */
  tunableBuiltin?(path: string): TokenMountConfig | undefined;
  /** Returns the auth method table, which tune paths of the secrets engine table reach by an `auth/` prefix, as in Vault. */
  authTable?(): MountTableApi;
}

/**
 * Formats a mount's tunables as Vault's tune read does. Unlike the mount
 * listing, it reports the effective TTLs: the server's where the mount has none.
 */
function describeTune(table: MountTableApi, rawPath: string): Record<string, unknown> {
  const path = normalizeMountPath(rawPath);
  const server = table.serverTtls();
  const tunable = table.tunableBuiltin?.(path);
  if (tunable !== undefined) {
    const { description, config } = tunable.settings;
    const ttls = tunable.ttls(server);
    return { ...describeConfig(config, true), default_lease_ttl: ttls.defaultTtl, max_lease_ttl: ttls.maxTtl, description, options: null };
  }
  const builtin = table.builtins()[path];
  if (builtin !== undefined) {
    return { default_lease_ttl: server.defaultLeaseTtl, description: builtin.description, force_no_cache: false, max_lease_ttl: server.maxLeaseTtl, options: null };
  }
  const entry = table.manager.find(path);
  if (entry === undefined) throw badRequest(`cannot fetch sysview for path "${path}": no mount there`);
  const system = table.manager.systemView(entry);
  return {
    ...describeConfig(entry.config, table.name === 'auth'),
    default_lease_ttl: system.defaultLeaseTtl(),
    max_lease_ttl: system.maxLeaseTtl(),
    description: entry.description,
    options: Object.keys(entry.options).length > 0 ? entry.options : null,
  };
}

/** Formats every mount of a table, built-in ones first, keyed by mount path. */
function listMounts(table: MountTableApi): Record<string, Record<string, unknown>> {
  const listing = table.builtins();
  for (const entry of table.manager.list()) listing[entry.path] = describeMount(entry, table.name === 'auth', table.manager.runningPlugin(entry));
  return listing;
}

/**
 * Formats every secrets engine and auth method mount as sys/mounts and
 * sys/auth list them. Auth method paths have no `auth/` prefix.
 */
export function listAllMounts(core: Core): { secret: Record<string, Record<string, unknown>>; auth: Record<string, Record<string, unknown>> } {
  return { secret: listMounts(secretsTable(core)), auth: listMounts(authTable(core)) };
}

/**
 * Resolves the table and mount path a tune request names. Under sys/mounts,
 * `auth/<path>` names an auth method mount, as in Vault.
 */
function tuneTarget(table: MountTableApi, rawPath: string): { table: MountTableApi; path: string } {
  const path = normalizeMountPath(rawPath);
  const auth = table.authTable?.();
  if (auth !== undefined && path.startsWith('auth/')) return { table: auth, path: normalizeMountPath(path.slice('auth/'.length)) };
  return { table, path };
}

/**
 * Rejects the tune fields the token mount does not take.
 * @throws CofferError (400) for `token_type`, which Vault rejects on the token
 *   mount because token requests and roles choose the type, and for options.
 */
function checkTokenMountTune(fields: { has(name: string): boolean; get(name: 'options'): Record<string, unknown> }): void {
  if (fields.has('token_type')) throw badRequest('invalid "token_type": it cannot be set on the token auth method mount');
  if (fields.has('options') && Object.keys(fields.get('options')).length > 0) throw badRequest('invalid "options": the token auth method mount takes no options');
}

function mountTablePaths(table: MountTableApi): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: `${table.name}/?`,
      fields: {},
      operations: {
        async read(request) {
          const listing = listMounts(table);
          return rawJson({ ...listing, request_id: request.id, lease_id: '', renewable: false, lease_duration: 0, data: listing, wrap_info: null, warnings: null, auth: null });
        },
      },
      helpSynopsis: `List the mounted ${table.noun}s.`,
      helpDescription: 'Returns every mount with its type, accessor, options and tunables.',
    }),
    definePath({
      pattern: `${table.name}/(?<path>.+?)/tune`,
      fields: tuneFields,
      operations: {
        async read(_request, fields) {
          const target = tuneTarget(table, fields.get('path'));
          return { data: describeTune(target.table, target.path) };
        },
        async update(_request, fields) {
          const target = tuneTarget(table, fields.get('path'));
          const tunable = target.table.tunableBuiltin?.(target.path);
          if (tunable !== undefined) checkTokenMountTune(fields);
          const raw: Record<string, unknown> = {};
          for (const key of ['default_lease_ttl', 'max_lease_ttl', 'listing_visibility', 'audit_non_hmac_request_keys', 'audit_non_hmac_response_keys', 'passthrough_request_headers', 'allowed_response_headers', 'token_type'] as const) {
            if (fields.has(key)) raw[key] = fields.get(key);
          }
          // NOTE: parse errors name a field "config.<name>", as enable does,
          // although tune takes its fields at the top level.
          const config = parseMountConfig(raw, 'config.', target.table.name === 'auth');
          // As in Vault, only a tune that sets a TTL checks them, so other settings stay tunable.
          const check = (tuned: { config: MountConfig }) => {
            if (config.defaultLeaseTtl !== undefined || config.maxLeaseTtl !== undefined) checkLeaseTtls(tuned.config, target.table.serverTtls().maxLeaseTtl, '');
          };
          const description = fields.has('description') ? { description: fields.get('description') } : {};
          if (tunable !== undefined) {
            await tunable.tune({ config, check, ...description });
            return null;
          }
          if (Object.hasOwn(target.table.builtins(), target.path)) throw badRequest(`cannot tune "${target.path}": tuning a built-in mount is not supported`);
          await target.table.manager.tune(target.path, {
            config,
            check,
            ...description,
            ...(fields.has('options') ? { options: stringOptions(fields.get('options')) } : {}),
          });
          return null;
        },
      },
      helpSynopsis: 'Read or tune the configuration of a mount.',
      helpDescription: 'Changes lease TTLs, description, listing visibility and engine options of an existing mount.',
    }),
    definePath({
      pattern: `${table.name}/(?<path>.+)`,
      fields: mountFields,
      // node-vault repeats the mount path in the body as mount_point.
      ignoresUnknownFields: true,
      operations: {
        async read(_request, fields) {
          const path = normalizeMountPath(fields.get('path'));
          const builtin = table.builtins()[path];
          if (builtin !== undefined) return { data: builtin };
          const entry = table.manager.find(path);
          if (entry === undefined) throw badRequest(`no mount at "${path}"`);
          return { data: describeMount(entry, table.name === 'auth', table.manager.runningPlugin(entry)) };
        },
        async update(_request, fields) {
          let type = fields.get('type') || fields.get('plugin_name');
          if (type === '') throw badRequest('missing required field "type"');
          const pluginVersion = fields.get('plugin_version') === '' ? '' : normalizeVersion(fields.get('plugin_version'));
          if (pluginVersion === null) {
            throw badRequest(`invalid "plugin_version" "${fields.get('plugin_version')}": expected the semantic version of a catalog plugin, such as "v1.2.0"`);
          }
          const options = stringOptions(fields.get('options'));
          if (table.name === 'mounts') {
            // As in Vault, the kv-v1 and kv-v2 types name kv with its version, and only kv takes a version.
            const aliased = KV_VERSION_ALIASES.get(type);
            if (aliased !== undefined) {
              type = 'kv';
              options.version = aliased;
            } else if (type !== 'kv' && options.version !== undefined && options.version !== '') {
              throw badRequest(`secrets engine "${type}" does not allow setting a version`);
            }
          }
          if (type === 'kv' && options.version !== undefined && options.version !== '1' && options.version !== '2') {
            throw badRequest(`invalid "options.version" "${options.version}": kv supports versions "1" and "2"`);
          }
          const config = parseMountConfig(fields.get('config'), 'config.', table.name === 'auth');
          checkLeaseTtls({ defaultLeaseTtl: 0, maxLeaseTtl: 0, ...config }, table.serverTtls().maxLeaseTtl, 'config.');
          await table.manager.enable(fields.get('path'), type, {
            description: fields.get('description'),
            config,
            options,
            local: fields.get('local'),
            sealWrap: fields.get('seal_wrap'),
            externalEntropyAccess: fields.get('external_entropy_access'),
            pluginVersion,
          });
          return null;
        },
        async delete(_request, fields) {
          await table.manager.disable(fields.get('path'));
          return null;
        },
      },
      helpSynopsis: `Enable, read or disable a ${table.noun} at a path.`,
      helpDescription: `POST enables a ${table.noun} of the given type; DELETE disables it and deletes its data.`,
    }),
  ];
}

function secretsTable(core: Core): MountTableApi {
  return {
    name: 'mounts',
    noun: 'secrets engine',
    manager: core.mounts,
    builtins: () => ({ 'cubbyhole/': cubbyholeMount(), 'identity/': identityMount(), 'sys/': systemMount() }),
    serverTtls: () => serverTtls(core),
    authTable: () => authTable(core),
  };
}

function authTable(core: Core): MountTableApi {
  return {
    name: 'auth',
    noun: 'auth method',
    manager: core.authMounts,
    builtins: () => ({ 'token/': tokenMount(core.tokenMount.settings) }),
    serverTtls: () => serverTtls(core),
    tunableBuiltin: (path) => (path === 'token/' ? core.tokenMount : undefined),
  };
}

export function mountPaths(core: Core): PathDefinition<FieldMap>[] {
  return [
    ...mountTablePaths(secretsTable(core)),
    definePath({
      pattern: 'remount',
      fields: {
        from: { type: 'string', description: 'Current mount path.', required: true },
        to: { type: 'string', description: 'New mount path.', required: true },
      },
      operations: {
        async update(_request, fields) {
          const from = normalizeMountPath(fields.get('from'));
          const to = normalizeMountPath(fields.get('to'));
          // As in Vault, `auth/<path>` names an auth method mount, and a
          // mount cannot move between the two tables.
          const fromAuth = from.startsWith('auth/');
          if (fromAuth !== to.startsWith('auth/')) {
            throw badRequest(`invalid "to" "${to}": cannot move ${fromAuth ? 'an auth method to a secrets engine path' : 'a secrets engine to an auth method path'}`);
          }
          if (fromAuth) await core.authMounts.move(from.slice('auth/'.length), to.slice('auth/'.length));
          else await core.mounts.move(from, to);
          const migrationId = randomUUID();
          remountStatuses.set(migrationId, { source_mount: from, target_mount: to, status: 'success' });
          return { data: { migration_id: migrationId } };
        },
      },
      helpSynopsis: 'Move a mount to a new path.',
      helpDescription: 'Moves a secrets engine mount, or an auth method mount given as auth/<path>; its data moves with it. The move completes before the response.',
    }),
    definePath({
      pattern: 'remount/status/(?<migration_id>.+)',
      fields: { migration_id: { type: 'string', description: 'The ID returned by sys/remount.', required: true } },
      operations: {
        async read(_request, fields) {
          const status = remountStatuses.get(fields.get('migration_id'));
          if (status === undefined) return null;
          return { data: { migration_id: fields.get('migration_id'), migration_info: status } };
        },
      },
      helpSynopsis: 'Read the status of a mount move.',
      helpDescription: 'Moves complete synchronously, so a known move always reports "success".',
    }),
    definePath({
      pattern: 'internal/ui/mounts/(?<path>.+)',
      fields: { path: { type: 'string', description: 'A path inside a mount.', required: true } },
      operations: {
        async read(_request, fields) {
          const path = fields.get('path');
          const builtin = builtinMountServing(core, path);
          if (builtin !== undefined) return { data: builtin };
          const match = core.router.match(path);
          // As in Vault, an unknown mount is a denial, so the path cannot be used to probe for mount names.
          if (match === undefined) throw permissionDenied();
          return { data: { ...describeMount(match.route.mount), path: match.route.mount.path } };
        },
      },
      helpSynopsis: 'Find the mount that serves a path.',
      helpDescription: 'Used by CLI clients to detect a mount path and its KV version.',
    }),
  ];
}

/**
 * Returns the built-in mount that serves `path`, with its mount path, or
 * undefined for any other path. The router has no routes for built-in
 * mounts, so without this `kv get cubbyhole/x` finds no mount.
 */
function builtinMountServing(core: Core, path: string): Record<string, unknown> | undefined {
  const builtins: [string, () => Record<string, unknown>][] = [
    ['sys/', systemMount],
    ['cubbyhole/', cubbyholeMount],
    ['identity/', identityMount],
    ['auth/token/', () => tokenMount(core.tokenMount.settings)],
  ];
  const folder = path.endsWith('/') ? path : `${path}/`;
  const found = builtins.find(([mountPath]) => folder.startsWith(mountPath));
  return found === undefined ? undefined : { ...found[1](), path: found[0] };
}

/**
 * Returns the path of the mount that serves `path`, such as `secret/` or
 * `auth/userpass/`, built-in mounts included, or undefined when none does.
 */
export function mountPathServing(core: Core, path: string): string | undefined {
  const builtin = builtinMountServing(core, path);
  if (builtin !== undefined) return builtin.path as string;
  const match = core.router.match(path);
  if (match === undefined) return undefined;
  const served = path.slice(0, path.length - match.path.length);
  return served.endsWith('/') ? served : `${served}/`;
}

const remountStatuses = new Map<string, Record<string, string>>();

function serverTtls(core: Core): { defaultLeaseTtl: number; maxLeaseTtl: number } {
  return { defaultLeaseTtl: core.options.defaultLeaseTtl, maxLeaseTtl: core.options.maxLeaseTtl };
}

export function authPaths(core: Core): PathDefinition<FieldMap>[] {
  return mountTablePaths(authTable(core));
}
