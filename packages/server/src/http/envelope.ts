/**
 * Vault's response envelope and error body.
 */
import type { ServerResponse } from 'node:http';
import { stringifyJson, type Response } from '@coffer/sdk';
import type { LogicalResult } from '../request-handling.js';
import { hasIssuedToken } from '../token/token-entry.js';

export interface HttpAnswer {
  status: number;
  /** JSON body, or `null` for an empty body. */
  body: unknown;
  /** A non-JSON body with its content type, from `Response.raw`. */
  raw?: { contentType: string; body: Buffer | string };
  /** Extra response headers, e.g. `Location` on a standby's redirect. */
  headers?: Record<string, string | string[]>;
  /** Writes the response itself and keeps it open, as `sys/monitor` does; a HEAD request gets the status alone. */
  stream?: (response: ServerResponse) => void;
}

export function errorAnswer(status: number, messages: string[]): HttpAnswer {
  return { status, body: { errors: messages } };
}

/** Builds a JSON response sent as is, without the envelope, as Vault does for sys/health and the seal endpoints. */
export function rawJson(body: unknown, status = 200): Response {
  // The SDK's serializer, because an unwrapped response can hold integers past 2^53 as bigints.
  return { raw: { status, contentType: 'application/json', body: stringifyJson(body) as string } };
}

/** Wraps a pipeline result in Vault's envelope. */
export function envelope(requestId: string, result: LogicalResult): Record<string, unknown> {
  if (result.wrapInfo !== undefined) {
    return {
      request_id: requestId,
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: result.wrapInfo,
      warnings: null,
      auth: null,
      mount_type: result.mountType,
    };
  }
  const response = result.response!;
  const secret = response.secret;
  return {
    request_id: requestId,
    lease_id: result.lease?.leaseId ?? '',
    renewable: result.lease?.renewable ?? false,
    lease_duration: result.lease?.ttl ?? secret?.ttl ?? 0,
    data: response.data ?? null,
    wrap_info: null,
    warnings: response.warnings !== undefined && response.warnings.length > 0 ? response.warnings : null,
    auth: hasIssuedToken(response) ? response.issued : null,
    mount_type: result.mountType,
  };
}
