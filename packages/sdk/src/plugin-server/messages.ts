/**
 * TypeScript shapes of the protocol's protobuf messages, as
 * {@link loadPluginProtocol} decodes them: field names as in the `.proto`
 * files, int64 as number, enums as their names. Every field is optional so
 * that a message being sent may leave fields out; a decoded message has
 * every scalar field set.
 */

export interface WireTimestamp {
  seconds?: number;
  nanos?: number;
}

export interface WireHeader {
  header?: string[];
}

export interface WireLeaseOptions {
  /** Nanoseconds. */
  ttl?: number;
  renewable?: boolean;
  /** Nanoseconds. */
  increment?: number;
  issue_time?: WireTimestamp | null;
  /** Nanoseconds. */
  max_ttl?: number;
  coffer_last_renewal_time?: WireTimestamp | null;
}

export interface WireSecret {
  lease_options?: WireLeaseOptions | null;
  /** JSON object. */
  internal_data?: string;
  lease_id?: string;
  coffer_passthrough?: boolean;
}

export interface WireAlias {
  mount_type?: string;
  mount_accessor?: string;
  name?: string;
  metadata?: Record<string, string>;
  id?: string;
  namespace_id?: string;
  custom_metadata?: Record<string, string>;
  local?: boolean;
}

/** Vault's `logical.Entity`, the entity in `EntityInfoReply`. */
export interface WireEntity {
  id?: string;
  name?: string;
  aliases?: WireAlias[];
  metadata?: Record<string, string>;
  disabled?: boolean;
  namespace_id?: string;
}

/** Vault's `logical.Group`, one group in `GroupsForEntityReply`. */
export interface WireGroup {
  id?: string;
  name?: string;
  metadata?: Record<string, string>;
  namespace_id?: string;
}

export interface WireEntityInfoReply {
  entity?: WireEntity | null;
  err?: string;
}

export interface WireGroupsForEntityReply {
  groups?: WireGroup[];
  err?: string;
}

export interface WireAuth {
  lease_options?: WireLeaseOptions | null;
  internal_data?: string;
  display_name?: string;
  policies?: string[];
  metadata?: Record<string, string>;
  client_token?: string;
  accessor?: string;
  period?: number;
  num_uses?: number;
  entity_id?: string;
  alias?: WireAlias | null;
  group_aliases?: WireAlias[];
  bound_cidrs?: string[];
  token_policies?: string[];
  identity_policies?: string[];
  explicit_max_ttl?: number;
  token_type?: number;
  no_default_policy?: boolean;
}

export interface WireRequest {
  id?: string;
  operation?: string;
  path?: string;
  /** JSON object. */
  data?: string;
  secret?: WireSecret | null;
  auth?: WireAuth | null;
  headers?: Record<string, WireHeader>;
  client_token?: string;
  client_token_accessor?: string;
  display_name?: string;
  mount_point?: string;
  mount_type?: string;
  mount_accessor?: string;
  client_token_remaining_uses?: number;
  entity_id?: string;
  unauthenticated?: boolean;
  connection?: WireConnection | null;
}

export interface WireConnection {
  remote_addr?: string;
  remote_port?: number;
  connection_state?: WireConnectionState | null;
}

/** Vault's ConnectionState; Coffer reads and writes only these fields. */
export interface WireConnectionState {
  handshake_complete?: boolean;
  peer_certificates?: { certificates?: Array<{ asn1_data?: Buffer | Uint8Array }> } | null;
}

export interface WireResponse {
  secret?: WireSecret | null;
  auth?: WireAuth | null;
  /** JSON object. */
  data?: string;
  redirect?: string;
  warnings?: string[];
  headers?: Record<string, WireHeader>;
  mount_type?: string;
}

export interface WireProtoError {
  err_type?: number;
  err_msg?: string;
  err_code?: number;
  coffer_code?: string;
}

export interface WirePaths {
  root?: string[];
  unauthenticated?: string[];
  local_storage?: string[];
  seal_wrap_storage?: string[];
}

export interface WireHandleRequestArgs {
  storage_id?: number;
  request?: WireRequest | null;
}

export interface WireHandleRequestReply {
  response?: WireResponse | null;
  err?: WireProtoError | null;
}

export interface WireExistenceCheckReply {
  check_found?: boolean;
  exists?: boolean;
  err?: WireProtoError | null;
}

export interface WireSetupArgs {
  broker_id?: number;
  config?: Record<string, string>;
  backend_uuid?: string;
}

export interface WireStorageEntry {
  key?: string;
  value?: Buffer;
  seal_wrap?: boolean;
}

export interface WireConnInfo {
  service_id?: number;
  network?: string;
  address?: string;
  knock?: { knock?: boolean; ack?: boolean; error?: string } | null;
}

/** Values of `ProtoError.err_type`, as Vault numbers them. */
export const ERROR_TYPE = {
  unknown: 0,
  userError: 1,
  internalError: 2,
  codedError: 3,
  badRequest: 4,
  unsupportedOperation: 5,
  unsupportedPath: 6,
  invalidRequest: 7,
  permissionDenied: 8,
  multiAuthzPending: 9,
  unrecoverable: 10,
} as const;

/** Values of `TypeReply.type`. */
export const BACKEND_TYPE = { unknown: 0, logical: 1, credential: 2 } as const;

/** Values of `Auth.token_type`, by the names Coffer's `Auth.tokenType` uses. */
export const TOKEN_TYPE = {
  default: 0,
  service: 1,
  batch: 2,
  'default-service': 3,
  'default-batch': 4,
} as const;
