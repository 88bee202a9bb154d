/**
 * The `sys/leases` endpoints, with Vault's older aliases `sys/renew`,
 * `sys/revoke`, `sys/revoke-prefix` and `sys/revoke-force`. Paths are
 * relative to `sys/`. Listing, the irrevocable lease list, revoke-prefix and
 * revoke-force need sudo in Vault, and {@link LEASE_SUDO_PATHS} lists them.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition, type Request, type Response } from '@coffer/sdk';
import type { ExpirationManager } from './expiration-manager.js';

/** The lease paths that need sudo, as `SpecialPaths.root` patterns relative to `sys/`. */
export const LEASE_SUDO_PATHS = ['leases', 'leases/', 'leases/lookup/*', 'leases/revoke-prefix/*', 'leases/revoke-force/*', 'revoke-prefix/*', 'revoke-force/*'];

/** Vault's cap on `sys/leases?type=irrevocable` when no limit is given. */
const DEFAULT_IRREVOCABLE_LIMIT = 10000;

const leaseIdFields = {
  lease_id: { type: 'string', description: 'The lease ID. Set in the body, or append it to the path; the body wins when both are set.' },
  url_lease_id: { type: 'string', description: 'The lease ID, from the path.' },
} as const;

const irrevocableFields = {
  type: { type: 'lowercase_string', description: 'The kind of lease; only "irrevocable" is supported.', required: true },
  include_child_namespaces: { type: 'bool', description: 'Accepted for compatibility; Coffer has no namespaces.' },
} as const;

export function leasePaths(manager: ExpirationManager): PathDefinition<FieldMap>[] {
  return [...lookupPaths(manager), ...renewPaths(manager), ...revokePaths(manager), ...adminPaths(manager)];
}

function lookupPaths(manager: ExpirationManager): PathDefinition<FieldMap>[] {
  const listLeases = async (prefix: string): Promise<Response | null> => {
    const keys = await manager.list(prefix);
    // Vault returns 404 for an empty listing.
    return keys.length === 0 ? null : { data: { keys } };
  };

  return [
    definePath({
      pattern: 'leases/lookup/?',
      fields: { lease_id: { type: 'string', description: 'The ID of the lease to look up.' } },
      operations: {
        async update(_request, fields) {
          const leaseId = fields.get('lease_id');
          if (leaseId === '') throw badRequest('missing required field "lease_id": set it to the ID of the lease to look up');
          const lease = await manager.lookup(leaseId);
          if (lease === null) throw badRequest('invalid lease');
          return { data: { ...lease } };
        },
        async list() {
          return listLeases('');
        },
      },
      helpSynopsis: 'Look up a lease, or list the top level of lease IDs.',
      helpDescription: 'A write with "lease_id" returns the lease\'s issue time, expiry time, last renewal, TTL and whether it is renewable. A LIST returns the first segment of every lease ID.',
    }),
    definePath({
      pattern: 'leases/lookup/(?<prefix>.+)',
      fields: { prefix: { type: 'string', description: 'The lease ID prefix to list, e.g. "db/creds/".' } },
      operations: {
        async list(_request, fields) {
          return listLeases(fields.get('prefix'));
        },
      },
      helpSynopsis: 'List lease IDs under a prefix.',
      helpDescription: 'Returns the lease IDs and sub-folders directly under the prefix, folders with a trailing "/".',
    }),
  ];
}

function renewPaths(manager: ExpirationManager): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: '(?:leases/)?renew(?:/(?<url_lease_id>.+))?',
      fields: { ...leaseIdFields, increment: { type: 'duration', description: 'Seconds, or a duration such as "1h", to extend the lease by; the backend and the max TTL may grant less.' } },
      operations: {
        async update(_request, fields) {
          const leaseId = requireLeaseId(fields.get('lease_id'), fields.get('url_lease_id'), 'renew');
          const renewed = await manager.renew(leaseId, fields.get('increment'));
          const response: Response = {
            data: renewed.data ?? null,
            // `passthrough` keeps the pipeline from registering a second lease;
            // `leaseId` names the lease this response reports on.
            secret: { ttl: renewed.ttl, maxTtl: 0, renewable: renewed.renewable, internalData: {}, passthrough: true, leaseId: renewed.leaseId },
          };
          if (renewed.warnings.length > 0) response.warnings = renewed.warnings;
          return response;
        },
      },
      helpSynopsis: 'Renew a lease.',
      helpDescription: 'Asks the lease\'s backend to extend it by "increment" seconds. Token leases are renewed through auth/token/renew instead.',
    }),
  ];
}

