/**
 * sys/audit and sys/audit-hash: listing, enabling and disabling audit
 * devices, and computing the HMAC a device writes for a value.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition, type Response } from '@coffer/sdk';
import type { AuditBroker } from './broker.js';
import type { AuditTableEntry } from './table.js';

/** Formats a table entry as Vault's sys/audit lists it. */
export function describeAuditDevice(entry: AuditTableEntry): Record<string, unknown> {
  return {
    description: entry.description,
    local: entry.local,
    options: entry.options,
    path: entry.path,
    type: entry.type,
  };
}

const enableFields = {
  path: { type: 'string', description: 'Path of the audit device, e.g. "file".', required: true },
  type: { type: 'string', description: 'The device type: "file", "socket" or "syslog".' },
  description: { type: 'string', description: 'User-friendly description of the device.' },
  options: { type: 'map', description: 'Device options as strings, e.g. {"file_path": "/var/log/coffer/audit.log"}.' },
  local: { type: 'bool', description: 'Keep the device on this cluster only.' },
} as const;

const hashFields = {
  path: { type: 'string', description: 'Path of the audit device.', required: true },
  input: { type: 'string', description: 'The value to hash, e.g. a secret to look for in the log.' },
} as const;

/** Declares the `sys/` paths for audit devices, for the system backend to serve. */
export function auditPaths(broker: AuditBroker): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'audit/?',
      fields: {},
      operations: {
        async read(request) {
          const listing: Record<string, unknown> = {};
          for (const entry of broker.list()) listing[entry.path] = describeAuditDevice(entry);
          return listingResponse(request.id, listing);
        },
      },
      helpSynopsis: 'List the enabled audit devices.',
      helpDescription: 'Returns every enabled audit device with its type, description and options.',
    }),
    definePath({
      pattern: 'audit/(?<path>.+)',
      fields: enableFields,
      // node-vault repeats the device path in the body as name.
      ignoresUnknownFields: true,
      operations: {
        async update(_request, fields) {
          const type = fields.get('type');
          if (type === '') throw badRequest('missing required field "type"');
          await broker.enable(fields.get('path'), type, {
            description: fields.get('description'),
            options: stringOptions(fields.get('options')),
            local: fields.get('local'),
          });
          return null;
        },
        async delete(_request, fields) {
          await broker.disable(fields.get('path'));
          return null;
        },
      },
      helpSynopsis: 'Enable or disable an audit device.',
      helpDescription: 'POST enables a device of the given type with its options; DELETE disables it. A disabled device keeps the entries it wrote.',
    }),
    definePath({
      pattern: 'audit-hash/(?<path>.+)',
      fields: hashFields,
      operations: {
        async update(_request, fields) {
          const input = fields.get('input');
          if (input === '') throw badRequest('the "input" parameter is empty');
          return { data: { hash: broker.hash(fields.get('path'), input) } };
        },
      },
      helpSynopsis: "Compute the HMAC an audit device writes for a value.",
      helpDescription: "Hashes the input with the device's salt, so an operator can search the device's log for a known value.",
    }),
  ];
}

/**
 * Converts the `options` map to strings, as Vault stores them. Numbers and
 * booleans are accepted because CLI clients and JSON bodies send both.
 * @throws CofferError (400) naming an option whose value is a list or an object.
 */
function stringOptions(raw: Record<string, unknown>): Record<string, string> {
  const options: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'object') throw badRequest(`invalid "options.${name}": expected a string`);
    options[name] = String(value);
  }
  return options;
}

/**
 * The listing in `data`, and also at the top level of the body, as Vault's
 * sys/audit returns it for clients that read either.
 */
function listingResponse(requestId: string, listing: Record<string, unknown>): Response {
  const body = { ...listing, request_id: requestId, lease_id: '', renewable: false, lease_duration: 0, data: listing, wrap_info: null, warnings: null, auth: null };
  return { raw: { status: 200, contentType: 'application/json', body: JSON.stringify(body) } };
}
