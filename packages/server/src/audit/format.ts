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
  parseGoBool,
  stringifyJson,
  type AuditAuth,
  type AuditRequest,
  type AuditRequestEntry,
  type AuditResponse,
  type AuditResponseEntry,
  type AuditWrapInfo,
} from '@coffer/sdk';
import { setMember, type AuditHasher } from './hmac.js';
import type { AuditedHeader, AuditInput, AuditResponseData, AuditResponseInput, AuditTokenFields } from './input.js';
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
  const value = parseGoBool(raw);
  if (value === undefined) throw badRequest(`invalid option "${name}" "${raw}": expected "true" or "false"`);
  return value;
}

const NO_KEYS: ReadonlySet<string> = new Set();

/** Hashes values for one entry, or passes them through for a `log_raw` device. */
class EntryHasher {
  constructor(
    private readonly hasher: AuditHasher,
    private readonly config: FormatConfig,
  ) {}

  /** True when `token` returns HMACs, which JSON needs no escapes for. */
  get hashesTokens(): boolean {
    return !this.config.logRaw;
  }

  /** True when `accessor` returns HMACs. */
  get hashesAccessors(): boolean {
    return !this.config.logRaw && this.config.hmacAccessor;
  }

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

  /** Returns the JSON text of `data(data, exempt)`. */
  dataJson(data: Record<string, unknown>, exempt: readonly string[] | undefined): string {
    // An integer past 2^53 arrives as a bigint and is written as its digits.
    if (this.config.logRaw) return stringifyJson(data) as string;
    return this.hasher.hashDataJson(data, exempt === undefined || exempt.length === 0 ? NO_KEYS : new Set(exempt));
  }

  /**
   * Returns the values of one audited request header as a device writes
   * them. They are HMACs when the header is configured with `hmac`, even
   * with `log_raw`, and in clear otherwise, as in Vault.
   */
  headerValues(header: AuditedHeader): string[] {
    return header.hmac ? header.values.map((value) => this.hasher.hashDataValue(value)) : header.values;
  }

