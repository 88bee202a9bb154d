/**
 * The UI's entry point. It checks the seal status first: an uninitialized
 * server gets the initialization view, a sealed one the unseal view, and a
 * tab without a token the sign-in view. Otherwise the hash route picks the
 * view.
 */
import { setSessionExpiredHandler } from './api.js';
import { h, replace } from './dom.js';
import { mountFrame } from './layout.js';
import { currentPath, go, match, takeNotice, type Route } from './router.js';
import { session } from './session.js';
import { renderConsole } from './views/console.js';
import { hiddenValue, renderKvEdit, renderKvList, renderKvShow } from './views/kv.js';
import { renderKvVersion, renderKvVersions } from './views/kv-versions.js';
import { renderLogin } from './views/login.js';
import { renderAuthMethods, renderSecretsEngines } from './views/mounts.js';
import { renderPolicies, renderPolicy, renderPolicyEdit } from './views/policies.js';
import { readSealStatus, renderInit, renderUnseal } from './views/seal.js';
import { renderStatus, renderTools } from './views/tools.js';
import { renderTransitKey, renderTransitKeys } from './views/transit.js';
import { renderUserpassUsers } from './views/userpass.js';

const root = document.getElementById('app');
if (root === null) throw new Error('the page has no #app element');
const page = mountFrame(root, signOut);

const routes: Route[] = [
  { pattern: '/secrets', render: () => renderSecretsEngines(page) },
  { pattern: '/secrets/:mount/list/*path', render: (params) => renderKvList(page, params) },
  { pattern: '/secrets/:mount/show/*path', render: (params) => renderKvShow(page, params) },
  { pattern: '/secrets/:mount/edit/*path', render: (params) => renderKvEdit(page, params, false) },
  { pattern: '/secrets/:mount/create/*path', render: (params) => renderKvEdit(page, params, true) },
  { pattern: '/secrets/:mount/versions/*path', render: (params) => renderKvVersions(page, params) },
  { pattern: '/secrets/:mount/version/:version/*path', render: (params) => renderKvVersion(page, params, hiddenValue) },
  { pattern: '/transit/:mount', render: (params) => renderTransitKeys(page, params) },
  { pattern: '/transit/:mount/key/:name', render: (params) => renderTransitKey(page, params) },
  { pattern: '/access', render: () => renderAuthMethods(page) },
  { pattern: '/access/userpass/:mount', render: (params) => renderUserpassUsers(page, params) },
  { pattern: '/policies', render: () => renderPolicies(page) },
  { pattern: '/policies-new', render: () => renderPolicyEdit(page, {}) },
  { pattern: '/policies/:name', render: (params) => renderPolicy(page, params) },
  { pattern: '/policies/:name/edit', render: (params) => renderPolicyEdit(page, params) },
  { pattern: '/tools', render: () => renderTools(page) },
  { pattern: '/console', render: () => renderConsole(page) },
  { pattern: '/status', render: () => renderStatus(page) },
];

function signOut(): void {
  session.signOut();
  go('/login', 'Signed out.');
}

setSessionExpiredHandler(() => {
  session.signOut();
  go('/login', 'Your session ended. Sign in again.');
});

/** Draws the view for the current state of the server and the route. */
async function render(): Promise<void> {
  page.clearBanner();
  const notice = takeNotice();
  if (notice !== undefined) page.notify(notice);
  replace(page.main, h('p', { class: 'loading' }, 'Loading…'));

  const status = await readSealStatus();
  if (!status.initialized) {
    page.setNavigation(false);
    renderInit(page, () => go('/'));
    return;
  }
  if (status.sealed) {
    page.setNavigation(false);
    renderUnseal(page, status, () => go('/', 'Coffer is unsealed.'));
    return;
  }
  if (session.token() === null) {
    page.setNavigation(false);
    // After sign-in, show the page the user asked for, such as a link to a secret.
    const requested = currentPath();
    renderLogin(page, () => go(requested === '/' || requested === '/login' ? '/secrets' : requested));
    return;
  }

  page.setNavigation(true);
  const path = currentPath();
  if (path === '/' || path === '/login') {
    go('/secrets');
    return;
  }
  for (const route of routes) {
    const params = match(route.pattern, path);
    if (params !== null) {
      await route.render(params);
      return;
    }
  }
  replace(page.main, h('h1', null, 'Not found'), h('p', null, `The UI has no page at ${path}.`));
}

function renderSafely(): void {
  render().catch((err: unknown) => {
    replace(page.main);
    page.fail(err);
  });
}

window.addEventListener('hashchange', renderSafely);
renderSafely();
