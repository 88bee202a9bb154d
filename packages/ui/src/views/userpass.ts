/**
 * The users of a userpass mount: list them, create or update one with a
 * password and policies, and delete one.
 */
import { encodePath, list, remove, withWarnings, write } from '../api.js';
import { field, h, rawValueOf, replace, table, valueOf } from '../dom.js';
import type { Page } from '../layout.js';
import { go, type Params } from '../router.js';

export async function renderUserpassUsers(page: Page, params: Params): Promise<void> {
  const mount = params.mount;
  const base = `auth/${encodePath(mount.replace(/\/+$/, ''))}/users`;
  const usersRoute = `/access/userpass/${encodeURIComponent(mount)}`;
  const users = await list(base);

  const rows = users.map((user) => [
    user,
    h('button', { type: 'button', class: 'link', 'aria-label': `delete ${user}`, onclick: () => deleteUser(page, `${base}/${encodeURIComponent(user)}`, user, usersRoute) }, 'Delete'),
  ]);
  const form = h(
    'form',
    { class: 'inline', 'aria-label': 'save user' },
    field('Username', h('input', { name: 'username', required: true, autocomplete: 'off' })),
    field('Password', h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password' })),
    field('Policies', h('input', { name: 'policies' }), 'comma-separated'),
    h('button', { type: 'submit' }, 'Save user'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const username = valueOf(form, 'username');
    write(`${base}/${encodeURIComponent(username)}`, { password: rawValueOf(form, 'password'), token_policies: valueOf(form, 'policies') })
      .then((response) => go(usersRoute, withWarnings(`Saved user ${username}.`, response)))
      .catch((err: unknown) => page.fail(err));
  });
  replace(
    page.main,
    h('h1', null, `Users of auth/${mount}`),
    users.length === 0 ? h('p', { class: 'empty' }, 'No users yet.') : table(['Username', ''], rows, { 'aria-label': 'users' }),
    h('section', { class: 'card' }, h('h2', null, 'Create or update a user'), form),
  );
}

function deleteUser(page: Page, path: string, user: string, back: string): void {
  if (!confirm(`Delete the user ${user}?`)) return;
  remove(path)
    .then(() => go(back, `Deleted user ${user}.`))
    .catch((err: unknown) => page.fail(err));
}
