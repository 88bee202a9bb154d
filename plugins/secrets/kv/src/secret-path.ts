/**
 * Checks of secret paths before they become storage keys.
 */
import { badRequest } from '@coffer/sdk';

/**
 * Throws a 400 unless `path` can name a secret: non-empty, no leading or
 * trailing `/`, no empty, `.` or `..` segment and no NUL character. Storage
 * backends reject such keys, and a `..` segment could otherwise reach
 * outside the engine's own prefix.
 */
export function checkSecretPath(path: string): void {
  if (path === '') {
    throw badRequest('missing path: add the secret\'s name after the mount, as in "secret/data/my-app"');
  }
  const problem = pathProblem(path);
  if (problem !== null) throw badRequest(`invalid path "${path}": ${problem}`);
}

/**
 * Throws a 400 unless `prefix` is a folder that can be listed: empty for the
 * root, or a valid path followed by `/`.
 */
export function checkListPrefix(prefix: string): void {
  if (prefix === '') return;
  const problem = pathProblem(prefix.slice(0, -1));
  if (!prefix.endsWith('/') || problem !== null) {
    throw badRequest(`invalid folder "${prefix}": ${problem ?? 'a folder to list must end with "/"'}`);
  }
}

/** Returns true when `path` names a secret that {@link checkSecretPath} accepts. */
export function isValidSecretPath(path: string): boolean {
  return path !== '' && pathProblem(path) === null;
}

/** Returns `prefix` with a trailing `/`, unless it is the empty root. */
export function asFolder(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

function pathProblem(path: string): string | null {
  if (path.includes('\0')) return 'remove the NUL character';
  if (path.startsWith('/')) return 'remove the leading "/"';
  if (path.endsWith('/')) return 'remove the trailing "/"';
  for (const segment of path.split('/')) {
    if (segment === '') return 'remove the empty segment between two "/"';
    if (segment === '.' || segment === '..') return `remove the "${segment}" segment`;
  }
  return null;
}
