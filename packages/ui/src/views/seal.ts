/**
 * Views for a server that is not ready: initialization, which shows the
 * key shares and root token once, and unsealing with key shares.
 */
import { request, write } from '../api.js';
import { field, h, replace, valueOf } from '../dom.js';
import type { Page } from '../layout.js';

/** The fields of `sys/seal-status` the UI reads. */
export interface SealStatus {
  initialized: boolean;
  sealed: boolean;
  t: number;
  n: number;
  progress: number;
  type: string;
  version: string;
}

export async function readSealStatus(): Promise<SealStatus> {
  const response = await request('GET', 'sys/seal-status', undefined, null);
  return response as unknown as SealStatus;
}

/** Draws the initialization form; `done` runs after the user has seen the keys. */
export function renderInit(page: Page, done: () => void): void {
  const form = h(
    'form',
    { class: 'card', 'aria-label': 'initialize' },
    h('h1', null, 'Initialize Coffer'),
    h('p', null, 'The server has no root key yet. Choose how many key shares to make and how many unseal it.'),
    field('Key shares', h('input', { name: 'shares', type: 'number', min: 1, max: 255, value: 5, required: true })),
    field('Key threshold', h('input', { name: 'threshold', type: 'number', min: 1, max: 255, value: 3, required: true })),
    h('button', { type: 'submit' }, 'Initialize'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = { secret_shares: Number(valueOf(form, 'shares')), secret_threshold: Number(valueOf(form, 'threshold')) };
    request('PUT', 'sys/init', body, null)
      .then((response) => showKeys(page, response as unknown as { keys_base64: string[]; root_token: string }, done))
      .catch((err: unknown) => page.fail(err));
  });
  replace(page.main, form);
}

function showKeys(page: Page, result: { keys_base64: string[]; root_token: string }, done: () => void): void {
  replace(
    page.main,
    h(
      'section',
      { class: 'card', 'aria-label': 'initial keys' },
      h('h1', null, 'Save these keys now'),
      h('p', { class: 'warning' }, 'Coffer shows the key shares and the root token only once. Store each share with a different person.'),
      h('ol', { class: 'keys' }, ...result.keys_base64.map((key) => h('li', null, h('code', { 'data-share': key }, key)))),
      h('p', null, 'Root token: ', h('code', { 'data-root-token': result.root_token }, result.root_token)),
      h('button', { type: 'button', onclick: done }, 'Continue to unseal'),
    ),
  );
}

/** Draws the unseal form with the current progress; `done` runs once the server is unsealed. */
export function renderUnseal(page: Page, status: SealStatus, done: () => void): void {
  const progress = h('p', { class: 'progress' }, progressText(status));
  const form = h(
    'form',
    { class: 'card', 'aria-label': 'unseal' },
    h('h1', null, 'Unseal Coffer'),
    h('p', null, `The server is sealed (${status.type} seal). Enter key shares one at a time.`),
    progress,
    field('Key share', h('input', { name: 'key', type: 'password', autocomplete: 'off', required: true })),
    h('button', { type: 'submit' }, 'Unseal'),
    h('button', { type: 'button', class: 'secondary', onclick: () => reset(page, progress) }, 'Start over'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    write('sys/unseal', { key: valueOf(form, 'key') })
      .then((response) => {
        form.reset();
        const next = response as unknown as SealStatus;
        if (!next.sealed) {
          done();
          return;
        }
        page.notify('Key share accepted.');
        replace(progress, progressText(next));
      })
      .catch((err: unknown) => page.fail(err));
  });
  replace(page.main, form);
}

function reset(page: Page, progress: HTMLElement): void {
  write('sys/unseal', { reset: true })
    .then((response) => replace(progress, progressText(response as unknown as SealStatus)))
    .catch((err: unknown) => page.fail(err));
}

function progressText(status: SealStatus): string {
  return `Unseal progress: ${status.progress} of ${status.t} key shares`;
}
