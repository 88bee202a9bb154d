/**
 * sys/internal/specs/openapi: an OpenAPI 3 document of every path the
 * server serves, generated from the backends' path declarations.
 */
import { Backend, definePath, openApiPaths, type FieldMap, type LogicalBackend, type OpenApiDocument, type PathDefinition } from '@coffer/sdk';
import type { Core } from '../core.js';
import { rawJson } from '../http/envelope.js';
import { COFFER_VERSION } from '../version.js';

/** Builds the document; `ownBackends` are the server's backends by mount path. */
export function buildOpenApi(core: Core, ownBackends: () => Record<string, LogicalBackend>): OpenApiDocument {
  const schemas: Record<string, unknown> = {};
  const paths: OpenApiDocument['paths'] = {};
  const mounted: Record<string, LogicalBackend> = { ...ownBackends() };
  for (const route of core.router.all()) mounted[route.mount.path] = route.backend;

  for (const [mountPath, backend] of Object.entries(mounted).sort(([a], [b]) => a.localeCompare(b))) {
    // Out-of-process plugins describe themselves over their own protocol; only framework backends are listed here.
    if (!(backend instanceof Backend)) continue;
    Object.assign(paths, openApiPaths(mountPath, backend.pathDefinitions(), schemas));
  }
  return {
    openapi: '3.0.2',
    info: { title: 'Coffer API', description: 'HTTP API of Coffer, compatible with HashiCorp Vault\'s /v1 API.', version: COFFER_VERSION, license: { name: 'see the repository' } },
    paths,
    components: { schemas },
  };
}

export function openApiSpecPaths(core: Core, ownBackends: () => Record<string, LogicalBackend>): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'internal/specs/openapi',
      fields: { generic_mount_paths: { type: 'bool', description: 'Accepted for compatibility; mount paths are always the real ones.' } },
      operations: {
        async read() {
          return rawJson(buildOpenApi(core, ownBackends));
        },
      },
      helpSynopsis: 'Generate an OpenAPI 3 document of the API.',
      helpDescription: 'Describes every path of every mounted backend that declares its paths with the SDK framework.',
    }),
  ];
}
