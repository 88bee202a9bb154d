/**
 * Lists of mounts: the secrets engines view and the auth methods view.
 * Both read `sys/internal/ui/mounts`, which shows a token the mounts it can
 * use, and fall back to `sys/mounts` and `sys/auth` when it is missing.
 */
import { ApiError, encodePath, isRecord, read, remove, withWarnings, write } from '../api.js';
import { field, h, link, replace, table, valueOf } from '../dom.js';
import type { Page } from '../layout.js';
import { go } from '../router.js';

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

/** Mounts the server owns, which cannot be disabled. */
const SYSTEM_MOUNTS = new Set(['cubbyhole/', 'identity/', 'sys/', 'token/']);

/** Types the enable forms offer; any other type name can still be typed in. */
const SECRETS_TYPES = ['kv-v2', 'kv', 'transit', 'database', 'pki', 'ssh', 'totp', 'rabbitmq', 'ldap', 'aws'];
const AUTH_TYPES = ['userpass', 'approle', 'ldap', 'jwt', 'oidc', 'cert', 'radius', 'github'];

/** Routes of the views that manage an auth method's users or roles, by type. */
const AUTH_BROWSERS: Record<string, (mount: string) => string> = {
  userpass: (mount) => `/access/userpass/${encodeURIComponent(mount)}`,
};

export async function renderSecretsEngines(page: Page): Promise<void> {
  const mounts = await readMounts('secret');
  const rows = mounts.map((mount) => {
    const browse = BROWSERS[mount.type];
    return [
      browse === undefined ? mount.path : link(browse(mount.path), mount.path),
      mountType(mount),
      mount.description,
      SYSTEM_MOUNTS.has(mount.path) ? '' : disableButton(page, 'secrets engine', `sys/mounts/${encodeMountPath(mount.path)}`, mount.path, '/secrets'),
    ];
  });
  replace(
    page.main,
    h('h1', null, 'Secrets engines'),
    rows.length === 0 ? h('p', null, 'This token can use no secrets engine.') : table(['Path', 'Type', 'Description', ''], rows, { 'aria-label': 'secrets engines' }),
    enableForm(page, 'secrets engine', SECRETS_TYPES, 'sys/mounts', '/secrets'),
  );
}

export async function renderAuthMethods(page: Page): Promise<void> {
  const mounts = await readMounts('auth');
  const rows = mounts.map((mount) => {
    const browse = AUTH_BROWSERS[mount.type];
    return [
      browse === undefined ? mount.path : link(browse(mount.path), mount.path),
      mount.type,
      mount.description,
      mount.accessor,
      SYSTEM_MOUNTS.has(mount.path) ? '' : disableButton(page, 'auth method', `sys/auth/${encodeMountPath(mount.path)}`, mount.path, '/access'),
    ];
  });
  replace(
    page.main,
    h('h1', null, 'Auth methods'),
    table(['Path', 'Type', 'Description', 'Accessor', ''], rows, { 'aria-label': 'auth methods' }),
    enableForm(page, 'auth method', AUTH_TYPES, 'sys/auth', '/access'),
  );
}

function encodeMountPath(path: string): string {
  return encodePath(path.replace(/\/+$/, ''));
}

function disableButton(page: Page, kind: string, apiPath: string, mountPath: string, back: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'link', 'aria-label': `disable ${mountPath}` }, 'Disable');
  button.addEventListener('click', () => {
    if (!confirm(`Disable the ${kind} at ${mountPath}? Everything stored under it is deleted.`)) return;
    remove(apiPath)
      .then(() => go(back, `Disabled ${mountPath}.`))
      .catch((err: unknown) => page.fail(err));
  });
  return button;
}

/**
 * Makes the form that enables a mount. `kv-v2` is the `kv` type with
 * option version 2, as the CLI spells it.
 */
function enableForm(page: Page, kind: string, types: string[], apiBase: string, back: string): HTMLElement {
  const listId = `${apiBase.replace('/', '-')}-types`;
  const form = h(
    'form',
    { class: 'inline', 'aria-label': `enable ${kind}` },
    field('Type', h('input', { name: 'type', list: listId, required: true })),
    h('datalist', { id: listId }, ...types.map((type) => h('option', { value: type }))),
    field('Path', h('input', { name: 'path' }), 'the type when empty'),
    field('Description', h('input', { name: 'description' })),
    h('button', { type: 'submit' }, `Enable ${kind}`),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const typed = valueOf(form, 'type');
    const path = (valueOf(form, 'path') || typed).replace(/^\/+|\/+$/g, '');
    const body: Record<string, unknown> = { type: typed === 'kv-v2' ? 'kv' : typed, description: valueOf(form, 'description') };
    if (typed === 'kv-v2') body.options = { version: '2' };
    write(`${apiBase}/${encodePath(path)}`, body)
      .then((response) => go(back, withWarnings(`Enabled ${typed} at ${path}/.`, response)))
      .catch((err: unknown) => page.fail(err));
  });
  return h('section', { class: 'card' }, h('h2', null, `Enable a ${kind}`), form);
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
