/**
 * Building audit entries the way Vault does, and serializing them.
 *
 * Field names and nesting are Vault's. As in Vault's JSON output, `time`
 * comes first and the other fields follow in alphabetical order, and a field
 * with an empty value (empty string, 0, false, empty list or object) is left
 * out. Values inside `data` are kept as they are, apart from HMACs.
 */
import {
  badRequest,
  type AuditAuth,
  type AuditRequest,
  type AuditRequestEntry,
  type AuditResponse,
  type AuditResponseEntry,
  type AuditWrapInfo,
} from '@coffer/sdk';
import type { AuditHasher } from './hmac.js';
import type { AuditInput, AuditResponseData, AuditResponseInput } from './input.js';
import { toJsonx } from './jsonx.js';

/** Formatting settings of one device, from the options every device accepts. */
export interface FormatConfig {
  format: 'json' | 'jsonx';
  /** Text written before every entry, e.g. for a log shipper that needs a marker. */
  prefix: string;
  /** HMAC token accessors too (Vault's default), not only tokens. */
  hmacAccessor: boolean;
  /** Write every value in clear, which exposes secrets and tokens to anyone who can read the log. */
  logRaw: boolean;
  /** Replace `keys` and `key_info` in list responses by their sizes. */
  elideListResponses: boolean;
}

/** Go's strconv.ParseBool spellings, which Vault accepts for boolean options. */
const BOOLEANS: Record<string, boolean> = {
  '1': true, t: true, T: true, TRUE: true, true: true, True: true,
  '0': false, f: false, F: false, FALSE: false, false: false, False: false,
};

/**
 * Reads the common options of an enable request.
 * @throws CofferError (400) naming the option and its bad value.
 */
export function parseFormatConfig(options: Readonly<Record<string, string>>): FormatConfig {
  const format = options.format === undefined || options.format === '' ? 'json' : options.format;
  if (format !== 'json' && format !== 'jsonx') throw badRequest(`invalid option "format" "${format}": use "json" or "jsonx"`);
  return {
    format,
    prefix: options.prefix ?? '',
    hmacAccessor: parseBooleanOption(options, 'hmac_accessor', true),
    logRaw: parseBooleanOption(options, 'log_raw', false),
    elideListResponses: parseBooleanOption(options, 'elide_list_responses', false),
  };
}

/**
 * Reads a boolean option in any of Go's spellings, or returns `fallback` when it is absent or empty.
 * @throws CofferError (400) naming the option and its bad value.
 */
export function parseBooleanOption(options: Readonly<Record<string, string>>, name: string, fallback: boolean): boolean {
  const raw = options[name];
  if (raw === undefined || raw === '') return fallback;
  const value = BOOLEANS[raw];
  if (value === undefined) throw badRequest(`invalid option "${name}" "${raw}": expected "true" or "false"`);
  return value;
}

/** Hashes values for one entry, or passes them through for a `log_raw` device. */
class EntryHasher {
  constructor(
    private readonly hasher: AuditHasher,
    private readonly config: FormatConfig,
  ) {}

  token(value: string | undefined): string | undefined {
    if (value === undefined || value === '' || this.config.logRaw) return value;
    return this.hasher.hashToken(value);
  }

  accessor(value: string | undefined): string | undefined {
    if (value === undefined || value === '' || this.config.logRaw || !this.config.hmacAccessor) return value;
    return this.hasher.hashToken(value);
  }

  data(data: Record<string, unknown> | null | undefined, exempt: readonly string[] | undefined): Record<string, unknown> | undefined {
    if (data === null || data === undefined) return undefined;
    if (this.config.logRaw) return data;
    return this.hasher.hashData(data, new Set(exempt));
  }

  /** Like `data`, for the request's data, which the request and response entries share. */
  requestData(data: Record<string, unknown> | null | undefined, exempt: readonly string[] | undefined): Record<string, unknown> | undefined {
    if (data === null || data === undefined) return undefined;
    if (this.config.logRaw) return data;
    return this.hasher.hashRequestData(data, exempt);
  }
}

/** Builds the entry written before a request runs, or for a request rejected before that. */
export function buildRequestEntry(input: AuditInput, hasher: AuditHasher, config: FormatConfig, now: Date): AuditRequestEntry {
  const hashing = new EntryHasher(hasher, config);
  return {
    time: formatTime(now),
    auth: callerAuth(input, hashing),
    ...(input.error !== undefined && input.error !== '' ? { error: input.error } : {}),
    request: requestPart(input, hashing),
    type: 'request',
  };
}

/** Builds the entry written after a request ran, with what the client received. */
export function buildResponseEntry(input: AuditResponseInput, hasher: AuditHasher, config: FormatConfig, now: Date): AuditResponseEntry {
  const hashing = new EntryHasher(hasher, config);
  return {
    time: formatTime(now),
    auth: callerAuth(input, hashing),
    ...(input.error !== undefined && input.error !== '' ? { error: input.error } : {}),
    request: requestPart(input, hashing),
    response: responsePart(input, input.response, hashing, config),
    type: 'response',
  };
}

/** Serializes one entry as a line: prefix, then JSON or JSONx, then a newline. */
export function serializeEntry(entry: AuditRequestEntry | AuditResponseEntry, config: FormatConfig): Buffer {
  const body = config.format === 'jsonx' ? toJsonx(entry as unknown as Record<string, unknown>) : JSON.stringify(entry);
  return Buffer.from(`${config.prefix}${body}\n`, 'utf8');
}

/** The last time formatted, since many entries share a millisecond. */
let lastFormatted = { ms: Number.NaN, text: '' };

