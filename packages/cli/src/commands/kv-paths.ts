// Finding the KV mount and version behind a `kv` command's path, the way
// Vault's CLI does, and building the API paths of KV version 2.
import type { CofferClient } from '../client.js';
import { ResponseError } from '../client.js';
import { reportApiError } from '../command.js';
import type { FlagSpec } from '../flags.js';
import { UsageError } from '../flags.js';
import type { UI } from '../io.js';
import { padEqualSigns } from '../output.js';
import { joinPath, sanitizePath } from '../paths.js';

/** Location of a `kv` command's secret. */
export interface KvLocation {
  /** Mount path with its trailing slash, such as "secret/". It is '' when the server returned none. */
  mountPath: string;
  v2: boolean;
  /** Path of the secret with its mount, such as "secret/foo", before any version 2 prefix. */
  path: string;
}

/** The -mount flag of the `kv` commands. */
export const mountFlag: FlagSpec = {
  name: 'mount',
  kind: 'string',
  usage:
    'Path where the KV engine is mounted, such as "secret". With it, the argument is the secret path inside the ' +
    'mount. Without it, the argument is the mount path and the secret path together, such as secret/foo.',
};

/**
 * Asks the server which mount serves `path` and which KV version it runs,
 * through `sys/internal/ui/mounts/<path>`. A 404 means a server without that
 * endpoint, taken as KV version 1 as Vault's CLI does.
 *
 * @throws ResponseError or ConnectionError when the request fails otherwise.
 */
export async function preflightKvVersion(api: CofferClient, path: string): Promise<{ mountPath: string; version: 1 | 2 }> {
  // The lookup is never wrapped or printed as curl, so -wrap-ttl and -output-curl-string apply to the command's own request.
  const response = await api.request('GET', `sys/internal/ui/mounts/${path}`, { allowNotFound: true, wrap: false, curl: false });
  if (response.status === 404) return { mountPath: '', version: 1 };

  const data = (response.body as { data?: { path?: unknown; options?: { version?: unknown } | null } } | undefined)?.data;
  const mountPath = typeof data?.path === 'string' ? data.path : '';
  const version = data?.options?.version;
  return { mountPath, version: version === '2' || version === 2 ? 2 : 1 };
}

/**
 * Resolves a `kv` command's path argument. With -mount, `argument` is the
 * secret path inside that mount; without it, `argument` starts with the mount
 * path ("secret/foo").
 */
export async function locateKv(api: CofferClient, argument: string, mount: string): Promise<KvLocation> {
  const secretPath = sanitizePath(argument);
  if (mount === '') {
    const { mountPath, version } = await preflightKvVersion(api, secretPath);
    return { mountPath, v2: version === 2, path: secretPath };
  }

  const mountArgument = sanitizePath(mount);
  const { mountPath, version } = await preflightKvVersion(api, mountArgument);
  const effectiveMount = mountPath === '' ? `${mountArgument}/` : mountPath;
  return { mountPath: effectiveMount, v2: version === 2, path: joinPath(effectiveMount, secretPath) };
}

/**
 * Resolves the location like locateKv, printing a failed mount lookup and
 * returning its exit code. A 403 there means the token may read no path of
 * the mount, which Vault's CLI also explains in place of the bare error.
 */
export async function locateKvOrReport(ui: UI, api: CofferClient, argument: string, mount: string): Promise<KvLocation | number> {
  try {
    return await locateKv(api, argument, mount);
  } catch (error) {
    if (error instanceof ResponseError && error.statusCode === 403 && error.url.includes('/v1/sys/internal/ui/mounts/')) {
      const lookupPath = error.url.slice(error.url.indexOf('/v1/') + '/v1/'.length);
      ui.error(
        `Error finding the KV mount of "${joinPath(mount, sanitizePath(argument))}": the server denied GET ${lookupPath} (403); ` +
          "the token's policies must grant a capability on a path under the mount",
      );
      return 2;
    }
    return reportApiError(ui, '', error);
  }
}

/**
 * Inserts a KV version 2 API prefix ("data", "metadata", "delete", ...) after
 * the mount: "secret/foo" becomes "secret/data/foo". With `skipIfPresent`, a
 * path that already has the prefix is left as it is.
 */
export function addPrefixToKvPath(path: string, mountPath: string, apiPrefix: string, skipIfPresent = false): string {
  if (path === mountPath || path === mountPath.replace(/\/$/, '')) return joinPath(mountPath, apiPrefix);

  const suffix = path.startsWith(mountPath) ? path.slice(mountPath.length) : path;
  if (skipIfPresent && (suffix.startsWith(apiPrefix) || suffix.startsWith(`/${apiPrefix}`))) {
    return joinPath(mountPath, suffix);
  }
  return joinPath(mountPath, apiPrefix, suffix);
}

/** The version 2 API path of a location under `apiPrefix`. */
export function kvV2Path(location: KvLocation, apiPrefix: string): string {
  return addPrefixToKvPath(location.path, location.mountPath, apiPrefix);
}

/** Prints a path under a title in equal signs, as the `kv` table output starts. */
export function printPathHeader(ui: UI, path: string, title: string): void {
  ui.output(padEqualSigns(title, path.length));
  ui.output(path);
  ui.output('');
}

/** Builds the -versions flag of `kv delete`, `undelete` and `destroy`. */
export function versionsFlag(action: string): FlagSpec {
  return {
    name: 'versions',
    kind: 'list',
    usage: `Versions to ${action}, as a comma-separated list or by repeating the flag, such as -versions=1,2.`,
  };
}

/** Parses the -versions values into version numbers. */
export function parseVersions(values: string[]): number[] {
  return values.map((value) => {
    if (!/^\d+$/.test(value) || Number(value) === 0) {
      throw new UsageError(`invalid value "${value}" for flag -versions: expected version numbers of 1 or more, such as -versions=1,2`);
    }
    return Number(value);
  });
}
