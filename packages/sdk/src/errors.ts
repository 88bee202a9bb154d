/**
 * Coded errors shared by the server and plugins.
 *
 * An error carries the HTTP status that the API answers with, a stable code
 * for tests and tooling, and a lowercase message in Vault's style that names
 * the field, the value and the fix.
 */
export class CofferError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'CofferError';
  }
}

/** 400: the request is malformed or a field is invalid. */
export function badRequest(message: string): CofferError {
  return new CofferError('COFFER_ERR_INVALID_REQUEST', 400, message);
}

/**
 * 400: a login presented a wrong secret for an existing or unknown user.
 * Only this error counts toward user lockout, as in Vault, so a malformed
 * request or an unreachable directory does not lock anyone out.
 */
export function invalidCredentials(message: string): CofferError {
  return new CofferError(INVALID_CREDENTIALS_CODE, 400, message);
}

/** The code of {@link invalidCredentials}. */
export const INVALID_CREDENTIALS_CODE = 'COFFER_ERR_INVALID_CREDENTIALS';

/** 403: the token is missing, unknown or lacks a capability. */
export function permissionDenied(message = 'permission denied'): CofferError {
  return new CofferError('COFFER_ERR_PERMISSION_DENIED', 403, message);
}

/** 404: nothing is stored at the path. */
export function notFound(message: string): CofferError {
  return new CofferError('COFFER_ERR_NOT_FOUND', 404, message);
}

/** 404: no path of the backend matches, for which Vault returns `unsupported path`. */
export function unsupportedPath(path: string): CofferError {
  return new CofferError('COFFER_ERR_UNSUPPORTED_PATH', 404, `unsupported path "${path}"`);
}

/** 405: the path exists but does not support the operation. */
export function unsupportedOperation(operation: string, path: string): CofferError {
  return new CofferError('COFFER_ERR_UNSUPPORTED_OPERATION', 405, `${operation} operation not supported on path "${path}"`);
}

/** 500: an internal failure the caller cannot fix. */
export function internalError(message: string): CofferError {
  return new CofferError('COFFER_ERR_INTERNAL', 500, message);
}

/** Returns true when `err` is a CofferError. */
export function isCofferError(err: unknown): err is CofferError {
  return err instanceof CofferError;
}
