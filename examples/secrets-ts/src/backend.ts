/**
 * The notes backend: notes in the mount's storage, and leased share codes
 * that let others read one note.
 */
import { Backend } from '@coffer/sdk';
import { notePaths } from './path-notes.js';
import { sharePaths, shareSecret } from './path-shares.js';

/** Creates the backend of one mount. Each mount has its own storage, so its own notes. */
export function createBackend(): Backend {
  return new Backend({
    backendType: 'logical',
    help: 'Keeps short notes and issues leased share codes that let others read one note.',
    // No two patterns match the same path, so their order does not matter here.
    paths: [...notePaths, ...sharePaths],
    secrets: [shareSecret],
  });
}
