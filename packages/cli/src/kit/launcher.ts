/**
 * Launchers: the small executables the catalog pins by SHA-256. Coffer runs
 * catalog commands with an empty environment, so a launcher names its
 * interpreter by absolute path and execs the plugin's entry file.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Integration } from '@coffer/certify';
import { PROTO_DIRECTORY } from '@coffer/sdk';

/** Debian's interpreter, the one python3-grpcio is installed for. */
export const PYTHON = '/usr/bin/python3';


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
  // Every kind's service is generated, because a storage, seal, audit or database plugin imports its own coffer_<kind> module.
  const protoFiles = readdirSync(protoDirectory).filter((file) => file.endsWith('.proto')).sort();
  const include = spawnSync(PYTHON, ['-c', 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))'], { encoding: 'utf8' });
  if (include.status !== 0) throw new Error(`python3-grpc-tools is missing; install it with apt-get install python3-grpcio python3-grpc-tools: ${include.stderr.trim()}`);
  const compiled = spawnSync(
    PYTHON,
    ['-m', 'grpc_tools.protoc', `-I${protoDirectory}`, `-I${include.stdout.trim()}`, `--python_out=${outDirectory}`, `--grpc_python_out=${outDirectory}`, ...protoFiles],
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
