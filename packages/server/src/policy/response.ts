/**
 * The response shape of Vault's older sys/ endpoints: the usual envelope with
 * the data repeated at the top level, so that clients written against either
 * form work, e.g. `{"keys": [...], "policies": [...], "data": {...}, ...}`.
 */
import type { Request, Response } from '@coffer/sdk';

/**
 * Returns `data` in the envelope and at its top level. A data key never
 * replaces an envelope field of the same name.
 * NOTE: the response is a raw JSON body, so the HTTP layer cannot wrap it.
 * Once that layer copies sys/ data to the top level itself, return `{ data }`.
 */
export function sysDataResponse(request: Request, data: Record<string, unknown>): Response {
  const body = {
    ...data,
    request_id: request.id,
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
    mount_type: 'system',
  };
  return { raw: { status: 200, contentType: 'application/json', body: JSON.stringify(body) } };
}
