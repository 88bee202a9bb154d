/**
 * The sign-in view: a token, or a username and password for a userpass or
 * LDAP mount. A successful sign-in keeps the token in the tab's session.
 */
import { encodePath, request, write } from '../api.js';
import { field, h, rawValueOf, replace, valueOf } from '../dom.js';
import type { Page } from '../layout.js';
import { session } from '../session.js';

const METHODS: Array<[string, string]> = [
  ['token', 'Token'],
  ['userpass', 'Username and password'],
  ['ldap', 'LDAP'],
];

export function renderLogin(page: Page, done: () => void): void {
  const credentials = h('div', { class: 'credentials' });
  const method = h('select', { name: 'method' }, ...METHODS.map(([value, label]) => h('option', { value }, label)));
  const form = h(
    'form',
    { class: 'card', 'aria-label': 'sign in' },
    h('h1', null, 'Sign in to Coffer'),
    field('Method', method),
    credentials,
    h('button', { type: 'submit' }, 'Sign in'),
  );

  const drawCredentials = (): void => {
    if (method.value === 'token') {
      replace(credentials, field('Token', h('input', { name: 'token', type: 'password', autocomplete: 'off', required: true })));
      return;
    }
    replace(
      credentials,
      field('Username', h('input', { name: 'username', autocomplete: 'username', required: true })),
      field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
      field('Mount path', h('input', { name: 'mount', value: method.value, required: true }), 'where the auth method is enabled, without auth/'),
    );
  };
  method.addEventListener('change', drawCredentials);
  drawCredentials();

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    signIn(form, method.value)
      .then(done)
      .catch((err: unknown) => page.fail(err));
  });
  replace(page.main, form);
}

async function signIn(form: HTMLFormElement, method: string): Promise<void> {
  let token: string;
  if (method === 'token') {
    token = valueOf(form, 'token');
  } else {
    const mount = valueOf(form, 'mount').replace(/^\/+|\/+$/g, '');
    const response = await write(`auth/${encodePath(mount)}/login/${encodeURIComponent(valueOf(form, 'username'))}`, { password: rawValueOf(form, 'password') });
    token = response?.auth?.client_token ?? '';
  }
  // The lookup proves the token works before the UI keeps it.
  const self = await request<{ display_name?: string }>('GET', 'auth/token/lookup-self', undefined, token);
  session.signIn(token, self?.data.display_name ?? '');
}
