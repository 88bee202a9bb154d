/** The backend of one mount: its paths and the secret types it leases. */
import { Backend } from '@coffer/sdk';
import { itemPaths } from './path-items.js';
import { leasePaths, copySecret } from './path-leases.js';

export function createBackend(): Backend {
  return new Backend({
    backendType: 'logical',
    help: 'Stores named items and issues leased copies of them.',
    // No two patterns match the same path, so their order does not matter.
    paths: [...itemPaths, ...leasePaths],
    secrets: [copySecret],
  });
}
