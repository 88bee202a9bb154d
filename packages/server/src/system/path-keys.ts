/**
 * sys/rotate, sys/key-status and sys/seal.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { Core } from '../core.js';

function keyStatus(core: Core): Record<string, unknown> {
  const term = core.barrier.activeTerm();
  return { term: term.term, install_time: term.installTime, encryptions: term.encryptions };
}

export function keyPaths(core: Core): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'rotate',
      fields: {},
      operations: {
        async update() {
          const term = await core.barrier.rotate();
          core.logger.info({ term: term.term }, 'barrier key rotated');
          return null;
        },
      },
      helpSynopsis: 'Rotate the barrier encryption key.',
      helpDescription: 'Adds a new key term for new writes; entries written under older terms stay readable.',
    }),
    definePath({
      pattern: 'key-status',
      fields: {},
      operations: {
        async read() {
          return { data: keyStatus(core) };
        },
      },
      helpSynopsis: 'Report the active barrier key term.',
      helpDescription: 'Returns the term number, when it was installed and how many encryptions it made since unseal.',
    }),
    definePath({
      pattern: 'seal',
      fields: {},
      operations: {
        async update() {
          await core.sealServer({ fromRequest: true });
          return null;
        },
      },
      helpSynopsis: 'Seal the server.',
      helpDescription: 'Forgets the root key; the server answers 503 until it is unsealed again.',
    }),
  ];
}
