/**
 * Responses with a status other than 200 that still carry data. The SDK's
 * `Response` has no status field, so these are raw JSON bodies in the shape
 * of Vault's response envelope, as Vault's `logical.RespondWithStatusCode`
 * builds them for batch requests with failed items.
 */
import type { Request, Response } from '@coffer/sdk';

/** Builds a raw JSON response with `status` and Vault's envelope around `data`. */
export function respondWithStatus(request: Request, status: number, data: Record<string, unknown>, warnings: string[]): Response {
  const envelope = {
    request_id: request.id,
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: warnings.length > 0 ? warnings : null,
    auth: null,
    mount_type: request.mountType,
  };
  return { raw: { status, contentType: 'application/json', body: JSON.stringify(envelope) } };
}
