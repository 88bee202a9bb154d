/** Loading `coffer server -config` files and directories. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { mergeFileConfigs } from './merge.js';
import { parseConfigFile } from './parse.js';
import { decodeFile, type FileConfig } from './schema.js';
import type { ServerConfig } from './types.js';

/**
 * Loads, checks and merges the server configuration, as `coffer server
 * -config PATH` (given once or more) does. Each path is a file or a
 * directory. A directory contributes its `*.hcl` and `*.json` files in
 * alphabetical order, skipping subdirectories and editor backup files (`x~`,
 * `.#x`, `#x#`), as Vault does, but unlike Vault a directory without any
 * config file is an error. Files merge in the order given, by Vault's
 * rules: listeners and seals add up, and a later file overrides an earlier
 * one's single settings.
 * @throws ConfigError naming the file, line, column and setting where they
 *   are known, for a missing or unreadable path, a syntax error, an unknown
 *   or ill-typed setting, or a combination the rules forbid.
 */
export async function loadConfig(paths: string[]): Promise<ServerConfig> {
  if (paths.length === 0) {
    throw new ConfigError('no config file given. Pass -config with a file or a directory.', { file: '' });
  }

  const files: string[] = [];
  for (const path of paths) files.push(...(await expandPath(path)));

  const decoded: FileConfig[] = [];
  for (const file of files) {
    const { source, body } = await parseConfigFile(file);
    decoded.push(decodeFile(source, body));
  }
  return mergeFileConfigs(decoded);
}

/** Returns the config files a -config path stands for. */
async function expandPath(path: string): Promise<string[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : `cannot read the path (${code ?? String(error)})`;
    throw new ConfigError(`${reason}. Check the -config path.`, { file: path });
  }
  if (!isDirectory) return [path];

  const entries = await readdir(path);
  const files: string[] = [];
  for (const name of entries.filter(isConfigFileName).sort()) {
    const file = join(path, name);
    if (!(await isDirectoryPath(file))) files.push(file);
  }
  if (files.length === 0) {
    throw new ConfigError('the directory has no .hcl or .json config files. Check the -config path.', { file: path });
  }
  return files;
}

/** Returns true for a directory, following symbolic links, and false for anything else or nothing. */
async function isDirectoryPath(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function isConfigFileName(name: string): boolean {
  const isBackup = name.endsWith('~') || name.startsWith('.#') || (name.startsWith('#') && name.endsWith('#'));
  return !isBackup && (name.endsWith('.hcl') || name.endsWith('.json'));
}
