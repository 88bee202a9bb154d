/**
 * The KV views: browse a folder, show a secret, and create or edit one,
 * for KV version 1 and 2 mounts. Values stay hidden until the user reveals
 * them.
 */
import { ApiError, encodePath, isRecord, list, read, remove, request, withWarnings, write, type ApiResponse } from '../api.js';
import { h, link, replace, table, type Child } from '../dom.js';
import type { Page } from '../layout.js';
import { go, type Params } from '../router.js';
import { readMount } from './mounts.js';
import { editor, readEditor } from './kv-editor.js';

/** A mount path and the API paths of its secrets, by KV version. */
interface KvMount {
  path: string;
  version: 1 | 2;
}

async function kvMount(path: string): Promise<KvMount> {
  const mount = await readMount(path);
  if (mount.type !== 'kv') throw new Error(`"${path}" is a ${mount.type} mount, not kv`);
  return { path: mount.path, version: mount.options.version === '2' ? 2 : 1 };
}

function dataPath(mount: KvMount, path: string): string {
  return `${encodePath(mount.path)}${mount.version === 2 ? 'data/' : ''}${encodePath(path)}`;
}

function route(mount: KvMount, action: 'list' | 'show' | 'edit' | 'create' | 'versions', path: string): string {
  return `/secrets/${encodeURIComponent(mount.path)}/${action}/${encodePath(path)}`;
}

/** Splits `a/b/c` into links to `a/` and `a/b/`, for the heading of a view. */
function breadcrumbs(mount: KvMount, path: string): Child[] {
  const crumbs: Child[] = [link(route(mount, 'list', ''), mount.path)];
  const parts = path.split('/').filter((part) => part !== '');
  let folder = '';
  parts.forEach((part, index) => {
    const last = index === parts.length - 1 && !path.endsWith('/');
    folder += last ? part : `${part}/`;
    crumbs.push(last ? h('span', null, part) : link(route(mount, 'list', folder), `${part}/`));
  });
  return crumbs;
}

export async function renderKvList(page: Page, params: Params): Promise<void> {
  const mount = await kvMount(params.mount);
  const folder = params.path ?? '';
  const keys = await list(`${encodePath(mount.path)}${mount.version === 2 ? 'metadata/' : ''}${encodePath(folder)}`);
  const rows = keys.map((key) => [key.endsWith('/') ? link(route(mount, 'list', folder + key), key) : link(route(mount, 'show', folder + key), key)]);
  replace(
    page.main,
    h('h1', { class: 'crumbs' }, ...breadcrumbs(mount, folder)),
    h('p', null, `KV version ${mount.version}`, ' · ', link(route(mount, 'create', folder), 'Create secret')),
    rows.length === 0 ? h('p', { class: 'empty' }, 'No secrets here.') : table(['Key'], rows, { 'aria-label': 'secrets' }),
  );
}

/**
 * Reads a secret; returns null when there is none. A KV version 2 secret
 * whose latest version is deleted or destroyed comes back with 404 and its
 * metadata, which is returned so the view can show that.
 */
async function readSecret(mount: KvMount, path: string): Promise<ApiResponse | null> {
  try {
    return await request('GET', dataPath(mount, path));
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
    return isRecord(err.body) && isRecord(err.body.data) ? (err.body as unknown as ApiResponse) : null;
  }
}

