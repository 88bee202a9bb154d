/**
 * Checks of secret paths before they become storage keys.
 */
import { badRequest } from '@coffer/sdk';

/**
 * The maximum length of one secret path segment, in UTF-8 bytes: 255, the
 * file name limit of ext4 and XFS. The engine checks it itself, so the limit
 * does not change with the storage backend.
 *
 * NOTE: the file backend escapes upper-case letters, `_` and non-ASCII bytes
 * to three bytes each and allows 254 escaped bytes, so it rejects some
 * shorter segments as well, with its own 400.
 */
export const MAX_SEGMENT_BYTES = 255;

/**
 * The maximum number of segments in a secret path. It bounds the folders
 * that a backend with one folder per segment, such as the file backend,
 * makes for one write.
 */
export const MAX_PATH_SEGMENTS = 100;

/** The maximum number of characters of a rejected path that a message quotes. */
const QUOTED_PATH_LENGTH = 100;

/**
 * Throws a 400 unless `path` can name a secret: non-empty, no leading or
 * trailing `/`, no empty, `.` or `..` segment, no NUL character, at most
 * {@link MAX_PATH_SEGMENTS} segments and none longer than
 * {@link MAX_SEGMENT_BYTES}. Storage backends reject such keys, and a `..`
 * segment could otherwise reach outside the engine's own prefix.
 */
export function checkSecretPath(path: string): void {
  if (path === '') {
    throw badRequest('missing path: add the secret\'s name after the mount, as in "secret/data/my-app"');
  }
  const problem = pathProblem(path);
  if (problem !== null) throw badRequest(`invalid path ${quotePath(path)}: ${problem}`);
}

/**
 * Throws a 400 unless `prefix` is a folder that can be listed: empty for the
 * root, or a valid path followed by `/`.
 */
export function checkListPrefix(prefix: string): void {
  if (prefix === '') return;
  const problem = pathProblem(prefix.slice(0, -1));
  if (!prefix.endsWith('/') || problem !== null) {
    throw badRequest(`invalid folder ${quotePath(prefix)}: ${problem ?? 'a folder to list must end with "/"'}`);
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

  const segments = path.split('/');
  if (segments.length > MAX_PATH_SEGMENTS) {
    return `it has ${segments.length} segments, more than the maximum of ${MAX_PATH_SEGMENTS}: use fewer "/"-separated segments`;
  }
  for (const [index, segment] of segments.entries()) {
    if (segment === '') return 'remove the empty segment between two "/"';
    if (segment === '.' || segment === '..') return `remove the "${segment}" segment`;
    const bytes = Buffer.byteLength(segment, 'utf8');
    if (bytes > MAX_SEGMENT_BYTES) {
      return `segment ${index + 1} is ${bytes} bytes long, more than the maximum of ${MAX_SEGMENT_BYTES} bytes: shorten it`;
    }
  }
  return null;
}

/** Quotes `path` for a message, cut to its first characters when it is long. */
function quotePath(path: string): string {
  if (path.length <= QUOTED_PATH_LENGTH) return `"${path}"`;
  return `"${path.slice(0, QUOTED_PATH_LENGTH)}..." (${path.length} characters)`;
}
