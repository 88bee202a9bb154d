/**
 * Responses with a status other than 200 that still carry data or warnings.
 *
 * Vault responds to a read of a deleted KV v2 version with 404 and the
 * version's metadata in `data`, and to a misplaced v2 request with 404 and a
 * warning. The SDK's `Response` has no status field, so these responses are
 * raw JSON bodies in the shape of Vault's response envelope, as Vault's own
 * `logical.RespondWithStatusCode` builds them.
 */
import { stringifyJson, type Request, type Response } from '@coffer/sdk';

/** Builds a raw JSON response with `status` and Vault's envelope around `data`. */
export function respondWithStatus(
  request: Request,
  status: number,
  data: Record<string, unknown> | null,
  warnings: string[] | null = null,
): Response {
  const envelope = {
    request_id: request.id,
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings,
    auth: null,
    mount_type: request.mountType,
  };
  return { raw: { status, contentType: 'application/json', body: stringifyJson(envelope) as string } };
}
