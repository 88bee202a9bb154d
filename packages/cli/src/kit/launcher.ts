/**
 * Launchers: the small executables the catalog pins by SHA-256. Coffer runs
 * catalog commands with an empty environment, so a launcher names its
 * interpreter by absolute path and execs the plugin's entry file.
 */
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Integration } from '@coffer/certify';
import { PROTO_DIRECTORY } from '@coffer/sdk';

/** Debian's interpreter, the one python3-grpcio is installed for. */
export const PYTHON = '/usr/bin/python3';

/** Protocol files that a Python plugin needs as generated modules. */
const PROTO_FILES = ['go_plugin.proto', 'grpc_health_v1.proto', 'vault_backend.proto', 'vault_logical.proto', 'vault_multiplexing.proto'];

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * Compiles the protocol's .proto files into Python modules in `outDirectory`
 * with the protoc that python3-grpc-tools bundles.
 * @throws Error naming the missing Debian packages or protoc's message.
 */
export function generatePythonStubs(outDirectory: string): void {
  const protoDirectory = PROTO_DIRECTORY;
  const include = spawnSync(PYTHON, ['-c', 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))'], { encoding: 'utf8' });
  if (include.status !== 0) throw new Error(`python3-grpc-tools is missing; install it with apt-get install python3-grpcio python3-grpc-tools: ${include.stderr.trim()}`);
  const compiled = spawnSync(
    PYTHON,
    ['-m', 'grpc_tools.protoc', `-I${protoDirectory}`, `-I${include.stdout.trim()}`, `--python_out=${outDirectory}`, `--grpc_python_out=${outDirectory}`, ...PROTO_FILES],
    { cwd: protoDirectory, encoding: 'utf8' },
  );
  if (compiled.status !== 0) throw new Error(`protoc failed: ${compiled.stderr.trim()}`);
}

/**
 * Writes the executable `command` into `pluginDirectory` that starts the
 * plugin of `project`: a shell launcher for `node` and `python3` plugins,
 * or a copy of the binary itself when `binary` is given.
 */
export async function installPlugin(pluginDirectory: string, command: string, project: string, integration: Integration, binary?: string): Promise<void> {
  const target = join(pluginDirectory, command);
  if (binary !== undefined) {
    await copyFile(binary, target);
    await chmod(target, 0o755);
    return;
  }
  const entry = resolve(project, integration.entry ?? '');
  let script: string;
  if (integration.runtime === 'python3') {
    const stubs = join(pluginDirectory, `${command}-stubs`);
    await mkdir(stubs, { recursive: true });
    generatePythonStubs(stubs);
    script = `#!/bin/sh\nPYTHONPATH=${shellQuote(stubs)} exec ${PYTHON} ${shellQuote(entry)}\n`;
  } else {
    script = `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(entry)}\n`;
  }
  await writeFile(target, script);
  await chmod(target, 0o755);
}