  /** Returns the JSON text of `headerValues(header)`. */
  headerValuesJson(header: AuditedHeader): string {
    let json = '[';
    for (let i = 0; i < header.values.length; i += 1) {
      const value = header.values[i];
      // An HMAC is the prefix and hex digits, which JSON needs no escapes for.
      json += `${i === 0 ? '' : ','}${header.hmac ? `"${this.hasher.hashDataValue(value)}"` : JSON.stringify(value)}`;
    }
    return `${json}]`;
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

/**
 * The serialized `auth` and `request` blocks of one request for one device,
 * with the inputs they were built from. The response entry of a request
 * reuses them when the broker passes the same input object again.
 */
export interface RequestBlocks {
  /** The device cache that serialized them; another device serializes its own. */
  owner: JsonBlockCache;
  /** The input they were serialized from, so that a copy of it, which may differ, is serialized again. */
  input: AuditInput;
  operation: string;
  path: string;
  token: string | undefined;
  tokenEntry: AuditTokenFields | undefined;
  data: Record<string, unknown> | null | undefined;
  auth: string;
  request: string;
}

/**
 * One device's `auth` blocks, kept between entries by the caller's token
 * fields (one object per token entry, see `auditTokenFields`). Entries go
 * away with the objects they are keyed by. The blocks of one request stay
 * on its input (`AuditInput.jsonBlocks`) instead, because a weak map entry
 * per request costs the garbage collector more than serializing again.
 */
export class JsonBlockCache {
  readonly authByToken = new WeakMap<AuditTokenFields, { token: string | undefined; json: string }>();
  /**
   * The members of `request` blocks that follow `id`, by request path. They
   * repeat for every request to a path from one client address. Cleared
   * when it contains REQUEST_TAIL_PATHS paths, and paths longer than
   * REQUEST_TAIL_MAX_PATH_LENGTH are not kept.
   */
  readonly requestTails = new Map<string, RequestTail>();
  /** The mount members of the last response block, which repeat while requests go to one mount. */
  mountMembers: { mountAccessor: string | undefined; mountPoint: string | undefined; mountType: string | undefined; json: string } | undefined;
}

/** Paths whose request tails one device keeps. */
const REQUEST_TAIL_PATHS = 1024;

/**
 * Longer paths get their request tails written every time. Node's default
 * header limit of 16 KiB lets a request line carry a path of about 16,000
 * characters. Without this bound, 1024 such paths took about 17 MiB per
 * device, and a client needs no token to send them, since requests to
 * routes that do not exist are audited too.
 */
const REQUEST_TAIL_MAX_PATH_LENGTH = 256;

/** The members of a `request` block after `id`, as JSON text, with the inputs they were written from. */
interface RequestTail {
  mountAccessor: string | undefined;
  mountPoint: string | undefined;
  mountType: string | undefined;
  operation: string;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  wrapTtl: number | undefined;
  json: string;
}

/**
 * Serializes an entry in the `json` format, without the prefix and newline,
 * to the same text as `JSON.stringify` of `buildRequestEntry` or
 * `buildResponseEntry`. It writes the blocks as text instead of building the
 * entry object, and takes the `auth` and `request` blocks from `cache` when
 * they were serialized before from the same inputs.
 */
export function serializeJsonEntry(kind: 'request' | 'response', input: AuditResponseInput, now: Date, hasher: AuditHasher, config: FormatConfig, cache: JsonBlockCache): string {
  const hashing = new EntryHasher(hasher, config);
  const blocks = requestBlocks(input, hashing, cache);
  const error = input.error !== undefined && input.error !== '' ? `,"error":${JSON.stringify(input.error)}` : '';
  const response = kind === 'response' ? `,"response":${responseJson(input, input.response, hashing, config, cache)}` : '';
  // The RFC 3339 time needs no escapes.
  return `{"time":"${formatTime(now)}","auth":${blocks.auth}${error},"request":${blocks.request}${response},"type":"${kind}"}`;
}

function requestBlocks(input: AuditInput, hashing: EntryHasher, cache: JsonBlockCache): RequestBlocks {
  const cached = input.jsonBlocks;
  if (
    cached !== undefined &&
    cached.owner === cache &&
    cached.input === input &&
    cached.operation === input.operation &&
    cached.path === input.path &&
    cached.token === input.token &&
    cached.tokenEntry === input.tokenEntry &&
    cached.data === input.data
  ) {
    return cached;
  }
  const blocks: RequestBlocks = {
    owner: cache,
    input,
    operation: input.operation,
    path: input.path,
    token: input.token,
    tokenEntry: input.tokenEntry,
    data: input.data,
    auth: authBlock(input, hashing, cache),
    request: requestJson(input, hashing, cache),
  };
  input.jsonBlocks = blocks;
  return blocks;
}

function authBlock(input: AuditInput, hashing: EntryHasher, cache: JsonBlockCache): string {
  const fields = input.tokenEntry;
  if (fields === undefined) return JSON.stringify(callerAuth(input, hashing));
  const cached = cache.authByToken.get(fields);
  if (cached !== undefined && cached.token === input.token) return cached.json;
  const json = JSON.stringify(callerAuth(input, hashing));
  cache.authByToken.set(fields, { token: input.token, json });
  return json;
}

/**
 * Writes members of a JSON object in the order they are added, leaving out
 * the values that `omitEmpty` leaves out.
 */
class JsonMembers {
  /**
   * The text so far: each member's name with its separator, then its value.
   * One join at the end makes a flat string, which the two entries of a
   * request copy faster than a string built by `+` from dozens of pieces.
   */
  private readonly parts: string[] = [];

  text(name: string, value: string | undefined): void {
    if (value !== undefined && value !== '') this.raw(name, quote(value));
  }

  /** Like `text`, for a value known to need no JSON escapes, such as an HMAC, when `plain` is true. */
  knownText(name: string, value: string | undefined, plain: boolean): void {
    if (value === undefined || value === '') return;
    if (!plain) {
      this.raw(name, quote(value));
      return;
    }
    this.parts.push(this.parts.length === 0 ? `"${name}":"` : `,"${name}":"`, value, '"');
  }

  number(name: string, value: number | undefined): void {
    if (value !== undefined && value !== 0) this.raw(name, JSON.stringify(value));
  }

  /** Adds `value` as JSON text when it is an object with members or a non-empty array. */
  object(name: string, value: object | null | undefined): void {
    if (value === null || value === undefined) return;
    if (Array.isArray(value) ? value.length === 0 : !hasOwnMember(value)) return;
    this.raw(name, JSON.stringify(value));
  }

  /** Adds a member whose value is already JSON text. */
  raw(name: string, json: string): void {
    this.parts.push(this.parts.length === 0 ? `"${name}":` : `,"${name}":`, json);
  }

  /** Adds members written by another `JsonMembers`, as its `members()` returned them. */
  append(members: string): void {
    if (members !== '') this.parts.push(this.parts.length === 0 ? members : `,${members}`);
  }

  /** Returns the members without the braces, for `append`. */
  members(): string {
    return this.parts.join('');
  }

  end(): string {
    this.parts.unshift('{');
    this.parts.push('}');
    return this.parts.join('');
  }
}

/** Characters that JSON strings take as they are; a path, ID or address usually has no others. */
const PLAIN_TEXT = /^[\w .,:;/@+=~-]*$/;

/** Returns `JSON.stringify(value)`, skipping the escape scan for plain text, which is quicker to test. */
function quote(value: string): string {
  return PLAIN_TEXT.test(value) ? `"${value}"` : JSON.stringify(value);
}

/** Returns the JSON text of `requestPart(input, hashing)`. */
function requestJson(input: AuditInput, hashing: EntryHasher, cache: JsonBlockCache): string {
  const members = new JsonMembers();
  members.knownText('client_token', hashing.token(input.token), hashing.hashesTokens);
  members.knownText('client_token_accessor', hashing.accessor(input.tokenEntry?.accessor), hashing.hashesAccessors);
  if (input.data !== null && input.data !== undefined && hasOwnMember(input.data)) {
    members.raw('data', hashing.dataJson(input.data, input.nonHmacRequestKeys));
  }
  if (input.headers !== undefined && hasOwnMember(input.headers)) members.raw('headers', headersJson(input.headers, hashing));
  members.text('id', input.requestId);
  members.append(requestTail(input, cache));
  return members.end();
}

/** Returns the members of the request block after `id`, from `cache` when they were written for the same inputs. */
function requestTail(input: AuditInput, cache: JsonBlockCache): string {
  const cacheable = input.path.length <= REQUEST_TAIL_MAX_PATH_LENGTH;
  const cached = cacheable ? cache.requestTails.get(input.path) : undefined;
  if (
    cached !== undefined &&
    cached.operation === input.operation &&
    cached.mountAccessor === input.mountAccessor &&
    cached.mountPoint === input.mountPoint &&
    cached.mountType === input.mountType &&
    cached.remoteAddress === input.remoteAddress &&
    cached.remotePort === input.remotePort &&
    cached.wrapTtl === input.wrapTtl
  ) {
    return cached.json;
  }
  const members = new JsonMembers();
  members.text('mount_accessor', input.mountAccessor);
  members.text('mount_point', input.mountPoint);
  members.text('mount_type', input.mountType);
  members.raw('namespace', '{"id":"root"}');
  members.text('operation', input.operation);
  members.text('path', input.path);
  members.text('remote_address', input.remoteAddress);
  members.number('remote_port', input.remotePort);
  members.number('wrap_ttl', input.wrapTtl);
  const json = members.members();
  if (!cacheable) return json;

  if (cache.requestTails.size >= REQUEST_TAIL_PATHS && cached === undefined) cache.requestTails.clear();
  cache.requestTails.set(input.path, {
    mountAccessor: input.mountAccessor,
    mountPoint: input.mountPoint,
    mountType: input.mountType,
    operation: input.operation,
    remoteAddress: input.remoteAddress,
    remotePort: input.remotePort,
    wrapTtl: input.wrapTtl,
    json,
  });
  return json;
}

/** Returns the `mount_accessor`, `mount_point` and `mount_type` members of a response block, from `cache` when they were written for the same mount. */
function mountMembers(input: AuditInput, cache: JsonBlockCache): string {
  const cached = cache.mountMembers;
  if (cached !== undefined && cached.mountAccessor === input.mountAccessor && cached.mountPoint === input.mountPoint && cached.mountType === input.mountType) {
    return cached.json;
  }
  const members = new JsonMembers();
  members.text('mount_accessor', input.mountAccessor);
  members.text('mount_point', input.mountPoint);
  members.text('mount_type', input.mountType);
  const json = members.members();
  cache.mountMembers = { mountAccessor: input.mountAccessor, mountPoint: input.mountPoint, mountType: input.mountType, json };
  return json;
}

/** Returns the JSON text of `responsePart(input, response, hashing, config)`. */
function responseJson(input: AuditInput, response: AuditResponseData | undefined, hashing: EntryHasher, config: FormatConfig, cache: JsonBlockCache): string {
  let data = response?.data ?? undefined;
  if (data !== undefined && config.elideListResponses && input.operation === 'list') data = elideListData(data);

  const members = new JsonMembers();
  members.object('auth', issuedAuth(response?.auth ?? undefined, hashing));
  if (data !== undefined && hasOwnMember(data)) members.raw('data', hashing.dataJson(data, input.nonHmacResponseKeys));
  members.append(mountMembers(input, cache));
  if (response?.leaseId) members.raw('secret', JSON.stringify({ lease_id: response.leaseId }));
  members.object('warnings', response?.warnings);
  members.object('wrap_info', wrapInfo(response, hashing));
  return members.end();
}

/** Serializes one entry as a line: prefix, then JSON or JSONx, then a newline. */
export function serializeEntry(entry: AuditRequestEntry | AuditResponseEntry, config: FormatConfig): Buffer {
  return Buffer.from(serializeEntryText(entry, config), 'utf8');
}

/** Like `serializeEntry`, returning the line as a string. */
export function serializeEntryText(entry: AuditRequestEntry | AuditResponseEntry, config: FormatConfig): string {
  const body = config.format === 'jsonx' ? toJsonx(entry as unknown as Record<string, unknown>) : (stringifyJson(entry) as string);
  return `${config.prefix}${body}\n`;
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
    headers: auditedHeaders(input.headers, hashing),
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

/** Builds the `headers` block: each audited header's values, as Vault writes them. */
function auditedHeaders(headers: Record<string, AuditedHeader> | undefined, hashing: EntryHasher): Record<string, string[]> | undefined {
  if (headers === undefined) return undefined;
  const written: Record<string, string[]> = {};
  for (const name of Object.keys(headers)) setMember(written, name, hashing.headerValues(headers[name]));
  return written;
}

/** Returns the JSON text of `auditedHeaders(headers, hashing)`. */
function headersJson(headers: Record<string, AuditedHeader>, hashing: EntryHasher): string {
  let json = '{';
  for (const name of Object.keys(headers)) {
    json += `${json.length === 1 ? '' : ','}${JSON.stringify(name)}:${hashing.headerValuesJson(headers[name])}`;
  }
  return `${json}}`;
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
