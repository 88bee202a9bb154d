/**
 * The code digest of a certified plugin: one SHA-256 over the plugin's code
 * files, so two certifications of the same code can be matched even though
 * each run writes a launcher of its own. The entry file alone is not
 * enough, because a template's entry only imports the modules that contain
 * the plugin's code.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/** Runtimes that integration.hcl names, as the digest needs them. */
export type CodeRuntime = 'node' | 'python3';

/** Lists the files under `dir` for the digest, as paths relative to `root` that start with `./`. */
async function listCodeFiles(root: string, dir: string, recursive: boolean, include: (name: string) => boolean): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && recursive) files.push(...(await listCodeFiles(root, path, recursive, include)));
    else if (entry.isFile() && include(entry.name)) files.push(`./${relative(root, path)}`);
  }
  return files;
}

/**
 * Computes the code digest of the plugin whose entry is `entryFile`. For
 * `node` it covers every file in the entry's folder and below (`dist/` for
 * the templates). For `python3` it covers the `.py` files beside the entry,
 * not those in subfolders, so generated protocol modules in `stubs/` stay
 * out. NOTE: a Python plugin's own modules in subfolders are not covered.
 * The digest is the SHA-256 of `sha256sum` output for those files,
 * sorted by path in byte order, which the shell reproduces from the entry's
 * folder:
 *
 *     find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum                 # node
 *     find . -maxdepth 1 -type f -name '*.py' | LC_ALL=C sort | xargs sha256sum | sha256sum   # python3
 */
export async function codeDigest(entryFile: string, runtime: CodeRuntime): Promise<string> {
  const root = dirname(entryFile);
  const files = runtime === 'node' ? await listCodeFiles(root, root, true, () => true) : await listCodeFiles(root, root, false, (name) => name.endsWith('.py'));
  // sort(1) under LC_ALL=C compares bytes, and so does comparing UTF-8 buffers.
  files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const digest = createHash('sha256');
  for (const file of files) {
    const fileHash = createHash('sha256').update(await readFile(join(root, file))).digest('hex');
    digest.update(`${fileHash}  ${file}\n`);
  }
  return digest.digest('hex');
}
