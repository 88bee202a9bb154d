/**
 * Plugin binaries: where a catalog command may live, and the copy of the
 * verified bytes that is actually executed.
 *
 * Hashing a file and then executing it by path leaves a window in which the
 * file can be swapped (a time-of-check to time-of-use race). Coffer closes it
 * by streaming the binary once, hashing exactly the bytes it writes into a
 * private folder (mode 0700, owned by the server), and executing that copy
 * only when the hash matches. A user with write access to the plugin
 * directory can still replace the binary before the copy is made, and the
 * catalog hash guards against that.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { realpath, stat, unlink } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

/** A check of a catalog command that failed; the message names the command and the fix. */
export class PluginCommandError extends Error {}

/**
 * Resolves `command` inside `directory`, following symbolic links, and
 * checks that the result is a regular file that stays inside the directory.
 * @throws PluginCommandError when the command is absolute, escapes the
 *   directory, does not exist or is not a regular file.
 */
export async function resolvePluginCommand(directory: string, command: string): Promise<string> {
  if (command === '') throw new PluginCommandError('missing required field "command"');
  if (isAbsolute(command)) {
    throw new PluginCommandError(`invalid "command" "${command}": give a path relative to the plugin directory, not an absolute path`);
  }
  let realDirectory: string;
  try {
    realDirectory = await realpath(directory);
  } catch (err) {
    throw new PluginCommandError(`the plugin directory "${directory}" cannot be read: ${(err as Error).message}`);
  }
  let resolved: string;
  try {
    resolved = await realpath(join(realDirectory, command));
  } catch {
    throw new PluginCommandError(`invalid "command" "${command}": no such file in the plugin directory "${directory}"`);
  }
  const inside = relative(realDirectory, resolved);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new PluginCommandError(`invalid "command" "${command}": it resolves to "${resolved}", outside the plugin directory "${directory}"`);
  }
  const info = await stat(resolved);
  if (!info.isFile()) throw new PluginCommandError(`invalid "command" "${command}": "${resolved}" is not a regular file`);
  return resolved;
}

/** Returns the SHA-256 of the file at `path`, in lowercase hex, reading it as a stream. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** The SHA-256 of a catalog entry did not match the binary; nothing was executed. */
export class ChecksumMismatchError extends Error {}

/**
 * Copies `source` into `destinationDirectory` while hashing the copied bytes,
 * and returns the path of the copy when their SHA-256 equals `expectedSha256`
 * (lowercase hex). The copy is executable by its owner only.
 * @throws ChecksumMismatchError when the hashes differ; the copy is deleted.
 */
export async function copyVerifiedBinary(source: string, expectedSha256: string, destinationDirectory: string): Promise<string> {
  const destination = join(destinationDirectory, basename(source));
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(createReadStream(source), hashing, createWriteStream(destination, { flags: 'wx', mode: 0o700 }));

  const actual = hash.digest('hex');
  if (actual !== expectedSha256) {
    await unlink(destination);
    throw new ChecksumMismatchError(`the SHA-256 of the binary is ${actual}, but the catalog expects ${expectedSha256}`);
  }
  return destination;
}
