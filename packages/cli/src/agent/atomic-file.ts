// Writes a file so that readers see the old contents or the new ones, never
// a part, and never with a wider mode than the one configured.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `contents` to `path` with `mode`: first to a temporary file in the
 * same folder, created with that mode, then renamed over `path`. The mode is
 * set again after creation because the process umask may have narrowed it.
 * Missing parent folders are created when `createFolders` is true.
 */
export async function writeFileAtomic(path: string, contents: string | Buffer, mode: number, createFolders = false): Promise<void> {
  const folder = dirname(path);
  if (createFolders) await mkdir(folder, { recursive: true, mode: 0o755 });
  const temporary = join(folder, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx' fails when the name exists, so a planted file or link is never written through.
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(contents);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
