/**
 * Secret types: the kinds of leased secret a backend issues, each with the
 * handlers the server calls to renew and revoke a lease of that kind.
 *
 * A backend lists its types in `BackendDefinition.secrets` and responds to
 * a request with {@link secretResponse}, which stores the type's name under
 * `secret_type` in the lease's internal data. When the lease is renewed or
 * revoked, the server sends the backend a `renew` or `revoke` request and
 * the framework calls the handler of the type named there.
 */
import type { Request, Response } from '../logical.js';
import type { FieldData } from './field-data.js';
import type { FieldMap } from './field.js';

/** The key in a lease's internal data that names its secret type. */
export const SECRET_TYPE_KEY = 'secret_type';

/**
 * Renews or revokes one lease. `request.secret` describes the lease and
 * `fields` holds the response data stored with it, parsed by the type's
 * `fields`. Throw to refuse; the server retries a failed revocation.
 */
export type SecretHandler<F extends FieldMap> = (request: Request, fields: FieldData<F>) => Promise<Response | null>;

/** One kind of leased secret, such as the database engine's credentials. */
export interface SecretType<F extends FieldMap = FieldMap> {
  /** The name stored with each lease, unique within the backend, e.g. `creds`. */
  type: string;
  /**
   * The fields of the response data that the handlers read. Other keys of
   * the stored data are passed through in `fields.raw`.
   */
  fields?: F;
  /** The TTL in seconds {@link secretResponse} requests; absent or 0 takes the mount's default. */
  defaultTtl?: number;
  /** The max TTL in seconds {@link secretResponse} requests; absent or 0 leaves the mount's max. */
  maxTtl?: number;
  /**
   * Extends a lease. Return `null` or a response without `secret` to keep
   * the lease's TTL settings; return a `secret` to change them. The server
   * computes the granted TTL from the request's increment and caps it at the
   * max TTL. Without this handler the type's leases are not renewable.
   */
  renew?: SecretHandler<F>;
  /** Destroys the secret, e.g. drops the database user. Required. */
  revoke: SecretHandler<F>;
}

/** Declares a secret type; the identity function exists so TypeScript infers `F`. */
export function defineSecret<F extends FieldMap>(definition: SecretType<F>): SecretType<FieldMap> {
  return definition as unknown as SecretType<FieldMap>;
}

/** Lease settings for one response, overriding the secret type's. */
export interface SecretResponseOptions {
  /** TTL in seconds; defaults to the type's `defaultTtl`, and 0 takes the mount's default. */
  ttl?: number;
  /** Max TTL in seconds; defaults to the type's `maxTtl`, and 0 leaves the mount's max. */
  maxTtl?: number;
  /** Defaults to true. A type without a `renew` handler is never renewable. */
  renewable?: boolean;
  warnings?: string[];
}

/**
 * Builds a response that hands the client a leased secret of `secretType`.
 *
 * @param data - Returned to the client and stored with the lease, so the
 *   type's handlers see it again as `fields`.
 * @param internalData - Kept by the server and never returned to the client;
 *   the handlers read it from `request.secret.internalData`.
 * @throws Error when a TTL is negative or not a whole number of seconds.
 *
 * @example
 * ```ts
 * return secretResponse(credsType, { username, password }, { username }, { ttl: role.ttl });
 * ```
 */
export function secretResponse(
  secretType: SecretType,
  data: Record<string, unknown>,
  internalData: Record<string, unknown> = {},
  options: SecretResponseOptions = {},
): Response {
  const ttl = options.ttl ?? secretType.defaultTtl ?? 0;
  const maxTtl = options.maxTtl ?? secretType.maxTtl ?? 0;
  checkSeconds('ttl', ttl, secretType.type);
  checkSeconds('maxTtl', maxTtl, secretType.type);

  const response: Response = {
    data,
    secret: {
      ttl,
      maxTtl,
      renewable: (options.renewable ?? true) && secretType.renew !== undefined,
      internalData: { ...internalData, [SECRET_TYPE_KEY]: secretType.type },
    },
  };
  if (options.warnings !== undefined && options.warnings.length > 0) response.warnings = options.warnings;
  return response;
}

function checkSeconds(name: string, value: number, type: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`secret type "${type}": ${name} must be a whole number of seconds, not ${value}`);
  }
}
