/**
 * Conversions between the SDK's requests and responses and their protobuf
 * form. The host uses the `...ToWire` functions for requests and the
 * `...FromWire` functions for responses; the plugin side uses the other
 * half. Durations are whole seconds in the SDK and nanoseconds on the wire.
 */
import { CofferError } from '../errors.js';
import type { Auth, AuthAlias } from '../auth.js';
import { isPlainObject } from '../framework/field.js';
import type { LeasedSecret, Operation, RenewingLogin, Request, RequestConnection, Response, SecretLease } from '../logical.js';
import { parseJson, stringifyJson } from '../json.js';
import type { Storage } from '../storage.js';
import {
  ERROR_TYPE,
  TOKEN_TYPE,
  type WireAlias,
  type WireAuth,
  type WireConnection,
  type WireHeader,
  type WireProtoError,
  type WireRequest,
  type WireResponse,
  type WireSecret,
  type WireTimestamp,
} from './messages.js';

const NANOSECONDS_PER_SECOND = 1e9;

/** Data keys of a raw HTTP response, as Vault names them (logical.HTTPStatusCode, HTTPContentType, HTTPRawBody). */
const RAW_STATUS_KEY = 'http_status_code';
const RAW_CONTENT_TYPE_KEY = 'http_content_type';
const RAW_BODY_KEY = 'http_raw_body';

const REQUEST_OPERATIONS: readonly Operation[] = ['create', 'read', 'update', 'patch', 'delete', 'list', 'help', 'renew', 'revoke'];

export function secondsToNanoseconds(seconds: number): number {
  return Math.round(seconds * NANOSECONDS_PER_SECOND);
}

/** Converts nanoseconds to whole seconds, truncating as the SDK's duration parser does. */
export function nanosecondsToSeconds(nanoseconds: number | undefined): number {
  return Math.trunc((nanoseconds ?? 0) / NANOSECONDS_PER_SECOND);
}

function timestampFromIso(iso: string | undefined): WireTimestamp | null {
  if (iso === undefined || iso === '') return null;
  const milliseconds = Date.parse(iso);
  if (Number.isNaN(milliseconds)) return null;
  return { seconds: Math.floor(milliseconds / 1000), nanos: (milliseconds % 1000) * 1e6 };
}

function isoFromTimestamp(timestamp: WireTimestamp | null | undefined): string | undefined {
  if (timestamp === null || timestamp === undefined) return undefined;
  return new Date((timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6)).toISOString();
}

/**
 * Parses a JSON object field, and an empty string or `null` as an empty
 * object. An integer past 2^53 becomes a bigint, as in request bodies, and
 * a Go plugin reads the same digits with `json.Number`.
 * @throws Error naming the field when the text is not a JSON object.
 */