function revokePaths(manager: ExpirationManager): PathDefinition<FieldMap>[] {
  const sync = { type: 'bool', description: 'Revoke before responding (the default); false queues the revocation and responds with 202.', default: true } as const;
  return [
    definePath({
      pattern: '(?:leases/)?revoke-prefix/(?<prefix>.+)',
      fields: { prefix: { type: 'string', description: 'The lease ID prefix to revoke, e.g. "db/creds/".' }, sync },
      operations: {
        async update(_request, fields) {
          await manager.revokePrefix(fields.get('prefix'), false, fields.get('sync'));
          return fields.get('sync') ? null : accepted();
        },
      },
      helpSynopsis: 'Revoke every lease under a prefix.',
      helpDescription: 'Revokes all secrets, and tokens by their path, whose lease IDs start with the prefix. A failure stops the run and names the lease.',
    }),
    definePath({
      pattern: '(?:leases/)?revoke-force/(?<prefix>.+)',
      fields: { prefix: { type: 'string', description: 'The lease ID prefix to revoke, e.g. "db/creds/".' } },
      operations: {
        async update(_request, fields) {
          await manager.revokePrefix(fields.get('prefix'), true, true);
          return null;
        },
      },
      helpSynopsis: 'Delete every lease under a prefix, even when its backend fails to revoke it.',
      helpDescription: 'For recovery when a backend can no longer revoke its secrets: each lease is deleted whatever the backend answers, so secrets it failed to revoke stay valid outside Coffer.',
    }),
    definePath({
      pattern: '(?:leases/)?revoke(?:/(?<url_lease_id>.+))?',
      fields: { ...leaseIdFields, sync },
      operations: {
        async update(_request, fields) {
          const leaseId = requireLeaseId(fields.get('lease_id'), fields.get('url_lease_id'), 'revoke');
          if (fields.get('sync')) {
            await manager.revoke(leaseId);
            return null;
          }
          await manager.revokeLater(leaseId);
          return accepted();
        },
      },
      helpSynopsis: 'Revoke a lease.',
      helpDescription: 'Asks the lease\'s backend to revoke the secret, then deletes the lease. Revoking an unknown lease succeeds and changes nothing.',
    }),
  ];
}

function adminPaths(manager: ExpirationManager): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'leases/tidy',
      fields: {},
      operations: {
        async update(request) {
          // The tidy logs its own errors and report; the client only learns that it started.
          manager.tidy().catch(() => undefined);
          return tidyStarted(request);
        },
      },
      helpSynopsis: 'Clean up dangling lease storage entries.',
      helpDescription: 'Starts a background scan that deletes index entries naming no lease and leases of paths no mount serves. Results go to the server log.',
    }),
    definePath({
      pattern: 'leases/count',
      fields: irrevocableFields,
      operations: {
        async read(_request, fields) {
          requireIrrevocable(fields.get('type'));
          return { data: { ...manager.irrevocableCounts() } };
        },
      },
      helpSynopsis: 'Count irrevocable leases.',
      helpDescription: 'Returns the number of irrevocable leases, in total and per mount accessor.',
    }),
    definePath({
      pattern: 'leases/?',
      fields: { ...irrevocableFields, limit: { type: 'string', description: 'The maximum number of leases to return, or "none" for all; 10000 when unset.' } },
      operations: {
        async read(_request, fields) {
          requireIrrevocable(fields.get('type'));
          const limit = parseLimit(fields.get('limit'));
          const { leases, total } = manager.irrevocableLeases(limit);
          const response: Response = { data: { lease_count: leases.length, leases } };
          if (leases.length < total) {
            response.warnings = [`listed ${leases.length} of ${total} irrevocable leases; set "limit" to "none" to list them all`];
          }
          return response;
        },
      },
      helpSynopsis: 'List irrevocable leases.',
      helpDescription: 'Returns irrevocable leases, earliest expiry first, with their mount accessor and the error that made them irrevocable.',
    }),
  ];
}

/** Returns the lease ID from the body, else from the path, as Vault prefers the body. */
function requireLeaseId(fromBody: string, fromPath: string, action: string): string {
  const leaseId = fromBody !== '' ? fromBody : fromPath;
  if (leaseId === '') {
    throw badRequest(`missing required field "lease_id": set it in the body or append the lease ID to the path, e.g. sys/leases/${action}/<lease id>`);
  }
  return leaseId;
}

function requireIrrevocable(type: string): void {
  if (type !== 'irrevocable') throw badRequest(`invalid field "type" ${JSON.stringify(type)}: only "irrevocable" is supported`);
}

/** @returns The limit, or undefined for "none". */
function parseLimit(raw: string): number | undefined {
  const text = raw.trim().toLowerCase();
  if (text === '') return DEFAULT_IRREVOCABLE_LIMIT;
  if (text === 'none') return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw badRequest(`invalid field "limit" ${JSON.stringify(raw)}: use a positive integer or "none"`);
  }
  return Number(text);
}

/** Returns 202 with an empty body, as Vault responds to a queued revocation. */
function accepted(): Response {
  return { raw: { status: 202, contentType: 'application/json', body: '' } };
}

/** Returns 202 with Vault's envelope and a warning that the tidy runs in the background. */
function tidyStarted(request: Request): Response {
  const body = {
    request_id: request.id,
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: null,
    warnings: ['Tidy operation successfully started. Its results are written to the server log.'],
    auth: null,
  };
  return { raw: { status: 202, contentType: 'application/json', body: JSON.stringify(body) } };
}
