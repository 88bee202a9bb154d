/**
 * Audit entries and the audit device contract.
 *
 * The server's audit broker builds every entry, replaces secrets with
 * HMAC-SHA256 values and serializes it, so a device only stores or sends
 * bytes. Built-in and third-party devices therefore record identical entries.
 *
 * The entry shapes follow Vault's audit log: field names are Vault's, and a
 * field that is empty (an empty string, zero, false or an empty list) is left
 * out, as Vault's `omitempty` JSON tags do. Where an entry would carry a
 * secret, the value is `hmac-sha256:<hex>` unless the device runs with
 * `log_raw`.
 */
import type { Logger } from './logger.js';
import type { Operation } from './logical.js';

/** The namespace of a request. Coffer has only the root namespace, `{ id: 'root' }`. */
export interface AuditNamespace {
  id: string;
  path?: string;
}

/** Policies that granted a request, as Vault's `policy_results`. */
export interface AuditPolicyResults {
  allowed: boolean;
  granting_policies?: { name?: string; namespace_id?: string; type: string }[];
}

/**
 * The token behind a request, or the token a response issued. `client_token`
 * is always an HMAC; `accessor` is one unless the device sets
 * `hmac_accessor=false`.
 */
export interface AuditAuth {
  accessor?: string;
  client_token?: string;
  display_name?: string;
  entity_id?: string;
  identity_policies?: string[];
  /** Token metadata, in clear: never put secrets in token metadata. */
  metadata?: Record<string, string>;
  no_default_policy?: boolean;
  num_uses?: number;
  policies?: string[];
  policy_results?: AuditPolicyResults;
  /** Uses left after this request, for a token with a use limit. */
  remaining_uses?: number;
  token_issue_time?: string;
  token_policies?: string[];
  /** Seconds. */
  token_ttl?: number;
  /** `service` or `batch`. */
  token_type?: string;
}

/** The request part of an entry. */
export interface AuditRequest {
  client_token?: string;
  client_token_accessor?: string;
  /** Request data; every string at any depth is an HMAC unless its key is exempt on the mount. */
  data?: Record<string, unknown>;
  /** Headers configured at `sys/config/auditing/request-headers`, by lowercased name; a value is an HMAC when its header is configured with `hmac`. */
  headers?: Record<string, string[]>;
  id: string;
  mount_accessor?: string;
  mount_point?: string;
  mount_type?: string;
  namespace: AuditNamespace;
  operation: Operation;
  /** The full request path below `/v1/`, e.g. `secret/data/app`. */
  path: string;
  remote_address?: string;
  remote_port?: number;
  /** Seconds, from `X-Vault-Wrap-TTL`. */
  wrap_ttl?: number;
}

/** The lease of a response; lease IDs are not credentials, so they stay in clear. */
export interface AuditSecret {
  lease_id: string;
}

/** A wrapped response's token info; `token` is always an HMAC. */
export interface AuditWrapInfo {
  accessor?: string;
  creation_path?: string;
  /** RFC 3339 with fractional seconds, UTC. */
  creation_time?: string;
  token?: string;
  /** Seconds. */
  ttl?: number;
  wrapped_accessor?: string;
}

/** The response part of an entry. */
export interface AuditResponse {
  auth?: AuditAuth;
  /** Response data; every string at any depth is an HMAC unless its key is exempt on the mount. */
  data?: Record<string, unknown>;
  mount_accessor?: string;
  mount_point?: string;
  mount_type?: string;
  secret?: AuditSecret;
  warnings?: string[];
  wrap_info?: AuditWrapInfo;
}

/** The entry written before a request is handled, or when it was rejected before that. */
export interface AuditRequestEntry {
  /** RFC 3339 with fractional seconds, UTC. */
  time: string;
  auth: AuditAuth;
  /** Reason the request failed, for a request rejected before its backend ran. */
  error?: string;
  request: AuditRequest;
  type: 'request';
}

/** The entry written after a request was handled, with the response or the error. */
export interface AuditResponseEntry {
  /** RFC 3339 with fractional seconds, UTC. */
  time: string;
  auth: AuditAuth;
  error?: string;
  request: AuditRequest;
  response?: AuditResponse;
  type: 'response';
}

export type AuditEntry = AuditRequestEntry | AuditResponseEntry;

/**
 * One enabled audit device: a file, a socket, a syslog connection or a
 * vendor's sink.
 */
export interface AuditDevice {
  /**
   * Records one or more serialized entries, each ending with a newline.
   *
   * Resolves only once the bytes are durable for this kind of device: synced
   * to disk for a file, accepted by the kernel for a socket. Rejects when they
   * are not, and must settle within a bounded time even when the destination
   * hangs, because every request waits for it. The broker may call `write`
   * again before an earlier call settles, and the device must keep the order
   * of the calls.
   */
  write(entries: Buffer, options?: AuditWriteOptions): Promise<void>;
  /**
   * Records entries given as text (UTF-8 when written), with the contract
   * of `write`. Optional: a device that batches entries can take them as
   * strings and convert each batch once instead of each entry.
   */
  writeText?(entries: string, options?: AuditWriteOptions): Promise<void>;
  /** Closes and opens the destination again, for log rotation (SIGHUP). */
  reopen?(): Promise<void>;
  /** Waits for pending writes to settle, then releases the destination. */
  close(): Promise<void>;
}

/** Settings of one {@link AuditDevice.write} call: when it may settle. */
export interface AuditWriteOptions {
  /**
   * False when the entries need only reach the destination, not be durable
   * yet. The broker writes a request's entry this way before the request
   * runs. It waits for durability with the response entry, so that durable
   * write must cover every entry written before it. A device that cannot
   * tell the two apart treats every write as durable. Default true.
   */
  durable?: boolean;
}

/** Context an audit device factory receives besides its options. */
export interface AuditContext {
  logger: Logger;
}

/** Options every audit device accepts. The broker handles them, so a plugin never receives them. */
export const COMMON_AUDIT_OPTIONS: readonly string[] = ['format', 'prefix', 'hmac_accessor', 'log_raw', 'elide_list_responses', 'filter', 'fallback', 'exclude'];
