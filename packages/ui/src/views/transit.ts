/**
 * The transit views: the keys of a mount, a form that creates one, and a
 * key's page with its versions and encrypt and decrypt forms. Plaintext is
 * UTF-8 text, base64-encoded for the API as transit expects.
 */
import { encodePath, list, read, write } from '../api.js';
import { field, h, link, replace, table, valueOf } from '../dom.js';
import type { Page } from '../layout.js';
import { go, type Params } from '../router.js';
import { readMount } from './mounts.js';

const KEY_TYPES = ['aes256-gcm96', 'aes128-gcm96', 'chacha20-poly1305', 'ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa-2048', 'rsa-3072', 'rsa-4096', 'hmac'];

function keyRoute(mount: string, name: string): string {
  return `/transit/${encodeURIComponent(mount)}/key/${encodeURIComponent(name)}`;
}

/** Returns the path of the transit mount at `path`, which links may spell without the final slash. */
async function transitMount(path: string): Promise<string> {
  const mount = await readMount(path);
  if (mount.type !== 'transit') throw new Error(`"${mount.path}" is a ${mount.type} mount, not transit`);
  return mount.path;
}

export async function renderTransitKeys(page: Page, params: Params): Promise<void> {
  const mount = await transitMount(params.mount);
  const keys = await list(`${encodePath(mount)}keys`);
  const form = h(
    'form',
    { class: 'inline', 'aria-label': 'create key' },
    field('Name', h('input', { name: 'name', required: true })),
    field('Type', h('select', { name: 'type' }, ...KEY_TYPES.map((type) => h('option', { value: type }, type)))),
    h('button', { type: 'submit' }, 'Create key'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = valueOf(form, 'name');
    write(`${encodePath(mount)}keys/${encodeURIComponent(name)}`, { type: valueOf(form, 'type') })
      .then(() => go(keyRoute(mount, name), `Created key ${name}.`))
      .catch((err: unknown) => page.fail(err));
  });
  replace(
    page.main,
    h('h1', null, `Transit keys in ${mount}`),
    keys.length === 0 ? h('p', { class: 'empty' }, 'No keys yet.') : table(['Key'], keys.map((key) => [link(keyRoute(mount, key), key)]), { 'aria-label': 'keys' }),
    h('h2', null, 'New key'),
    form,
  );
}

export async function renderTransitKey(page: Page, params: Params): Promise<void> {
  const { name } = params;
  const mount = await transitMount(params.mount);
  const base = `${encodePath(mount)}`;
  const response = await read(`${base}keys/${encodeURIComponent(name)}`);
  if (response === null) throw new Error(`no key "${name}" in ${mount}`);
  const key = response.data;

  const details = table(
    ['Setting', 'Value'],
    [
      ['Type', String(key.type)],
      ['Latest version', String(key.latest_version)],
      ['Minimum decryption version', String(key.min_decryption_version)],
      ['Exportable', String(key.exportable)],
      ['Deletion allowed', String(key.deletion_allowed)],
    ],
    { 'aria-label': 'key settings' },
  );

  const sections: HTMLElement[] = [h('h1', null, `Key ${name}`), details];
  if (key.supports_encryption === true) sections.push(...cipherForms(page, base, name));
  replace(page.main, link(`/transit/${encodeURIComponent(mount)}`, `← keys of ${mount}`), ...sections);
}

function cipherForms(page: Page, base: string, name: string): HTMLElement[] {
  const ciphertextOut = h('output', { name: 'ciphertext', class: 'result' });
  const encrypt = h(
    'form',
    { 'aria-label': 'encrypt' },
    field('Plaintext', h('textarea', { name: 'plaintext', rows: 3 })),
    h('button', { type: 'submit' }, 'Encrypt'),
    ciphertextOut,
  );
  encrypt.addEventListener('submit', (event) => {
    event.preventDefault();
    const plaintext = encrypt.elements.namedItem('plaintext') as HTMLTextAreaElement;
    write<{ ciphertext: string }>(`${base}encrypt/${encodeURIComponent(name)}`, { plaintext: toBase64(plaintext.value) })
      .then((result) => replace(ciphertextOut, h('code', null, result?.data.ciphertext ?? '')))
      .catch((err: unknown) => page.fail(err));
  });

  const plaintextOut = h('output', { name: 'plaintext', class: 'result' });
  const decrypt = h(
    'form',
    { 'aria-label': 'decrypt' },
    field('Ciphertext', h('textarea', { name: 'ciphertext', rows: 3, spellcheck: 'false' })),
    h('button', { type: 'submit' }, 'Decrypt'),
    plaintextOut,
  );
  decrypt.addEventListener('submit', (event) => {
    event.preventDefault();
    write<{ plaintext: string }>(`${base}decrypt/${encodeURIComponent(name)}`, { ciphertext: valueOf(decrypt, 'ciphertext') })
      .then((result) => replace(plaintextOut, h('code', null, fromBase64(result?.data.plaintext ?? ''))))
      .catch((err: unknown) => page.fail(err));
  });
  return [h('h2', null, 'Encrypt'), encrypt, h('h2', null, 'Decrypt'), decrypt];
}

/** Encodes text as UTF-8, then base64. */
export function toBase64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Decodes base64 to bytes, then the bytes as UTF-8. */
export function fromBase64(base64: string): string {
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
