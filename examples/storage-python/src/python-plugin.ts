/**
 * Test set-up for plugin.py: generates the Python gRPC stubs from
 * packages/sdk/proto and writes a launcher into a plugin directory. Needs
 * /usr/bin/python3 with Debian's python3-grpcio, python3-grpc-tools and
 * python3-cryptography.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
export const PLUGIN_SCRIPT = fileURLToPath(new URL('../plugin.py', import.meta.url));
const PROTO_DIRECTORY = fileURLToPath(new URL('../../../packages/sdk/proto/', import.meta.url));
const PROTO_FILES = ['go_plugin.proto', 'grpc_health_v1.proto', 'coffer_storage.proto'];

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** Compiles the .proto files the plugin uses into Python modules in `outDirectory`. */
function generateStubs(outDirectory: string): void {
  const includes = spawnSync(PYTHON, ['-c', 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))'], {
    encoding: 'utf8',
  });
  assert.equal(includes.status, 0, `python3-grpc-tools is missing (apt-get install python3-grpcio python3-grpc-tools): ${includes.stderr}`);
  const compiled = spawnSync(
    PYTHON,
    ['-m', 'grpc_tools.protoc', `-I${PROTO_DIRECTORY}`, `-I${includes.stdout.trim()}`, `--python_out=${outDirectory}`, `--grpc_python_out=${outDirectory}`, ...PROTO_FILES],
    { cwd: PROTO_DIRECTORY, encoding: 'utf8' },
  );
  assert.equal(compiled.status, 0, `protoc failed: ${compiled.stderr}`);
}

export interface InstalledPlugin {
  /** The scratch folder holding the stubs and the plugin directory; remove it when done. */
  workDirectory: string;
  pluginDirectory: string;
  /** The launcher's file name in the plugin directory. */
  command: string;
  /** SHA-256 of the launcher, for `plugin_sha256`. */
  sha256: string;
  /** The file each launch appends its PID to. */
  pidFile: string;
}

/**
 * Generates the stubs and writes a launcher named `command` that appends
 * its PID to a file and runs plugin.py with the stubs on PYTHONPATH. Coffer
 * hashes the launcher only, not plugin.py or the stubs.
 */
export async function installPythonPlugin(command: string): Promise<InstalledPlugin> {
  const workDirectory = await mkdtemp(join(tmpdir(), 'coffer-sqlite-py-'));
  const stubDirectory = join(workDirectory, 'stubs');
  const pluginDirectory = join(workDirectory, 'plugins');
  await mkdir(stubDirectory);
  await mkdir(pluginDirectory);
  generateStubs(stubDirectory);

  const pidFile = join(workDirectory, 'plugin.pid');
  const launcher = join(pluginDirectory, command);
  await writeFile(
    launcher,
    `#!/bin/sh\necho $$ >> ${shellQuote(pidFile)}\nPYTHONPATH=${shellQuote(stubDirectory)} exec ${PYTHON} ${shellQuote(PLUGIN_SCRIPT)}\n`,
  );
  await chmod(launcher, 0o755);
  const sha256 = createHash('sha256').update(await readFile(launcher)).digest('hex');
  return { workDirectory, pluginDirectory, command, sha256, pidFile };
}
