/**
 * How the file backend names things on disk. A key `a/b/c` lives in the
 * file `<root>/a/b/_c`: each segment is escaped, folders keep the escaped
 * name, and a key's file adds a leading `_`.
 *
 * The escape keeps `a-z`, `0-9`, `-` and (except first) `.` as they are and
 * writes every other UTF-8 byte as `%XX` with upper-case hex. So an escaped
 * name never starts with `_` or `.`, and the first character tells what a
 * name is: `_` a key, `.` a temporary file, anything else a folder. This
 * avoids the collision of Vault's layout, where folder `_x` and key `x`
 * both map to `_x`. Because upper-case letters and non-ASCII are escaped,
 * two keys also never meet on a case-insensitive or normalising file system.
 */

/** The maximum escaped segment length in bytes: a file name is at most 255 bytes, and a key's file adds `_`. */
export const MAX_ENCODED_SEGMENT = 254;

/**
 * The maximum number of segments in a key. Each segment but the last is a
 * folder that a put may make and fsync, so this bounds the work of one put.
 * KV secrets reach storage as `logical/<mount>/metadata/<path>`, at most
 * 103 segments, because the KV engine allows 100 in a path.
 */
export const MAX_KEY_SEGMENTS = 256;

/**
 * The maximum length in bytes of a path handed to the file system: PATH_MAX
 * less its terminating NUL. PATH_MAX is 4096 on Linux (`linux/limits.h`).
 * Elsewhere the backend assumes 1024, the PATH_MAX of macOS and FreeBSD.
 */
export const MAX_PATH_BYTES = process.platform === 'linux' ? 4095 : 1023;

/** Leading characters of a temporary file; no key or folder name starts with `.`. */
export const TEMP_PREFIX = '.tmp-';

/** Bytes of a temporary file's name: {@link TEMP_PREFIX} and 8 random bytes in hex. */
export const TEMP_NAME_LENGTH = TEMP_PREFIX.length + 16;

/** Marks a key's file; no folder name starts with `_`. */
export const KEY_MARK = '_';

const PLAIN = /^[a-z0-9-][a-z0-9.-]*$/;
const HEX = Array.from({ length: 256 }, (_, byte) => '%' + byte.toString(16).toUpperCase().padStart(2, '0'));

function isPlainByte(byte: number, position: number): boolean {
  return (
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || // -
    (byte === 0x2e && position > 0) // . except first
  );
}

/** Escapes one key segment into a file name (without the key mark). */
export function encodeSegment(segment: string): string {
  if (PLAIN.test(segment)) return segment;
  const bytes = Buffer.from(segment, 'utf8');
  let name = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    name += isPlainByte(byte, i) ? String.fromCharCode(byte) : HEX[byte];
  }
  return name;
}

/**
 * Turns a file name (without the key mark) back into its segment, or
 * returns `null` for a name that this layout never writes, such as a file
 * someone else left in the folder.
 */
export function decodeSegment(name: string): string | null {
  if (PLAIN.test(name)) return name;
  let segment: string;
  try {
    segment = decodeURIComponent(name);
  } catch {
    return null;
  }
  return encodeSegment(segment) === name ? segment : null;
}