/** RFC 3339 in UTC with trailing zeros of the fraction dropped, as Go's RFC3339Nano prints. */
export function formatTime(date: Date): string {
  const ms = date.getTime();
  if (ms === lastFormatted.ms) return lastFormatted.text;

  // toISOString always ends in ".mmmZ".
  const iso = date.toISOString();
  let end = iso.length - 1;
  while (iso[end - 1] === '0') end -= 1;
  const text = iso[end - 1] === '.' ? `${iso.slice(0, end - 1)}Z` : `${iso.slice(0, end)}Z`;
  lastFormatted = { ms, text };
  return text;
}

function callerAuth(input: AuditInput, hashing: EntryHasher): AuditAuth {
  const entry = input.tokenEntry;
  return omitEmpty({
    accessor: hashing.accessor(entry?.accessor),
    client_token: hashing.token(input.token),
    display_name: entry?.displayName,
    entity_id: entry?.entityId,
    metadata: entry?.metadata ?? undefined,
    policies: entry?.policies,
    remaining_uses: entry?.remainingUses,
    token_issue_time: entry?.issueTime,
    token_policies: entry?.policies,
    token_ttl: entry?.ttl,
    token_type: entry?.type,
  }) as AuditAuth;
}

function requestPart(input: AuditInput, hashing: EntryHasher): AuditRequest {
  return omitEmpty({
    client_token: hashing.token(input.token),
    client_token_accessor: hashing.accessor(input.tokenEntry?.accessor),
    data: hashing.requestData(input.data, input.nonHmacRequestKeys),
    headers: hashHeaders(input.headers, hashing),
    id: input.requestId,
    mount_accessor: input.mountAccessor,
    mount_point: input.mountPoint,
    mount_type: input.mountType,
    namespace: { id: 'root' },
    operation: input.operation,
    path: input.path,
    remote_address: input.remoteAddress,
    remote_port: input.remotePort,
    wrap_ttl: input.wrapTtl,
  }) as unknown as AuditRequest;
}

function hashHeaders(headers: Record<string, string[]> | undefined, hashing: EntryHasher): Record<string, string[]> | undefined {
  if (headers === undefined) return undefined;
  return hashing.data(headers, undefined) as Record<string, string[]>;
}

function responsePart(input: AuditInput, response: AuditResponseData | undefined, hashing: EntryHasher, config: FormatConfig): AuditResponse {
  let data = response?.data ?? undefined;
  if (data !== undefined && config.elideListResponses && input.operation === 'list') data = elideListData(data);

  return omitEmpty({
    auth: issuedAuth(response?.auth ?? undefined, hashing),
    data: hashing.data(data, input.nonHmacResponseKeys),
    mount_accessor: input.mountAccessor,
    mount_point: input.mountPoint,
    mount_type: input.mountType,
    secret: response?.leaseId ? { lease_id: response.leaseId } : undefined,
    warnings: response?.warnings ?? undefined,
    wrap_info: wrapInfo(response, hashing),
  }) as AuditResponse;
}

/** Builds the `auth` block of a response that issued a token, from the envelope's form. */
function issuedAuth(auth: Record<string, unknown> | undefined, hashing: EntryHasher): AuditAuth | undefined {
  if (auth === undefined) return undefined;
  const text = (name: string): string | undefined => (typeof auth[name] === 'string' ? (auth[name] as string) : undefined);
  const number = (name: string): number | undefined => (typeof auth[name] === 'number' ? (auth[name] as number) : undefined);
  const list = (name: string): string[] | undefined => (Array.isArray(auth[name]) ? (auth[name] as string[]) : undefined);

  return omitEmpty({
    accessor: hashing.accessor(text('accessor')),
    client_token: hashing.token(text('client_token')),
    display_name: text('display_name'),
    entity_id: text('entity_id'),
    identity_policies: list('identity_policies'),
    metadata: (auth.metadata ?? undefined) as Record<string, string> | undefined,
    num_uses: number('num_uses'),
    policies: list('policies'),
    token_policies: list('token_policies'),
    token_ttl: number('lease_duration'),
    token_type: text('token_type'),
  }) as AuditAuth;
}

function wrapInfo(response: AuditResponseData | undefined, hashing: EntryHasher): AuditWrapInfo | undefined {
  const info = response?.wrapInfo;
  if (info === undefined) return undefined;
  return omitEmpty({
    accessor: hashing.accessor(info.accessor),
    creation_path: info.creation_path,
    creation_time: info.creation_time,
    token: hashing.token(info.token),
    ttl: info.ttl,
    wrapped_accessor: hashing.accessor(info.wrapped_accessor),
  }) as AuditWrapInfo;
}

/**
 * Replaces the list of a list response with its length and `key_info` with
 * its number of keys, as Vault's `elide_list_responses` does.
 */
function elideListData(data: Record<string, unknown>): Record<string, unknown> {
  const elided = { ...data };
  if (Array.isArray(elided.keys)) elided.keys = elided.keys.length;
  const keyInfo = elided.key_info;
  if (keyInfo !== null && typeof keyInfo === 'object' && !Array.isArray(keyInfo)) elided.key_info = Object.keys(keyInfo).length;
  return elided;
}

/** Drops members whose value Go's `omitempty` would leave out, keeping the order of the rest. */
function omitEmpty(fields: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const name in fields) {
    const value = fields[name];
    if (value === undefined || value === null || value === '' || value === 0 || value === false) continue;
    if (Array.isArray(value) ? value.length === 0 : typeof value === 'object' && !hasOwnMember(value)) continue;
    kept[name] = value;
  }
  return kept;
}

function hasOwnMember(value: object): boolean {
  for (const name in value) {
    if (Object.hasOwn(value, name)) return true;
  }
  return false;
}