export async function renderKvShow(page: Page, params: Params): Promise<void> {
  const mount = await kvMount(params.mount);
  const path = params.path;
  const response = await readSecret(mount, path);
  const data = mount.version === 2 ? response?.data.data : response?.data;
  const metadata = mount.version === 2 && isRecord(response?.data.metadata) ? response.data.metadata : null;

  const heading = h('h1', { class: 'crumbs' }, ...breadcrumbs(mount, path));
  if (!isRecord(data)) {
    let state = 'No secret at this path.';
    if (metadata !== null) state = metadata.destroyed === true ? 'The latest version of this secret is destroyed.' : 'The latest version of this secret is deleted.';
    replace(
      page.main,
      heading,
      h('p', { class: 'empty' }, state),
      h('div', { class: 'actions' }, link(route(mount, 'edit', path), 'Write a new version', { class: 'button' }), metadata === null ? null : link(route(mount, 'versions', path), 'Versions', { class: 'button' })),
    );
    return;
  }

  const rows = Object.entries(data).map(([key, value]) => [key, hiddenValue(value)]);
  replace(
    page.main,
    heading,
    metadata === null ? null : h('p', { class: 'meta' }, `Version ${String(metadata.version)}, created ${String(metadata.created_time)}`),
    table(['Key', 'Value'], rows, { 'aria-label': 'secret data' }),
    h(
      'div',
      { class: 'actions' },
      link(route(mount, 'edit', path), 'Edit', { class: 'button' }),
      mount.version === 2 ? link(route(mount, 'versions', path), 'Versions', { class: 'button' }) : null,
      h('button', { type: 'button', class: 'danger', onclick: () => deleteSecret(page, mount, path) }, 'Delete'),
    ),
  );
}

/** Shows a value as dots with a button that reveals it. */
export function hiddenValue(value: unknown): HTMLElement {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const revealed = h('code', { class: 'secret-value', hidden: true }, text);
  const dots = h('span', { class: 'dots' }, '••••••••');
  const toggle = h('button', { type: 'button', class: 'link', 'aria-label': 'reveal value' }, 'Reveal');
  toggle.addEventListener('click', () => {
    const revealing = revealed.hidden;
    revealed.hidden = !revealing;
    dots.hidden = revealing;
    toggle.textContent = revealing ? 'Hide' : 'Reveal';
  });
  return h('span', null, dots, revealed, ' ', toggle);
}

function deleteSecret(page: Page, mount: KvMount, path: string): void {
  if (!confirm(`Delete ${mount.path}${path}?`)) return;
  remove(dataPath(mount, path))
    .then(() => {
      go(route(mount, 'list', path.slice(0, path.lastIndexOf('/') + 1)), `Deleted ${mount.path}${path}.`);
    })
    .catch((err: unknown) => page.fail(err));
}

/** Draws the form that writes a secret: at `path` when editing, or under the folder when creating. */
export async function renderKvEdit(page: Page, params: Params, creating: boolean): Promise<void> {
  const mount = await kvMount(params.mount);
  const path = creating ? '' : params.path;
  const folder = creating ? (params.path ?? '') : '';
  let current: Record<string, unknown> = {};
  if (!creating) {
    const response = await read(dataPath(mount, path));
    const data = mount.version === 2 ? response?.data.data : response?.data;
    if (isRecord(data)) current = data;
  }

  const pathInput = h('input', { name: 'path', value: folder, required: true, 'aria-label': 'secret path' });
  const values = editor(current, (err) => page.fail(err));
  const form = h(
    'form',
    { class: 'card', 'aria-label': creating ? 'create secret' : 'edit secret' },
    h('h1', null, creating ? `Create a secret in ${mount.path}` : `Edit ${mount.path}${path}`),
    creating ? h('label', { class: 'field' }, h('span', { class: 'label' }, 'Path'), pathInput) : null,
    values.element,
    h('button', { type: 'submit' }, 'Save'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const target = creating ? pathInput.value.trim().replace(/^\/+/, '') : path;
    let data: Record<string, unknown>;
    try {
      if (target === '' || target.endsWith('/')) throw new Error('Give the secret a path that does not end with "/".');
      data = readEditor(values);
    } catch (err) {
      page.fail(err);
      return;
    }
    write(dataPath(mount, target), mount.version === 2 ? { data } : data)
      .then((response) => {
        go(route(mount, 'show', target), withWarnings(`Saved ${mount.path}${target}.`, response));
      })
      .catch((err: unknown) => page.fail(err));
  });
  replace(page.main, form);
}
