/**
 * The `sys/` backends. The seal backend serves the endpoints that work
 * while sealed and without a token; the system backend serves the rest.
 */
import { Backend } from '@coffer/sdk';
import type { Core } from '../core.js';
import { keyPaths } from './path-keys.js';
import { mountPaths } from './path-mounts.js';
import { sealPaths } from './path-seal.js';
import { toolPaths } from './path-tools.js';

/** Paths below `sys/` that are served while sealed and without a token. */
export const SEAL_BACKEND_PATHS = new Set(['init', 'seal-status', 'unseal', 'health', 'leader', 'rekey/init', 'rekey/update']);

export function createSealBackend(core: Core, storageType: string): Backend {
  return new Backend({
    backendType: 'logical',
    help: 'Initialization, unseal, health and rekey endpoints.',
    paths: sealPaths(core, storageType),
  });
}

export function createSystemBackend(core: Core): Backend {
  return new Backend({
    backendType: 'logical',
    help: 'The system backend: mounts, keys, seal and tools.',
    paths: [...mountPaths(core), ...keyPaths(core), ...toolPaths()],
    specialPaths: { root: ['rotate', 'seal', 'remount', 'mounts/*'] },
  });
}
