/** Helpers for the config tests: real files in a temporary directory, removed after each test. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { ConfigError } from './errors.js';
import { loadConfig } from './load.js';
import type { ServerConfig } from './types.js';

/** Writes `files` (name to contents) into a new temporary directory and returns its path. */
export async function makeConfigDir(t: TestContext, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  return dir;
}

/** Writes one config file named `name` and loads it. */
export async function loadText(t: TestContext, name: string, text: string): Promise<ServerConfig> {
  const dir = await makeConfigDir(t, { [name]: text });
  return loadConfig([join(dir, name)]);
}

/** Loads `paths` and returns the ConfigError it must reject with. */
export async function loadError(paths: string[]): Promise<ConfigError> {
  try {
    await loadConfig(paths);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail(`loading ${paths.join(', ')} succeeded, but an error was expected`);
}

/** Writes one config file named `name`, loads it, and returns the file's path and the ConfigError. */
export async function loadTextError(
  t: TestContext,
  name: string,
  text: string,
): Promise<{ file: string; error: ConfigError }> {
  const dir = await makeConfigDir(t, { [name]: text });
  const file = join(dir, name);
  return { file, error: await loadError([file]) };
}

/** A plain-HTTP listener stanza, for tests about other settings. */
export const PLAIN_LISTENER = `listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = true
}
`;
