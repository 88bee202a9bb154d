/**
 * Lists of mounts: the secrets engines view and the auth methods view.
 * Both read `sys/internal/ui/mounts`, which shows a token the mounts it can
 * use, and fall back to `sys/mounts` and `sys/auth` when it is missing.
 */
import { ApiError, isRecord, read } from '../api.js';
import { h, link, replace, table } from '../dom.js';
import type { Page } from '../layout.js';

/** One mount as the views show it. */
export interface MountInfo {
  path: string;
  type: string;
  description: string;
  accessor: string;
  options: Record<string, string>;
}

/** Routes of the views that browse a mount of a type, by type. */
const BROWSERS: Record<string, (mount: string) => string> = {
  kv: (mount) => `/secrets/${encodeURIComponent(mount)}/list/`,
  transit: (mount) => `/transit/${encodeURIComponent(mount)}`,
};

export async function renderSecretsEngines(page: Page): Promise<void> {
  const mounts = await readMounts('secret');
  const rows = mounts.map((mount) => {
    const browse = BROWSERS[mount.type];
    return [browse === undefined ? mount.path : link(browse(mount.path), mount.path), mountType(mount), mount.description, mount.accessor];
  });
  replace(
    page.main,
    h('h1', null, 'Secrets engines'),
    rows.length === 0 ? h('p', null, 'This token can use no secrets engine.') : table(['Path', 'Type', 'Description', 'Accessor'], rows, { 'aria-label': 'secrets engines' }),
  );
}

export async function renderAuthMethods(page: Page): Promise<void> {
  const mounts = await readMounts('auth');
  replace(
    page.main,
    h('h1', null, 'Auth methods'),
    table(
      ['Path', 'Type', 'Description', 'Accessor'],
      mounts.map((mount) => [mount.path, mount.type, mount.description, mount.accessor]),
      { 'aria-label': 'auth methods' },
    ),
  );
}

/** Reads the options and type of the mount that contains `path`. */
export async function readMount(path: string): Promise<MountInfo> {
  const response = await read(`sys/internal/ui/mounts/${path.split('/').map(encodeURIComponent).join('/')}`);
  if (response === null) throw new Error(`no mount at "${path}"`);
  return toMount(String(response.data.path ?? path), response.data);
}

async function readMounts(kind: 'secret' | 'auth'): Promise<MountInfo[]> {
  let table: unknown;
  try {
    const response = await read('sys/internal/ui/mounts');
    table = response?.data[kind];
  } catch (err) {
    // Servers without the list form return 405, and then sys/mounts needs a policy on it.
    if (!(err instanceof ApiError) || err.status !== 405) throw err;
  }
  if (table === undefined) {
    const response = await read(kind === 'secret' ? 'sys/mounts' : 'sys/auth');
    table = response?.data;
  }
  if (!isRecord(table)) return [];
  return Object.entries(table)
    .filter(([, entry]) => isRecord(entry))
    .map(([path, entry]) => toMount(path, entry as Record<string, unknown>))
    .sort((left, right) => left.path.localeCompare(right.path));
}

function toMount(path: string, entry: Record<string, unknown>): MountInfo {
  const options: Record<string, string> = {};
  if (isRecord(entry.options)) for (const [key, value] of Object.entries(entry.options)) options[key] = String(value);
  return {
    path,
    type: String(entry.type ?? ''),
    description: String(entry.description ?? ''),
    accessor: String(entry.accessor ?? ''),
    options,
  };
}

function mountType(mount: MountInfo): string {
  return mount.type === 'kv' && mount.options.version !== undefined ? `kv v${mount.options.version}` : mount.type;
}
