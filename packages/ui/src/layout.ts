/**
 * The page frame: the navigation bar, the message banner and the area each
 * view draws into.
 */
import { ApiError } from './api.js';
import { h, link, replace } from './dom.js';
import { session } from './session.js';

/** The area a view draws into, with its success and failure reports. */
export interface Page {
  /** The element the view owns; it is emptied before each view runs. */
  main: HTMLElement;
  /** Shows a message above the view until the next route change. */
  notify(message: string): void;
  /** Shows an error above the view: the server's messages for an ApiError. */
  fail(err: unknown): void;
}

const NAV_ITEMS: Array<[string, string]> = [
  ['/secrets', 'Secrets'],
  ['/access', 'Access'],
  ['/policies', 'Policies'],
  ['/tools', 'Tools'],
  ['/console', 'Console'],
  ['/status', 'Status'],
];

/** Builds the frame in `root` and returns the page views draw into. */
export function mountFrame(root: HTMLElement, signOut: () => void): Page & { setNavigation(visible: boolean): void; clearBanner(): void } {
  const nav = h('nav', { class: 'nav', 'aria-label': 'main' });
  const banner = h('div', { class: 'banner', role: 'status', 'aria-live': 'polite' });
  const main = h('main', { id: 'view' });
  replace(root, h('header', { class: 'top' }, h('a', { class: 'brand', href: '#/secrets' }, 'Coffer'), nav), banner, main);

  const show = (kind: 'info' | 'error', message: string): void => {
    replace(banner, h('p', { class: kind, 'data-kind': kind }, message));
  };

  return {
    main,
    notify: (message) => show('info', message),
    fail: (err) => show('error', describe(err)),
    clearBanner: () => replace(banner),
    setNavigation(visible) {
      if (!visible) {
        replace(nav);
        return;
      }
      const name = session.displayName();
      replace(
        nav,
        ...NAV_ITEMS.map(([route, label]) => link(route, label)),
        h('span', { class: 'who', title: 'signed in as' }, name === '' ? 'token' : name),
        h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'),
      );
    },
  };
}

/** Returns the text to show for a failure. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) {
    const reason = err.errors.length > 0 ? err.errors.join('; ') : statusText(err.status);
    return `Error ${err.status}: ${reason}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

function statusText(status: number): string {
  switch (status) {
    case 403:
      return 'permission denied';
    case 404:
      return 'not found';
    case 503:
      return 'the server is sealed or in standby';
    default:
      return 'request failed';
  }
}
