// The token file that `coffer login` writes and later commands read, the
// counterpart of Vault's ~/.vault-token.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Name of the token file in the home directory. */
export const tokenFileName = '.coffer-token';

/** Path of the token file: `$HOME/.coffer-token`, or the OS home directory when HOME is unset. */
export function tokenFilePath(env: Record<string, string | undefined>): string {
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
  return join(home, tokenFileName);
}

/** Reads the stored token, trimmed. Returns '' when there is no token file. */
export async function readStoredToken(env: Record<string, string | undefined>): Promise<string> {
  try {
    return (await readFile(tokenFilePath(env), 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** Writes the token file, readable and writable by its owner only. */
export async function storeToken(env: Record<string, string | undefined>, token: string): Promise<void> {
  const path = tokenFilePath(env);
  await writeFile(path, token, { mode: 0o600 });
  // writeFile keeps the mode of a file that already exists, so set it again.
  await chmod(path, 0o600);
}
