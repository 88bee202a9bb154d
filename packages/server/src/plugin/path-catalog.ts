/**
 * sys/plugins/catalog and sys/plugins/reload/backend: registering external
 * plugins by SHA-256 and restarting the backends of mounts.
 */
import { badRequest, definePath, notFound, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { Core } from '../core.js';
import { builtinAuditDevices } from '../audit/builtin.js';
import { builtinAuthMethods, builtinDatabasePlugins, builtinSecretsEngines } from '../plugins.js';
import { normalizeMountPath } from '../router/mount-manager.js';
import { COFFER_VERSION } from '../version.js';
import { CATALOG_PLUGIN_TYPES, parseCatalogType, validateRegistration, type CatalogEntry, type CatalogPluginType } from './catalog.js';

const BUILTIN_VERSION = `v${COFFER_VERSION}+builtin`;

function builtinNames(type: CatalogPluginType): string[] {
  const builtins = { audit: builtinAuditDevices, auth: builtinAuthMethods, database: builtinDatabasePlugins, secret: builtinSecretsEngines }[type];
  return [...builtins.keys()];
}

/** A catalog entry as the API returns it; `env` is left out because it may hold credentials. */
function describeEntry(entry: CatalogEntry): Record<string, unknown> {
  return { name: entry.name, type: entry.type, command: entry.command, args: entry.args, sha256: entry.sha256, version: entry.version, builtin: false };
}

function describeBuiltin(type: CatalogPluginType, name: string): Record<string, unknown> {
  return { name, type, command: '', args: [], sha256: '', version: BUILTIN_VERSION, builtin: true };
}

const entryFields = {
  type: { type: 'string', description: 'The plugin type: "audit", "auth", "database" or "secret".', required: true },
  name: { type: 'string', description: 'The name mounts use as their type.', required: true },
  sha256: { type: 'string', description: 'SHA-256 of the executable, in hex. The server runs the binary only while its hash matches.' },
  command: { type: 'string', description: 'The executable, relative to the plugin directory.' },
  args: { type: 'comma_string_slice', description: 'Arguments of the command; send a JSON array.' },
  env: { type: 'comma_string_slice', description: 'Environment variables of the plugin as "NAME=value"; send a JSON array.' },
  version: { type: 'string', description: 'Semantic version of the plugin, e.g. "v1.2.0"; empty for an unversioned entry.' },
} as const;

function catalogListingPaths(core: Core): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'plugins/catalog/?',
      fields: {},
      operations: {
        async read() {
          const data: Record<string, unknown> = {};
          const detailed: Record<string, unknown>[] = [];
          for (const type of CATALOG_PLUGIN_TYPES) {
            const registered = await core.plugins.catalog.names(type);
            data[type] = [...new Set([...builtinNames(type), ...registered])].sort();
            for (const name of builtinNames(type)) detailed.push(describeBuiltin(type, name));
            for (const name of registered) {
              for (const entry of await core.plugins.catalog.versions(type, name)) detailed.push(describeEntry(entry));
            }
          }
          return { data: { ...data, detailed } };
        },
      },
      helpSynopsis: 'List the plugins of every type.',
      helpDescription: 'Returns the names of built-in and registered plugins by type, and a detailed list with versions and hashes.',
    }),
    definePath({
      pattern: 'plugins/catalog/(?<type>[^/]+)/?',
      fields: { type: entryFields.type },
      operations: {
        async list(_request, fields) {
          const type = parseCatalogType(fields.get('type'));
          const names = new Set([...builtinNames(type), ...(await core.plugins.catalog.names(type))]);
          return { data: { keys: [...names].sort() } };
        },
      },
      helpSynopsis: 'List the plugins of one type.',
      helpDescription: 'Returns the names of built-in and registered plugins of the type.',
    }),
  ];
}

function catalogEntryPath(core: Core): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'plugins/catalog/(?<type>[^/]+)/(?<name>[^/]+)',
    fields: entryFields,
    operations: {
      async update(_request, fields) {
        const entry = await validateRegistration(
          {
            type: fields.get('type'),
            name: fields.get('name'),
            sha256: fields.get('sha256'),
            command: fields.get('command'),
            args: fields.get('args'),
            env: fields.get('env'),
            version: fields.get('version'),
          },
          core.plugins.pluginDirectory,
        );
        await core.plugins.catalog.put(entry);
        core.logger.info({ type: entry.type, name: entry.name, version: entry.version, sha256: entry.sha256 }, 'plugin registered');
        return null;
      },
      async read(_request, fields) {
        const type = parseCatalogType(fields.get('type'));
        const name = fields.get('name');
        const entry = await core.plugins.catalog.get(type, name, fields.get('version'));
        if (entry !== null) return { data: describeEntry(entry) };
        if (fields.get('version') === '' && builtinNames(type).includes(name)) return { data: describeBuiltin(type, name) };
        throw notFound(`no ${type} plugin "${name}"${fields.get('version') === '' ? '' : ` version ${fields.get('version')}`} in the catalog`);
      },
      async delete(_request, fields) {
        const type = parseCatalogType(fields.get('type'));
        const name = fields.get('name');
        const version = fields.get('version');
        const entry = await core.plugins.catalog.get(type, name, version);
        if (entry === null && version === '' && builtinNames(type).includes(name)) {
          throw badRequest(`cannot delete "${name}": it is a built-in ${type} plugin`);
        }
        await core.plugins.catalog.delete(type, name, version);
        if (entry !== null) core.logger.info({ type, name, version }, 'plugin deregistered');
        return null;
      },
    },
    helpSynopsis: 'Register, read or delete a plugin in the catalog.',
    helpDescription:
      'POST registers an executable from the plugin directory under a name and SHA-256; mounts of that name then run it. GET returns the entry without its environment; DELETE removes it. Running mounts keep their process until they are reloaded.',
  });
}

