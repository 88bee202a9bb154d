/**
 * Generates the Python modules of the plugin protocol from the SDK's .proto
 * files, with the protoc that Debian's python3-grpc-tools bundles.
 */
import { spawnSync } from 'node:child_process';
import { PROTO_DIRECTORY } from '@coffer/sdk';

/** Interpreter that Coffer starts the plugin with, named by absolute path because the plugin's environment is empty. */
export const PYTHON = '/usr/bin/python3';

/** Protocol files whose generated modules plugin.py imports. */
const PROTO_FILES = ['go_plugin.proto', 'grpc_health_v1.proto', 'vault_backend.proto', 'vault_logical.proto', 'vault_multiplexing.proto'];

/** Compiles the protocol's .proto files into Python modules in `outDirectory`. @throws Error naming the missing package or protoc's output. */
export function generateStubs(outDirectory: string): void {
  const include = spawnSync(PYTHON, ['-c', 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))'], { encoding: 'utf8' });
  if (include.status !== 0) throw new Error(`python3-grpc-tools is missing, so install it with apt-get: ${include.stderr}`);
  const compiled = spawnSync(
    PYTHON,
    ['-m', 'grpc_tools.protoc', `-I${PROTO_DIRECTORY}`, `-I${include.stdout.trim()}`, `--python_out=${outDirectory}`, `--grpc_python_out=${outDirectory}`, ...PROTO_FILES],
    { cwd: PROTO_DIRECTORY, encoding: 'utf8' },
  );
  if (compiled.status !== 0) throw new Error(`protoc failed: ${compiled.stderr}`);
}
