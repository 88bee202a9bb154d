/**
 * sys/config/auditing/request-headers: which request headers audit entries
 * record, with Vault's paths, response shapes and errors. Every operation
 * needs `sudo`, as in Vault (`config/auditing/*` is a root path of `sys/`).
 */
import { badRequest, definePath, parseGoBool, type FieldMap, type PathDefinition, type Response } from '@coffer/sdk';
import type { AuditedRequestHeaders } from './request-headers.js';

/**
 * The characters of an HTTP header name (RFC 9110's `token`). A name with
 * others can never match a request's header.
 */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Vault's error for a header that is not configured; clients such as Terraform's Vault provider match it. */
const NOT_FOUND = 'Could not find header in config';

const fields = {
  header: { type: 'string', description: 'Name of the request header, in any case, e.g. "X-Forwarded-For". Given in the path.' },
} as const;

/** The fields a write takes: the header from the path and `hmac` from the body. */
const WRITE_FIELDS = new Set(['header', 'hmac']);

/** Declares the `sys/` paths for audited request headers, for the system backend to serve. */
export function auditedHeaderPaths(headers: AuditedRequestHeaders): PathDefinition<FieldMap>[] {
  const listing = async (): Promise<Response> => ({ data: { headers: headers.all() } });
  return [
    definePath({
      pattern: 'config/auditing/request-headers(?:/(?<header>.*))?',
      fields,
      // `hmac` is parsed here rather than by the framework, which does not take all of Go's boolean spellings.
      takesArbitraryInput: true,
      operations: {
        async read(_request, fields) {
          const header = fields.get('header');
          if (header === '') return listing();
          const settings = headers.get(header);
          if (settings === undefined) throw badRequest(NOT_FOUND);
          // Keyed by the name as the client gave it, as in Vault.
          return { data: { [header]: settings } };
        },
        list: listing,
        async update(_request, fields) {
          const header = headerName(fields.get('header'));
          for (const name of Object.keys(fields.raw)) {
            if (!WRITE_FIELDS.has(name)) throw badRequest(`unknown field "${name}": the fields are "hmac" in the body and the header name in the path`);
          }
          await headers.set(header, hmacField(fields.raw.hmac));
          if (header.toLowerCase() !== 'x-vault-token') return null;
          return { warnings: ['X-Vault-Token carries the client token and is never recorded; the token is in every entry as client_token, HMACed'] };
        },
        async delete(_request, fields) {
          await headers.remove(headerName(fields.get('header')));
          return null;
        },
      },
      helpSynopsis: 'Configure the request headers that audit entries record.',
      helpDescription:
        'GET without a header name lists the configured headers, and with one reads its settings. ' +
        'POST adds or updates a header: "hmac" (boolean, default false) makes each device write its values as HMACs under its salt. ' +
        'DELETE stops recording a header. Header names are case-insensitive. All of them need sudo.',
    }),
  ];
}

/**
 * Checks the header name of a write.
 * @throws CofferError (400) naming the field and the problem.
 */
function headerName(name: string): string {
  if (name === '') throw badRequest('invalid field "header": the header name is empty. Give it in the path, as in sys/config/auditing/request-headers/X-Forwarded-For');
  if (!HEADER_NAME.test(name)) {
    throw badRequest(`invalid field "header": ${JSON.stringify(name)} is not an HTTP header name, which has only letters, digits and !#$%&'*+-.^_\`|~`);
  }
  return name;
}

/**
 * Reads `hmac`: a JSON boolean, a string in any of Go's spellings ("true",
 * "T", "1", "false", ...), or the number 0 or 1. Absent means false, as in Vault.
 * @throws CofferError (400) naming the field and the bad value.
 */
function hmacField(raw: unknown): boolean {
  if (raw === undefined || raw === null) return false;
  if (typeof raw === 'boolean') return raw;
  if (raw === 0 || raw === 1) return raw === 1;
  const parsed = typeof raw === 'string' ? parseGoBool(raw) : undefined;
  if (parsed !== undefined) return parsed;
  throw badRequest(`invalid field "hmac": expected a boolean (true or false), got ${describe(raw)}`);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}
