/**
 * sys/config/cors: reads, sets and removes the CORS configuration, with
 * Vault's fields. Every operation needs sudo, as in Vault.
 */
import { definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { parseHeaders, parseOrigins, type CorsSettings } from '../http/cors.js';

const fields = {
  allowed_origins: {
    type: 'comma_string_slice',
    description: 'Origins that may make cross-origin requests: "*" for any, or a list such as "https://app.example.com".',
  },
  allowed_headers: {
    type: 'comma_string_slice',
    description: 'Request headers that cross-origin requests may carry, added to the standard ones.',
  },
} as const;

export function corsPaths(cors: CorsSettings): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'config/cors',
      fields,
      operations: {
        async read() {
          const config = cors.config;
          return { data: { enabled: config.enabled, allowed_origins: config.allowedOrigins, allowed_headers: config.allowedHeaders } };
        },
        async update(_request, fields) {
          const origins = parseOrigins(fields.raw.allowed_origins === undefined ? undefined : fields.get('allowed_origins'));
          const headers = parseHeaders(fields.get('allowed_headers'));
          await cors.enable(origins, headers);
          return null;
        },
        async delete() {
          await cors.disable();
          return null;
        },
      },
      helpSynopsis: 'Configure which origins may make cross-origin requests.',
      helpDescription:
        'GET reads the configuration. POST turns CORS on with "allowed_origins" ("*" or a list of origins) and "allowed_headers" ' +
        '(added to the standard headers). DELETE turns it off. All of them need sudo.',
    }),
  ];
}
