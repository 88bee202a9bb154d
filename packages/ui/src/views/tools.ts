/**
 * The tools view (wrap, unwrap, random bytes, hash) and the status view
 * (the server's seal and health, and the signed-in token).
 */
import { read, request, write } from '../api.js';
import { field, h, rawValueOf, replace, table, valueOf } from '../dom.js';
import type { Page } from '../layout.js';
import { toBase64 } from './transit.js';

/** Makes a card with a form whose submit runs `send` and shows the text it returns. */
function toolForm(page: Page, label: string, controls: HTMLElement[], send: (form: HTMLFormElement) => Promise<string>): HTMLElement {
  const output = h('output', { class: 'result' });
  const form = h('form', { 'aria-label': label }, ...controls, h('button', { type: 'submit' }, label), output);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    send(form)
      .then((text) => replace(output, h('pre', null, text)))
      .catch((err: unknown) => page.fail(err));
  });
  return h('section', { class: 'card' }, h('h2', null, label), form);
}

export function renderTools(page: Page): Promise<void> {
  const wrap = toolForm(page, 'Wrap', [field('Data (JSON object)', h('textarea', { name: 'data', rows: 4, spellcheck: 'false' })), field('TTL', h('input', { name: 'ttl', value: '30m' }))], async (form) => {
    let data: unknown;
    try {
      data = JSON.parse(valueOf(form, 'data'));
    } catch {
      throw new Error('The data to wrap must be a JSON object, such as {"password": "..."}.');
    }
    const response = await request('POST', 'sys/wrapping/wrap', data, undefined, { 'X-Vault-Wrap-TTL': valueOf(form, 'ttl') });
    const info = response?.wrap_info;
    return info === null || info === undefined ? '' : `token: ${info.token}\nttl: ${info.ttl}\ncreation_time: ${info.creation_time}`;
  });
  const unwrap = toolForm(page, 'Unwrap', [field('Wrapping token', h('input', { name: 'token', type: 'password', autocomplete: 'off' }))], async (form) => {
    const response = await write('sys/wrapping/unwrap', { token: valueOf(form, 'token') });
    return JSON.stringify(response?.data ?? null, null, 2);
  });
  const random = toolForm(
    page,
    'Random bytes',
    [field('Bytes', h('input', { name: 'bytes', type: 'number', min: 1, value: 32 })), field('Format', h('select', { name: 'format' }, h('option', null, 'base64'), h('option', null, 'hex')))],
    async (form) => {
      const response = await write<{ random_bytes: string }>('sys/tools/random', { bytes: Number(valueOf(form, 'bytes')), format: valueOf(form, 'format') });
      return response?.data.random_bytes ?? '';
    },
  );
  const hash = toolForm(
    page,
    'Hash',
    [
      field('Input (text)', h('textarea', { name: 'input', rows: 3 })),
      field('Algorithm', h('select', { name: 'algorithm' }, ...['sha2-256', 'sha2-384', 'sha2-512', 'sha3-256'].map((name) => h('option', null, name)))),
    ],
    async (form) => {
      const response = await write<{ sum: string }>('sys/tools/hash', { input: toBase64(rawValueOf(form, 'input')), algorithm: valueOf(form, 'algorithm'), format: 'hex' });
      return response?.data.sum ?? '';
    },
  );
  replace(page.main, h('h1', null, 'Tools'), wrap, unwrap, random, hash);
  return Promise.resolve();
}

export async function renderStatus(page: Page): Promise<void> {
  const [health, self] = await Promise.all([request('GET', 'sys/health?standbyok=true&perfstandbyok=true', undefined, null), read('auth/token/lookup-self')]);
  const server = health as unknown as Record<string, unknown>;
  const token = self?.data ?? {};
  const renew = h('button', { type: 'button', class: 'secondary' }, 'Renew token');
  renew.addEventListener('click', () => {
    write('auth/token/renew-self', {})
      .then((response) => page.notify(`Token renewed for ${response?.auth?.lease_duration ?? 0} seconds.`))
      .catch((err: unknown) => page.fail(err));
  });
  replace(
    page.main,
    h('h1', null, 'Status'),
    h('h2', null, 'Server'),
    table(
      ['Setting', 'Value'],
      ['version', 'initialized', 'sealed', 'standby', 'cluster_name'].map((key) => [key, String(server[key] ?? '')]),
      { 'aria-label': 'server status' },
    ),
    h('h2', null, 'Token'),
    table(
      ['Setting', 'Value'],
      [
        ['display name', String(token.display_name ?? '')],
        ['policies', Array.isArray(token.policies) ? token.policies.join(', ') : ''],
        ['ttl', String(token.ttl ?? '')],
        ['renewable', String(token.renewable ?? '')],
        ['entity', String(token.entity_id ?? '')],
      ],
      { 'aria-label': 'token' },
    ),
    token.renewable === true ? renew : null,
  );
}
