/**
 * The version history of a KV version 2 secret: every version with its
 * state, a view of one version, and the delete, undelete and destroy
 * actions of the engine's `delete/`, `undelete/` and `destroy/` paths.
 */
import { encodePath, isRecord, read, remove, write } from '../api.js';
import { h, link, replace, table } from '../dom.js';
import type { Page } from '../layout.js';
import { go, type Params } from '../router.js';
import { readMount } from './mounts.js';

/** One version as `metadata/<path>` reports it. */
interface VersionInfo {
  version: number;
  created: string;
  deleted: string;
  destroyed: boolean;
}

function mountRoute(mount: string, action: string, path: string): string {
  return `/secrets/${encodeURIComponent(mount)}/${action}/${encodePath(path)}`;
}

/** Returns the path of the KV version 2 mount at `path`, which a typed route may spell without the final slash. */
async function versionedMount(path: string): Promise<string> {
  const mount = await readMount(path);
  if (mount.type !== 'kv') throw new Error(`"${mount.path}" is a ${mount.type} mount, not kv`);
  if (mount.options.version !== '2') throw new Error(`"${mount.path}" is a KV version 1 mount, which keeps no versions`);
  return mount.path;
}

export async function renderKvVersions(page: Page, params: Params): Promise<void> {
  const { path } = params;
  const mount = await versionedMount(params.mount);
  const response = await read(`${encodePath(mount)}metadata/${encodePath(path)}`);
  if (response === null) throw new Error(`no secret at ${mount}${path}`);
  const versions = versionList(response.data.versions);
  const current = Number(response.data.current_version);

  const rows = versions.map((info) => [
    info.version === current ? `${info.version} (current)` : String(info.version),
    info.created,
    stateOf(info),
    h('span', { class: 'actions' }, ...actionsFor(page, mount, path, info)),
  ]);
  replace(
    page.main,
    h('h1', null, `Versions of ${mount}${path}`),
    h('p', null, link(mountRoute(mount, 'show', path), '← current version')),
    table(['Version', 'Created', 'State', 'Actions'], rows, { 'aria-label': 'versions' }),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', onclick: () => deleteAll(page, mount, path) }, 'Delete all versions and metadata')),
  );
}

function versionList(value: unknown): VersionInfo[] {
  if (!isRecord(value)) return [];
  return Object.entries(value)
    .map(([version, entry]) => {
      const info = isRecord(entry) ? entry : {};
      return { version: Number(version), created: String(info.created_time ?? ''), deleted: String(info.deletion_time ?? ''), destroyed: info.destroyed === true };
    })
    .sort((left, right) => right.version - left.version);
}

function stateOf(info: VersionInfo): string {
  if (info.destroyed) return 'destroyed';
  if (info.deleted !== '') return `deleted ${info.deleted}`;
  return 'live';
}

function actionsFor(page: Page, mount: string, path: string, info: VersionInfo): HTMLElement[] {
  if (info.destroyed) return [];
  const act = (label: string, action: 'delete' | 'undelete' | 'destroy'): HTMLButtonElement =>
    h('button', { type: 'button', class: action === 'undelete' ? 'secondary' : 'danger', onclick: () => changeVersion(page, mount, path, info.version, action) }, label);
  const actions: HTMLElement[] = [];
  if (info.deleted === '') {
    actions.push(link(`/secrets/${encodeURIComponent(mount)}/version/${info.version}/${encodePath(path)}`, 'View'));
    actions.push(act('Delete', 'delete'));
  } else {
    actions.push(act('Undelete', 'undelete'));
  }
  actions.push(act('Destroy', 'destroy'));
  return actions;
}

function changeVersion(page: Page, mount: string, path: string, version: number, action: 'delete' | 'undelete' | 'destroy'): void {
  if (action === 'destroy' && !confirm(`Destroy version ${version} of ${mount}${path}? Its data cannot be recovered.`)) return;
  write(`${encodePath(mount)}${action}/${encodePath(path)}`, { versions: [version] })
    .then(() => go(mountRoute(mount, 'versions', path), `Version ${version}: ${action} done.`))
    .catch((err: unknown) => page.fail(err));
}

function deleteAll(page: Page, mount: string, path: string): void {
  if (!confirm(`Delete every version and the metadata of ${mount}${path}?`)) return;
  remove(`${encodePath(mount)}metadata/${encodePath(path)}`)
    .then(() => go(mountRoute(mount, 'list', path.slice(0, path.lastIndexOf('/') + 1)), `Deleted ${mount}${path} and its history.`))
    .catch((err: unknown) => page.fail(err));
}

/** Shows one version's data, hidden until revealed like the current version. */
export async function renderKvVersion(page: Page, params: Params, hiddenValue: (value: unknown) => HTMLElement): Promise<void> {
  const { path, version } = params;
  if (!/^[1-9]\d*$/.test(version)) throw new Error(`invalid version "${version}": use a positive whole number`);
  const mount = await versionedMount(params.mount);
  const response = await read(`${encodePath(mount)}data/${encodePath(path)}?version=${version}`);
  const data = response?.data.data;
  replace(
    page.main,
    h('h1', null, `${mount}${path}, version ${version}`),
    h('p', null, link(mountRoute(mount, 'versions', path), '← all versions')),
    isRecord(data)
      ? table(['Key', 'Value'], Object.entries(data).map(([key, value]) => [key, hiddenValue(value)]), { 'aria-label': 'secret data' })
      : h('p', { class: 'empty' }, 'This version is deleted or destroyed.'),
  );
}
