/**
 * Vault's response envelope and error body.
 */
import type { Response } from '@coffer/sdk';

export interface HttpAnswer {
  status: number;
  /** JSON body, or `null` for an empty body. */
  body: unknown;
  /** A non-JSON body with its content type, from `Response.raw`. */
  raw?: { contentType: string; body: Buffer | string };
}

export function errorAnswer(status: number, messages: string[]): HttpAnswer {
  return { status, body: { errors: messages } };
}

/** A JSON body sent as is, without the envelope, as Vault does for sys/health and the seal endpoints. */
export function rawJson(body: unknown, status = 200): Response {
  return { raw: { status, contentType: 'application/json', body: JSON.stringify(body) } };
}

/** Wraps a backend response in Vault's envelope. */
export function envelope(requestId: string, response: Response, mountType: string): Record<string, unknown> {
  const secret = response.secret;
  return {
    request_id: requestId,
    lease_id: '',
    renewable: secret !== undefined && secret.passthrough !== true ? secret.renewable : false,
    lease_duration: secret?.ttl ?? 0,
    data: response.data ?? null,
    wrap_info: null,
    warnings: response.warnings !== undefined && response.warnings.length > 0 ? response.warnings : null,
    auth: null,
    mount_type: mountType,
  };
}
