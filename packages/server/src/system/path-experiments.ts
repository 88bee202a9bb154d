/**
 * sys/experiments: the experiments a node can enable and has enabled, as
 * Vault reports them. Coffer has no experiments, so both lists are empty.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';

export function experimentPaths(): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'experiments',
      fields: {},
      operations: {
        async read() {
          return { data: { enabled: [], available: [] } };
        },
      },
      helpSynopsis: 'List the experiments available and enabled on this node.',
      helpDescription: 'Returns "available" and "enabled", both empty: Coffer has no experimental features to enable.',
    }),
  ];
}
