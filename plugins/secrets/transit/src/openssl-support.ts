/**
 * Test helper: runs the `openssl` command on files in a temporary folder,
 * so Coffer's signatures and HMACs are checked by an independent
 * implementation. The folder is removed when the callback returns.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OpensslRun {
  /** Writes a file into the temporary folder and returns its path. */
  file(name: string, content: string | Buffer): Promise<string>;
  /** Runs openssl with the arguments and returns its exit code and output. */
  openssl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

export async function withOpenssl<T>(task: (tools: OpensslRun) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-transit-openssl-'));
  try {
    return await task({
      file: async (name, content) => {
        const path = join(dir, name);
        await writeFile(path, content);
        return path;
      },
      openssl: async (args) => {
        try {
          const { stdout, stderr } = await run('openssl', args, { cwd: dir });
          return { code: 0, stdout, stderr };
        } catch (err) {
          const failure = err as { code?: number; stdout?: string; stderr?: string };
          return { code: typeof failure.code === 'number' ? failure.code : -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
        }
      },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
