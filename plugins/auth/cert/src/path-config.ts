/**
 * `config`: the method's settings for renewal binding and alias metadata.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { readConfig, writeConfig } from './config.js';
import type { CertContext } from './context.js';

const FIELDS = {
  disable_binding: {
    type: 'bool',
    description: 'Skip the check that a renewal presents the certificate the login used. Defaults to false.',
  },
  enable_identity_alias_metadata: {
    type: 'bool',
    description: "Set the login's certificate metadata on the entity alias as well as on the token. Defaults to false.",
  },
} as const;

export function pathConfig(context: CertContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'config',
    fields: FIELDS,
    operations: {
      update: async (request, fields) =>
        context.locks.run('config', async () => {
          const config = await readConfig(request.storage);
          config.disableBinding = fields.getIfSet('disable_binding') ?? config.disableBinding;
          config.enableIdentityAliasMetadata = fields.getIfSet('enable_identity_alias_metadata') ?? config.enableIdentityAliasMetadata;
          await writeConfig(request.storage, config);
          return null;
        }),
      read: async (request) => {
        const config = await readConfig(request.storage);
        return {
          data: {
            disable_binding: config.disableBinding,
            enable_identity_alias_metadata: config.enableIdentityAliasMetadata,
          },
        };
      },
    },
    helpSynopsis: 'Configure the TLS certificate auth method.',
    helpDescription: `
disable_binding turns off the check that a token renewal presents the same
client certificate (by subject and authority key ID) as the login.
enable_identity_alias_metadata copies the login metadata to the entity alias.`,
  });
}
