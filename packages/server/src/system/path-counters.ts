/**
 * sys/internal/counters/tokens and sys/internal/counters/entities: the
 * number of stored tokens and of identity entities, in the shape of Vault's
 * endpoints. Coffer has only the root namespace, so each total covers it.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { Core } from '../core.js';

export function counterPaths(core: Core): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'internal/counters/tokens',
      fields: {},
      operations: {
        async read() {
          // Batch tokens are never stored, so, as in Vault, only service tokens are counted.
          const total = (await core.tokens.listAccessors()).length;
          return { data: { counters: { service_tokens: { total } } } };
        },
      },
      helpSynopsis: 'Count the service tokens.',
      helpDescription: 'Returns counters.service_tokens.total: the number of stored service tokens, the root token included.',
    }),
    definePath({
      pattern: 'internal/counters/entities',
      fields: {},
      operations: {
        async read() {
          return { data: { counters: { entities: { total: core.identity.records.entities.size } } } };
        },
      },
      helpSynopsis: 'Count the identity entities.',
      helpDescription: 'Returns counters.entities.total: the number of identity entities.',
    }),
  ];
}
