// Path helpers that behave like the ones Vault's CLI applies to its arguments.
import { posix } from 'node:path';

/** Trims white space and removes leading and trailing slashes. */
export function sanitizePath(path: string): string {
  return path.trim().replace(/^\/+/, '').replace(/\/+$/, '');
}

/** Adds a trailing slash to a non-empty path that has none. */
export function ensureTrailingSlash(path: string): string {
  const trimmed = path.trim();
  if (trimmed === '' || trimmed.endsWith('/')) return trimmed;
  return `${trimmed}/`;
}

/** Joins and cleans path segments as Go's `path.Join` does, so the result has no trailing slash. */
export function joinPath(...segments: string[]): string {
  const nonEmpty = segments.filter((segment) => segment !== '');
  if (nonEmpty.length === 0) return '';
  const joined = posix.normalize(nonEmpty.join('/'));
  return joined.length > 1 ? joined.replace(/\/+$/, '') : joined;
}
