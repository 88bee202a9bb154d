/**
 * The plugin catalog: external plugins by type, name and version, each
 * pinned to the SHA-256 of its binary. Entries are stored behind the
 * barrier, because `env` may hold credentials the plugin needs.
 */
import { badRequest, type Storage } from '@coffer/sdk';
import { PluginCommandError, resolvePluginCommand } from './binary.js';

/** The catalog types this server runs out of process, as Vault names them. */
export type CatalogPluginType = 'secret' | 'auth' | 'audit' | 'database';

/**
 * The types `sys/plugins/catalog` lists, as Vault's listing has them. Audit
 * plugins are listed only by `LIST sys/plugins/catalog/audit`.
 */
export const CATALOG_PLUGIN_TYPES: readonly CatalogPluginType[] = ['auth', 'database', 'secret'];

/** One registered plugin binary. */
export interface CatalogEntry {
  type: CatalogPluginType;
  name: string;
  /** A semantic version with a leading "v", e.g. "v1.2.0"; empty for an unversioned entry. */
  version: string;
  /** The executable, relative to the plugin directory. */
  command: string;
  args: string[];
  /** `KEY=VALUE` assignments added to the plugin's environment. Never returned by the API or logged. */
  env: string[];
  /** Lowercase hex SHA-256 of the executable. */
  sha256: string;
}

const CATALOG_PREFIX = 'core/plugin-catalog/';
/** The storage name of an entry without a version; no semantic version can take it. */
const UNVERSIONED_KEY = 'unversioned';

const NAME_PATTERN = /^\w(?:[\w.-]*\w)?$/;
const SEMVER_PATTERN = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Environment variables the host sets for every plugin; an `env` entry may not name them. */
const RESERVED_ENV_PREFIXES = ['PLUGIN_', 'VAULT_PLUGIN_'];
const RESERVED_ENV_NAMES = ['VAULT_BACKEND_PLUGIN', 'VAULT_VERSION'];

function entryKey(type: CatalogPluginType, name: string, version: string): string {
  return `${CATALOG_PREFIX}${type}/${name}/${version === '' ? UNVERSIONED_KEY : version}`;
}

export class PluginCatalog {
  constructor(private readonly storage: Storage) {}

  async put(entry: CatalogEntry): Promise<void> {
    await this.storage.put({ key: entryKey(entry.type, entry.name, entry.version), value: Buffer.from(JSON.stringify(entry)) });
  }

  async get(type: CatalogPluginType, name: string, version: string): Promise<CatalogEntry | null> {
    const stored = await this.storage.get(entryKey(type, name, version));
    return stored === null ? null : (JSON.parse(stored.value.toString('utf8')) as CatalogEntry);
  }

  /** Deletes one entry; a missing entry is not an error, as in Vault. */
  async delete(type: CatalogPluginType, name: string, version: string): Promise<void> {
    await this.storage.delete(entryKey(type, name, version));
  }

  /** Names with at least one entry of `type`, sorted. */
  async names(type: CatalogPluginType): Promise<string[]> {
    const children = await this.storage.list(`${CATALOG_PREFIX}${type}/`);
    return children.filter((child) => child.endsWith('/')).map((child) => child.slice(0, -1));
  }

  /** Every entry of one name, unversioned first, then by version. */
  async versions(type: CatalogPluginType, name: string): Promise<CatalogEntry[]> {
    const keys = await this.storage.list(`${CATALOG_PREFIX}${type}/${name}/`);
    const entries: CatalogEntry[] = [];
    for (const key of keys) {
      const entry = await this.get(type, name, key === UNVERSIONED_KEY ? '' : key);
      if (entry !== null) entries.push(entry);
    }
    return entries.sort((a, b) => compareVersions(a.version, b.version));
  }

  /**
   * The entry a mount of `name` runs: the given version; without one, the
   * unversioned entry, else the highest registered version.
   */
  async resolve(type: CatalogPluginType, name: string, version: string): Promise<CatalogEntry | null> {
    if (version !== '') return this.get(type, name, normalizeVersion(version) ?? version);
    const entries = await this.versions(type, name);
    return entries.find((entry) => entry.version === '') ?? entries.at(-1) ?? null;
  }
}

