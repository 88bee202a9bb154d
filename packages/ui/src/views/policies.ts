/**
 * The ACL policy views: the list, one policy's text, and the form that
 * writes one. The `root` policy cannot be read or changed, and `default`
 * cannot be deleted, as the server enforces.
 */
import { list, read, remove, withWarnings, write } from '../api.js';
import { field, h, link, replace, table, valueOf } from '../dom.js';
import type { Page } from '../layout.js';
import { go, type Params } from '../router.js';

function policyPath(name: string): string {
  return `sys/policies/acl/${encodeURIComponent(name)}`;
}

function policyRoute(name: string, edit = false): string {
  return `/policies/${encodeURIComponent(name)}${edit ? '/edit' : ''}`;
}

export async function renderPolicies(page: Page): Promise<void> {
  const names = await list('sys/policies/acl');
  replace(
    page.main,
    h('h1', null, 'ACL policies'),
    h('p', null, link('/policies-new', 'Create policy')),
    table(['Name'], names.map((name) => [name === 'root' ? name : link(policyRoute(name), name)]), { 'aria-label': 'policies' }),
  );
}

export async function renderPolicy(page: Page, params: Params): Promise<void> {
  const response = await read<{ policy: string }>(policyPath(params.name));
  if (response === null) throw new Error(`no policy named "${params.name}"`);
  replace(
    page.main,
    h('h1', null, `Policy ${params.name}`),
    h('pre', { class: 'policy', 'aria-label': 'policy text' }, response.data.policy),
    h(
      'div',
      { class: 'actions' },
      link(policyRoute(params.name, true), 'Edit', { class: 'button' }),
      params.name === 'default' ? null : h('button', { type: 'button', class: 'danger', onclick: () => deletePolicy(page, params.name) }, 'Delete'),
    ),
  );
}

function deletePolicy(page: Page, name: string): void {
  if (!confirm(`Delete the policy ${name}?`)) return;
  remove(policyPath(name))
    .then(() => go('/policies', `Deleted policy ${name}.`))
    .catch((err: unknown) => page.fail(err));
}

/** Draws the policy form: for `params.name` when editing, empty when creating. */
export async function renderPolicyEdit(page: Page, params: Params): Promise<void> {
  const creating = params.name === undefined;
  const text = creating ? '' : ((await read<{ policy: string }>(policyPath(params.name)))?.data.policy ?? '');
  const policy = h('textarea', { name: 'policy', rows: 16, spellcheck: 'false', required: true });
  policy.value = text;
  const form = h(
    'form',
    { class: 'card', 'aria-label': creating ? 'create policy' : 'edit policy' },
    h('h1', null, creating ? 'Create an ACL policy' : `Edit policy ${params.name}`),
    creating ? field('Name', h('input', { name: 'name', required: true })) : null,
    field('Policy (HCL or JSON)', policy),
    h('button', { type: 'submit' }, 'Save'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = creating ? valueOf(form, 'name') : params.name;
    // The server stores policy names in lower case, as Vault does, and warns when it changes one.
    const saved = name.toLowerCase();
    write(policyPath(name), { policy: policy.value })
      .then((response) => go(policyRoute(saved), withWarnings(`Saved policy ${saved}.`, response)))
      .catch((err: unknown) => page.fail(err));
  });
  replace(page.main, form);
}