function reloadPath(core: Core): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'plugins/reload/backend',
    fields: {
      plugin: { type: 'string', description: 'Reload every mount of this plugin name.' },
      mounts: { type: 'comma_string_slice', description: 'Reload these mount paths; auth methods start with "auth/".' },
      scope: { type: 'string', description: 'Only the empty scope, this server, is supported.' },
    },
    operations: {
      async update(request, fields) {
        const plugin = fields.get('plugin');
        const mounts = fields.get('mounts');
        if ((plugin === '') === (mounts.length === 0)) throw badRequest('invalid reload request: set exactly one of "plugin" or "mounts"');
        if (fields.get('scope') !== '') {
          throw badRequest(`invalid "scope" "${fields.get('scope')}": Coffer reloads plugins on this server only; leave "scope" empty`);
        }

        let secretPaths: string[];
        let authPaths: string[];
        if (plugin !== '') {
          secretPaths = core.mounts.list().filter((entry) => entry.type === plugin).map((entry) => entry.path);
          authPaths = core.authMounts.list().filter((entry) => entry.type === plugin).map((entry) => entry.path);
        } else {
          ({ secretPaths, authPaths } = splitMountPaths(core, mounts));
        }
        // These checks return 400 before anything runs, so a changed binary is never executed.
        await checkReloadable(core, 'secret', secretPaths);
        await checkReloadable(core, 'auth', authPaths);
        await reloadAll(core, secretPaths, authPaths);
        core.logger.info({ plugin, mounts: [...secretPaths, ...authPaths.map((path) => `auth/${path}`)] }, 'plugin backends reloaded');

        const response = { data: { reload_id: request.id } };
        if (secretPaths.length + authPaths.length === 0) return { ...response, warnings: [`no mount uses plugin "${plugin}"`] };
        return response;
      },
    },
    helpSynopsis: 'Restart the backends of mounts.',
    helpDescription:
      'Starts new backends for the given mounts, or for every mount of a plugin, from the current catalog entry, then stops the old ones. If any backend fails to start, every mount keeps its old backend. A plugin process that serves no mount any more exits.',
  });
}

/**
 * Starts the new backends of both tables before any route changes, so a
 * backend that cannot start leaves every mount on its old backend.
 */
async function reloadAll(core: Core, secretPaths: string[], authPaths: string[]): Promise<void> {
  const secrets = await core.mounts.prepareReload(secretPaths);
  let auths;
  try {
    auths = await core.authMounts.prepareReload(authPaths);
  } catch (err) {
    await secrets.abort();
    throw err;
  }
  await secrets.commit();
  await auths.commit();
}

/**
 * Checks that each external plugin mount at `paths` still has its catalog entry and an unchanged binary.
 * It runs before any new backend starts, so a changed binary is refused without running it.
 * @throws CofferError (400) naming the first mount that could not start again.
 */
async function checkReloadable(core: Core, type: 'secret' | 'auth', paths: string[]): Promise<void> {
  const table = type === 'auth' ? core.authMounts : core.mounts;
  for (const path of paths) {
    const entry = table.find(path);
    if (entry === undefined) continue;
    // An unversioned mount of a built-in name runs the built-in, as the mount manager resolves it.
    if (entry.pluginVersion === '' && builtinNames(type).includes(entry.type)) continue;
    const mountName = type === 'auth' ? `auth/${entry.path}` : entry.path;
    const catalogEntry = await core.plugins.catalog.resolve(type, entry.type, entry.pluginVersion);
    if (catalogEntry === null) {
      const pinned = entry.pluginVersion === '' ? '' : ` version ${entry.pluginVersion}`;
      throw badRequest(`cannot reload mount "${mountName}": plugin "${entry.type}"${pinned} is not in the catalog any more; register it again, then reload`);
    }
    await core.plugins.verifyBinary(catalogEntry, `cannot reload mount "${mountName}"`);
  }
}

/**
 * Sorts mount paths into the two mount tables.
 * @throws CofferError (400) naming the first path that has no mount.
 */
function splitMountPaths(core: Core, mounts: string[]): { secretPaths: string[]; authPaths: string[] } {
  const secretPaths: string[] = [];
  const authPaths: string[] = [];
  for (const mount of mounts) {
    const path = normalizeMountPath(mount);
    if (path.startsWith('auth/') && core.authMounts.find(path.slice(5)) !== undefined) authPaths.push(path.slice(5));
    else if (core.mounts.find(path) !== undefined) secretPaths.push(path);
    else throw badRequest(`invalid "mounts" entry "${mount}": no secrets engine or auth method is mounted there`);
  }
  return { secretPaths, authPaths };
}

export function pluginCatalogPaths(core: Core): PathDefinition<FieldMap>[] {
  return [...catalogListingPaths(core), catalogEntryPath(core), reloadPath(core)];
}