export function parseJsonObject(text: string | undefined, field: string): Record<string, unknown> {
  if (text === undefined || text === '' || text === 'null') return {};
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch (err) {
    throw new Error(`invalid JSON in "${field}": ${(err as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw new Error(`invalid "${field}": expected a JSON object`);
  return parsed;
}

function headersToWire(headers: Record<string, string>): Record<string, WireHeader> {
  const wire: Record<string, WireHeader> = {};
  for (const [name, value] of Object.entries(headers)) wire[name] = { header: [value] };
  return wire;
}

function headersFromWire(wire: Record<string, WireHeader> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(wire ?? {})) {
    // Defined rather than assigned, so that a header named __proto__ stays an ordinary member.
    Object.defineProperty(headers, name.toLowerCase(), { value: (value.header ?? []).join(', '), enumerable: true, writable: true, configurable: true });
  }
  return headers;
}

function leasedSecretToWire(secret: LeasedSecret): WireSecret {
  return {
    lease_id: secret.leaseId,
    internal_data: stringifyJson(secret.internalData) as string,
    lease_options: {
      ttl: secondsToNanoseconds(secret.ttl),
      increment: secondsToNanoseconds(secret.increment),
      issue_time: timestampFromIso(secret.issueTime),
      coffer_last_renewal_time: timestampFromIso(secret.lastRenewalTime),
    },
  };
}

function leasedSecretFromWire(wire: WireSecret): LeasedSecret {
  const options = wire.lease_options ?? {};
  const secret: LeasedSecret = {
    leaseId: wire.lease_id ?? '',
    internalData: parseJsonObject(wire.internal_data, 'secret.internal_data'),
    ttl: nanosecondsToSeconds(options.ttl),
    issueTime: isoFromTimestamp(options.issue_time) ?? '',
    increment: nanosecondsToSeconds(options.increment),
  };
  const lastRenewal = isoFromTimestamp(options.coffer_last_renewal_time);
  if (lastRenewal !== undefined) secret.lastRenewalTime = lastRenewal;
  return secret;
}

function renewingLoginToWire(login: RenewingLogin): WireAuth {
  return {
    lease_options: {
      ttl: secondsToNanoseconds(login.ttl),
      increment: secondsToNanoseconds(login.increment),
      issue_time: timestampFromIso(login.issueTime),
      renewable: true,
    },
    internal_data: stringifyJson(login.internalData) as string,
    display_name: login.displayName,
    policies: login.policies,
    token_policies: login.policies,
    metadata: login.metadata,
    period: secondsToNanoseconds(login.period),
    explicit_max_ttl: secondsToNanoseconds(login.explicitMaxTtl),
    entity_id: login.entityId,
  };
}

function renewingLoginFromWire(wire: WireAuth): RenewingLogin {
  const options = wire.lease_options ?? {};
  return {
    policies: wire.token_policies !== undefined && wire.token_policies.length > 0 ? wire.token_policies : (wire.policies ?? []),
    metadata: wire.metadata ?? {},
    internalData: parseJsonObject(wire.internal_data, 'auth.internal_data'),
    displayName: wire.display_name ?? '',
    ttl: nanosecondsToSeconds(options.ttl),
    period: nanosecondsToSeconds(wire.period),
    explicitMaxTtl: nanosecondsToSeconds(wire.explicit_max_ttl),
    issueTime: isoFromTimestamp(options.issue_time) ?? '',
    increment: nanosecondsToSeconds(options.increment),
    entityId: wire.entity_id ?? '',
  };
}

/** Builds the wire form of a request for a plugin backend (host side). */
export function requestToWire(request: Request, mountAccessor: string): WireRequest {
  return {
    id: request.id,
    operation: request.operation,
    path: request.path,
    data: stringifyJson(request.data) as string,
    secret: request.secret === undefined ? null : leasedSecretToWire(request.secret),
    auth: request.auth === undefined ? null : renewingLoginToWire(request.auth),
    headers: headersToWire(request.headers),
    client_token: request.clientToken,
    display_name: request.displayName ?? '',
    entity_id: request.entityId ?? '',
    mount_point: request.mountPoint,
    mount_type: request.mountType,
    mount_accessor: mountAccessor,
    unauthenticated: request.clientToken === '',
    connection: connectionToWire(request),
  };
}

function connectionToWire(request: Request): WireConnection | null {
  if (request.remoteAddress === undefined && request.connection === undefined) return null;
  const wire: WireConnection = { remote_addr: request.remoteAddress ?? '' };
  if (request.connection !== undefined) {
    wire.connection_state = {
      handshake_complete: true,
      peer_certificates: { certificates: request.connection.peerCertificates.map((der) => ({ asn1_data: der })) },
    };
  }
  return wire;
}

/** Returns the TLS connection of a wire request, or `undefined` when it carries no connection state. */
function connectionFromWire(wire: WireConnection | null | undefined): RequestConnection | undefined {
  const state = wire?.connection_state;
  if (state === null || state === undefined) return undefined;
  const certificates = state.peer_certificates?.certificates ?? [];
  return { peerCertificates: certificates.map((certificate) => Buffer.from(certificate.asn1_data ?? new Uint8Array())) };
}

/**
 * Builds the SDK request a plugin backend handles from its wire form
 * (plugin side). `storage` is the mount's storage on the host.
 * @throws Error when the operation is unknown or a JSON field is invalid.
 */
export function requestFromWire(wire: WireRequest, storage: Storage): Request {
  const operation = wire.operation as Operation;
  if (!REQUEST_OPERATIONS.includes(operation)) throw new Error(`unsupported operation ${JSON.stringify(wire.operation)}`);
  const request: Request = {
    id: wire.id ?? '',
    operation,
    path: wire.path ?? '',
    data: parseJsonObject(wire.data, 'data'),
    storage,
    mountPoint: wire.mount_point ?? '',
    mountType: wire.mount_type ?? '',
    clientToken: wire.client_token ?? '',
    headers: headersFromWire(wire.headers),
  };
  const remoteAddress = wire.connection?.remote_addr;
  if (remoteAddress !== undefined && remoteAddress !== '') request.remoteAddress = remoteAddress;
  const connection = connectionFromWire(wire.connection);
  if (connection !== undefined) request.connection = connection;
  if (wire.display_name !== undefined && wire.display_name !== '') request.displayName = wire.display_name;
  if (wire.entity_id !== undefined && wire.entity_id !== '') request.entityId = wire.entity_id;
  if (wire.secret !== null && wire.secret !== undefined) request.secret = leasedSecretFromWire(wire.secret);
  if (wire.auth !== null && wire.auth !== undefined) request.auth = renewingLoginFromWire(wire.auth);
  return request;
}

function secretLeaseToWire(secret: SecretLease): WireSecret {
  return {
    lease_id: secret.leaseId ?? '',
    internal_data: stringifyJson(secret.internalData) as string,
    coffer_passthrough: secret.passthrough === true,
    lease_options: {
      ttl: secondsToNanoseconds(secret.ttl),
      max_ttl: secondsToNanoseconds(secret.maxTtl),
      renewable: secret.renewable,
    },
  };
}

function secretLeaseFromWire(wire: WireSecret): SecretLease {
  const options = wire.lease_options ?? {};
  const secret: SecretLease = {
    ttl: nanosecondsToSeconds(options.ttl),
    maxTtl: nanosecondsToSeconds(options.max_ttl),
    renewable: options.renewable === true,
    internalData: parseJsonObject(wire.internal_data, 'secret.internal_data'),
  };
  if (wire.coffer_passthrough === true) secret.passthrough = true;
  if (wire.lease_id !== undefined && wire.lease_id !== '') secret.leaseId = wire.lease_id;
  return secret;
}

function aliasToWire(alias: AuthAlias): WireAlias {
  return { name: alias.name, metadata: alias.metadata ?? {} };
}

function aliasFromWire(wire: WireAlias): AuthAlias {
  const alias: AuthAlias = { name: wire.name ?? '' };
  if (wire.metadata !== undefined && Object.keys(wire.metadata).length > 0) alias.metadata = wire.metadata;
  return alias;
}

function authToWire(auth: Auth): WireAuth {
  return {
    lease_options: {
      ttl: secondsToNanoseconds(auth.ttl ?? 0),
      max_ttl: secondsToNanoseconds(auth.maxTtl ?? 0),
      // Coffer issues renewable tokens unless the auth method sets `renewable: false`.
      renewable: auth.renewable ?? true,
    },
    internal_data: stringifyJson(auth.internalData ?? {}) as string,
    display_name: auth.displayName ?? '',
    policies: auth.policies,
    metadata: auth.metadata ?? {},
    period: secondsToNanoseconds(auth.period ?? 0),
    num_uses: auth.numUses ?? 0,
    alias: auth.alias === undefined ? null : aliasToWire(auth.alias),
    group_aliases: (auth.groupAliases ?? []).map(aliasToWire),
    bound_cidrs: auth.boundCidrs ?? [],
    explicit_max_ttl: secondsToNanoseconds(auth.explicitMaxTtl ?? 0),
    token_type: TOKEN_TYPE[auth.tokenType ?? 'default'],
    no_default_policy: auth.noDefaultPolicy === true,
  };
}

function authFromWire(wire: WireAuth): Auth {
  const options = wire.lease_options ?? {};
  const policies = wire.policies !== undefined && wire.policies.length > 0 ? wire.policies : (wire.token_policies ?? []);
  const tokenType = (Object.keys(TOKEN_TYPE) as (keyof typeof TOKEN_TYPE)[]).find((name) => TOKEN_TYPE[name] === wire.token_type) ?? 'default';
  const auth: Auth = {
    policies,
    ttl: nanosecondsToSeconds(options.ttl),
    maxTtl: nanosecondsToSeconds(options.max_ttl),
    renewable: options.renewable === true,
    period: nanosecondsToSeconds(wire.period),
    explicitMaxTtl: nanosecondsToSeconds(wire.explicit_max_ttl),
    numUses: wire.num_uses ?? 0,
    boundCidrs: wire.bound_cidrs ?? [],
    tokenType,
    noDefaultPolicy: wire.no_default_policy === true,
    internalData: parseJsonObject(wire.internal_data, 'auth.internal_data'),
  };
  if (wire.metadata !== undefined && Object.keys(wire.metadata).length > 0) auth.metadata = wire.metadata;
  if (wire.display_name !== undefined && wire.display_name !== '') auth.displayName = wire.display_name;
  if (wire.alias !== null && wire.alias !== undefined) auth.alias = aliasFromWire(wire.alias);
  if (wire.group_aliases !== undefined && wire.group_aliases.length > 0) auth.groupAliases = wire.group_aliases.map(aliasFromWire);
  return auth;
}

/** Builds the wire form of a backend's response (plugin side); `null` stays `null`. */
export function responseToWire(response: Response | null): WireResponse | null {
  if (response === null) return null;
  let data: Record<string, unknown> | null = response.data ?? null;
  if (response.raw !== undefined) {
    const body = typeof response.raw.body === 'string' ? Buffer.from(response.raw.body) : response.raw.body;
    data = { [RAW_STATUS_KEY]: response.raw.status, [RAW_CONTENT_TYPE_KEY]: response.raw.contentType, [RAW_BODY_KEY]: body.toString('base64') };
  }
  return {
    data: stringifyJson(data) as string,
    secret: response.secret === undefined ? null : secretLeaseToWire(response.secret),
    auth: response.auth === undefined ? null : authToWire(response.auth),
    warnings: response.warnings ?? [],
  };
}

/**
 * Builds the SDK response from a plugin's reply (host side); an unset
 * response is `null`, for which the server returns 204.
 * @throws Error when a JSON field of the reply is invalid.
 */
export function responseFromWire(wire: WireResponse | null | undefined): Response | null {
  if (wire === null || wire === undefined) return null;
  const response: Response = {};
  const data = wire.data === undefined || wire.data === '' || wire.data === 'null' ? null : parseJsonObject(wire.data, 'response.data');
  if (data !== null && (RAW_BODY_KEY in data || RAW_CONTENT_TYPE_KEY in data)) {
    const body = data[RAW_BODY_KEY];
    response.raw = {
      status: typeof data[RAW_STATUS_KEY] === 'number' ? data[RAW_STATUS_KEY] : 200,
      contentType: typeof data[RAW_CONTENT_TYPE_KEY] === 'string' ? data[RAW_CONTENT_TYPE_KEY] : 'application/octet-stream',
      body: typeof body === 'string' ? Buffer.from(body, 'base64') : Buffer.alloc(0),
    };
  } else {
    response.data = data;
  }
  if (wire.secret !== null && wire.secret !== undefined) response.secret = secretLeaseFromWire(wire.secret);
  if (wire.auth !== null && wire.auth !== undefined) response.auth = authFromWire(wire.auth);
  if (wire.warnings !== undefined && wire.warnings.length > 0) response.warnings = wire.warnings;
  return response;
}

/** Builds the wire form of an error a backend threw (plugin side). */
export function errorToWire(err: unknown): WireProtoError {
  if (err instanceof CofferError) {
    return { err_type: ERROR_TYPE.codedError, err_msg: err.message, err_code: err.status, coffer_code: err.code };
  }
  return { err_type: ERROR_TYPE.internalError, err_msg: err instanceof Error ? err.message : String(err) };
}

const STATUS_BY_ERROR_TYPE: Record<number, number> = {
  [ERROR_TYPE.userError]: 400,
  [ERROR_TYPE.badRequest]: 400,
  [ERROR_TYPE.invalidRequest]: 400,
  [ERROR_TYPE.unsupportedOperation]: 405,
  [ERROR_TYPE.unsupportedPath]: 404,
  [ERROR_TYPE.permissionDenied]: 403,
  [ERROR_TYPE.multiAuthzPending]: 403,
};

const CODE_BY_STATUS: Record<number, string> = {
  400: 'COFFER_ERR_INVALID_REQUEST',
  403: 'COFFER_ERR_PERMISSION_DENIED',
  404: 'COFFER_ERR_NOT_FOUND',
  405: 'COFFER_ERR_UNSUPPORTED_OPERATION',
};

/**
 * Turns a plugin's error into the error the server returns (host side). A
 * client error becomes a CofferError with its HTTP status. An internal or
 * unknown error becomes a plain Error, which the server logs and returns as
 * 500 "internal error", as it does for a built-in backend. Vault
 * plugins put the message of an "invalid request" error in the response's
 * `error` field, so that text wins when present.
 */
export function errorFromWire(wire: WireProtoError, response: WireResponse | null | undefined): Error {
  const type = wire.err_type ?? ERROR_TYPE.unknown;
  let message = wire.err_msg ?? '';
  const status = type === ERROR_TYPE.codedError ? wire.err_code || 500 : STATUS_BY_ERROR_TYPE[type];
  // A coded error from Coffer's SDK keeps its code, even a 500 one.
  if (status !== undefined && wire.coffer_code !== undefined && wire.coffer_code !== '') return new CofferError(wire.coffer_code, status, message);
  if (status === undefined || status >= 500) return new Error(message);

  const data = safeData(response);
  if (typeof data.error === 'string' && data.error !== '') message = data.error;
  return new CofferError(CODE_BY_STATUS[status] ?? 'COFFER_ERR_PLUGIN', status, message);
}

function safeData(response: WireResponse | null | undefined): Record<string, unknown> {
  try {
    return parseJsonObject(response?.data, 'response.data');
  } catch {
    return {};
  }
}
