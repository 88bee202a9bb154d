/**
 * Hash routes: `#/secrets/...`. Each route is a pattern of literal
 * segments and `:name` parameters, and a final `*rest` parameter takes the
 * remaining segments, slashes included.
 */

/** Route parameters, decoded. */
export type Params = Record<string, string>;

export interface Route {
  pattern: string;
  render(params: Params): Promise<void>;
}

/**
 * Returns the parameters of `path` for `pattern`, or null when it does not
 * match, which includes a path whose percent-encoding is invalid.
 */
export function match(pattern: string, path: string): Params | null {
  try {
    return matchEncoded(pattern, path);
  } catch (err) {
    if (err instanceof URIError) return null;
    throw err;
  }
}

function matchEncoded(pattern: string, path: string): Params | null {
  const patternParts = pattern.split('/').filter((part) => part !== '');
  const pathParts = path.split('/').filter((part) => part !== '');
  const params: Params = {};
  for (let index = 0; index < patternParts.length; index += 1) {
    const part = patternParts[index];
    if (part.startsWith('*')) {
      // The rest keeps a trailing slash, which marks a folder.
      const rest = pathParts.slice(index).map(decodeURIComponent).join('/');
      params[part.slice(1)] = rest + (path.endsWith('/') && rest !== '' ? '/' : '');
      return params;
    }
    if (index >= pathParts.length) return null;
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(pathParts[index]);
    else if (part !== pathParts[index]) return null;
  }
  return patternParts.length === pathParts.length ? params : null;
}

/** Returns the current route path, the part of the URL after `#`. */
export function currentPath(): string {
  const hash = location.hash.replace(/^#/, '');
  return hash === '' ? '/' : hash;
}

/** A message to show once the next view is drawn. */
let pendingNotice: string | undefined;

/** Returns and clears the message that {@link go} was given. */
export function takeNotice(): string | undefined {
  const notice = pendingNotice;
  pendingNotice = undefined;
  return notice;
}

/** Navigates to `path`, whose view then shows `notice`; the router's hashchange listener renders it. */
export function go(path: string, notice?: string): void {
  pendingNotice = notice;
  if (currentPath() === path) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = path;
}
