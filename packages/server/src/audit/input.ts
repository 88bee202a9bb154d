/**
 * Inputs of the audit broker: the facts of one request and, for the response
 * entry, the response the client received. Values arrive in clear, and the
 * broker HMACs them per device.
 */
import type { Operation } from '@coffer/sdk';
import type { TokenEntry } from '../token/token-entry.js';
import type { RequestBlocks } from './format.js';

/** The caller's token entry, as far as the audit log records it. */
export interface AuditTokenFields {
  accessor: string;
  policies: readonly string[];
  displayName: string;
  metadata: Record<string, string> | null;
  /** `service` or `batch`. */
  type: string;
  entityId: string;
  /** The TTL in seconds granted at creation; 0 for a token that never expires. */
  ttl?: number;
  /** When the token was created, as an RFC 3339 timestamp. */
  issueTime?: string;
  /** Uses left for a token with a use limit; 0 or absent when unlimited. */
  remainingUses?: number;
}

/** One request, before its backend runs. */
export interface AuditInput {
  requestId: string;
  operation: Operation;
  /** The full path below `/v1/`, e.g. `secret/data/app`. */
  path: string;
  /** Mount point with a trailing `/`, e.g. `secret/`, or `sys/` for the system backend. */
  mountPoint?: string;
  mountType?: string;
  mountAccessor?: string;
  /** Request data in clear; every string in it is HMAC'd unless its key is in `nonHmacRequestKeys`. */
  data?: Record<string, unknown> | null;
  remoteAddress?: string;
  remotePort?: number;
  /** Seconds, from `X-Vault-Wrap-TTL`; 0 or absent when the client did not ask for wrapping. */
  wrapTtl?: number;
  /**
   * The configured audited request headers that the request carried, by
   * lowercased name in sorted order (see `AuditedRequestHeaders.pick`).
   */
  headers?: Record<string, AuditedHeader>;
  /** The token as the caller presented it; empty or absent for none. */
  token?: string;
  /** The caller's token entry; absent when the token did not resolve. */
  tokenEntry?: AuditTokenFields;
  /** The mount's `audit_non_hmac_request_keys`: request data keys logged in clear. */
  nonHmacRequestKeys?: readonly string[];
  /** The mount's `audit_non_hmac_response_keys`: response data keys logged in clear. */
  nonHmacResponseKeys?: readonly string[];
  /** Reason the request failed before its backend ran, e.g. `permission denied`. */
  error?: string;
  /**
   * The blocks a `json` device serialized for the request entry, set by the
   * formatter so that the response entry, given the same input object,
   * reuses them. Callers leave it unset.
   */
  jsonBlocks?: RequestBlocks;
}

/** One audited request header as a request carried it. */
export interface AuditedHeader {
  /** The values in clear, one per header line, in the order received. */
  values: string[];
  /**
   * Whether devices write the values as HMACs under their own salts, as
   * `sys/audit-hash` computes them. As in Vault, `log_raw` does not change it.
   */
  hmac: boolean;
}

/** A response's wrap info as the client received it. */
export interface AuditWrapInfoInput {
  token: string;
  accessor: string;
  /** Seconds. */
  ttl: number;
  creation_time: string;
  creation_path: string;
  wrapped_accessor?: string;
}

/** Response the client received for one request. */
export interface AuditResponseData {
  /** Response data in clear; absent for a wrapped response, whose data the client never receives. */
  data?: Record<string, unknown> | null;
  /** The lease ID, when the response registered or renewed a lease. */
  leaseId?: string;
  /**
   * The `auth` block the client received when the request issued or renewed
   * a token, in the envelope's snake_case form (`client_token`, `accessor`,
   * `policies`, `token_policies`, `metadata`, `lease_duration`, ...).
   */
  auth?: Record<string, unknown> | null;
  wrapInfo?: AuditWrapInfoInput;
  warnings?: readonly string[] | null;
}

/** One request after its backend ran, with the response or the error the client received. */
export interface AuditResponseInput extends AuditInput {
  response?: AuditResponseData;
}

/** The last issue time formatted, since one token usually makes many requests in a row. */
let lastIssueTime = { seconds: Number.NaN, text: '' };

/** Formats unix seconds as RFC 3339 in whole seconds, as Vault writes token_issue_time. */
function issueTimeText(seconds: number): string {
  if (seconds === lastIssueTime.seconds) return lastIssueTime.text;
  const text = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  lastIssueTime = { seconds, text };
  return text;
}

/**
 * The fields last picked from each token entry, so that the requests of one
 * token share one object and an audit device can keep what it serialized
 * for it (see `JsonBlockCache`).
 */
const fieldsByEntry = new WeakMap<TokenEntry, { creationTime: number; fields: AuditTokenFields }>();

/** Picks the fields the audit log records from a token entry; returns the object of the entry's last call while they are unchanged. */
export function auditTokenFields(entry: TokenEntry): AuditTokenFields {
  const cached = fieldsByEntry.get(entry);
  if (cached !== undefined && cached.creationTime === entry.creationTime && sameFields(cached.fields, entry)) return cached.fields;
  const fields = pickFields(entry);
  fieldsByEntry.set(entry, { creationTime: entry.creationTime, fields });
  return fields;
}

function sameFields(fields: AuditTokenFields, entry: TokenEntry): boolean {
  return (
    fields.accessor === entry.accessor &&
    fields.policies === entry.policies &&
    fields.displayName === entry.displayName &&
    fields.metadata === entry.meta &&
    fields.type === entry.type &&
    fields.entityId === entry.entityId &&
    fields.ttl === entry.creationTtl &&
    fields.remainingUses === entry.numUses
  );
}

function pickFields(entry: TokenEntry): AuditTokenFields {
  return {
    accessor: entry.accessor,
    policies: entry.policies,
    displayName: entry.displayName,
    metadata: entry.meta,
    type: entry.type,
    entityId: entry.entityId,
    ttl: entry.creationTtl,
    issueTime: issueTimeText(entry.creationTime),
    remainingUses: entry.numUses,
  };
}