/** Returns the version with a leading "v", or `null` when it is not a semantic version. */
export function normalizeVersion(version: string): string | null {
  if (!SEMVER_PATTERN.test(version)) return null;
  return version.startsWith('v') ? version : `v${version}`;
}

/** Orders versions: the empty version first, then by semantic version precedence (build metadata ignored). */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const left = SEMVER_PATTERN.exec(a);
  const right = SEMVER_PATTERN.exec(b);
  if (left === null) return right === null ? a.localeCompare(b) : -1;
  if (right === null) return 1;
  for (let part = 1; part <= 3; part++) {
    const difference = Number(left[part]) - Number(right[part]);
    if (difference !== 0) return difference;
  }
  // A pre-release sorts before its release.
  const leftPrerelease = left[4];
  const rightPrerelease = right[4];
  if (leftPrerelease === undefined && rightPrerelease === undefined) return 0;
  if (leftPrerelease === undefined) return 1;
  if (rightPrerelease === undefined) return -1;
  return leftPrerelease.localeCompare(rightPrerelease, 'en', { numeric: true });
}

/** A registration request as the API receives it. */
export interface RegistrationInput {
  type: string;
  name: string;
  sha256: string;
  command: string;
  args: string[];
  env: string[];
  version: string;
}

/**
 * Checks a registration and builds its catalog entry.
 * @throws CofferError (400) naming the field, the value and the fix.
 */
export async function validateRegistration(input: RegistrationInput, pluginDirectory: string | undefined): Promise<CatalogEntry> {
  const type = parseCatalogType(input.type);
  if (!NAME_PATTERN.test(input.name)) {
    throw badRequest(`invalid plugin name "${input.name}": use letters, digits, "-", "_" and "."`);
  }
  if (input.sha256 === '') throw badRequest('missing required field "sha256"');
  if (!/^[0-9a-fA-F]{64}$/.test(input.sha256)) {
    throw badRequest(`invalid "sha256" "${input.sha256}": expected the 64 hexadecimal digits of the binary's SHA-256`);
  }
  let version = '';
  if (input.version !== '') {
    const normalized = normalizeVersion(input.version);
    if (normalized === null) throw badRequest(`invalid "version" "${input.version}": expected a semantic version such as "v1.2.0"`);
    version = normalized;
  }
  for (const assignment of input.env) checkEnvAssignment(assignment);
  if (pluginDirectory === undefined) {
    throw badRequest(`cannot register plugin "${input.name}": no plugin directory is configured; set "plugin_directory" in the server configuration`);
  }
  try {
    await resolvePluginCommand(pluginDirectory, input.command);
  } catch (err) {
    if (err instanceof PluginCommandError) throw badRequest(err.message);
    throw err;
  }
  return { type, name: input.name, version, command: input.command, args: input.args, env: input.env, sha256: input.sha256.toLowerCase() };
}

/**
 * Parses the type segment of a catalog path.
 * @throws CofferError (400) for an unknown type.
 */
export function parseCatalogType(type: string): CatalogPluginType {
  if (type === 'secret' || type === 'auth' || type === 'audit' || type === 'database') return type;
  throw badRequest(`invalid plugin type "${type}": use "audit", "auth", "database" or "secret"`);
}

function checkEnvAssignment(assignment: string): void {
  const separator = assignment.indexOf('=');
  const name = separator === -1 ? assignment : assignment.slice(0, separator);
  if (separator <= 0 || !ENV_NAME_PATTERN.test(name)) {
    throw badRequest(`invalid "env" entry "${name}": expected "NAME=value" with a name of letters, digits and "_"`);
  }
  if (RESERVED_ENV_NAMES.includes(name) || RESERVED_ENV_PREFIXES.some((prefix) => name.startsWith(prefix))) {
    throw badRequest(`invalid "env" entry "${name}": the server sets this variable for every plugin; remove it`);
  }
}
