/**
 * The HTTP front of the API: maps `/v1/<path>` requests to operations,
 * applies the sealed check, and writes Vault's envelope or error body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, isCofferError, parseGoBool, tryParseDuration, type LogicalBackend, type Logger, type Operation, type Request } from '@coffer/sdk';
import type { Core } from '../core.js';
import { answerOnStandby, clientAddress, clientConnection, headersWithoutForwardingKey } from '../ha/forward.js';
import type { HaNode } from '../ha/ha-node.js';
import { handleLogicalRequest, newRequestId, type LogicalResult, type SystemBackends } from '../request-handling.js';
import type { QuotaCheck, RateLimitDecision } from '../quotas/index.js';
import { SEAL_BACKEND_PATHS } from '../system/backend.js';
import { MONITOR_PATH } from '../system/path-monitor.js';
import { formatLine, type MonitorFormat } from '../logging/monitor.js';
import type { Level } from 'pino';
import { readBody, parseJsonBody } from './body.js';
import { LIST_STAND_IN } from './list-method.js';
import { listsNothing } from './list-response.js';
import { envelope, errorAnswer, type HttpAnswer } from './envelope.js';
import { stringifyJson } from './json-text.js';
import { parseRequestTarget } from './request-target.js';

const API_PREFIX = '/v1/';

/** The request path whose read streams the server log. */
const MONITOR_REQUEST_PATH = `sys/${MONITOR_PATH}`;

/** Bytes of log lines a slow `sys/monitor` client may have waiting before lines are dropped. */
const MONITOR_BUFFER_BYTES = 1024 * 1024;

/** Login paths of auth mounts, which Vault times apart from other requests. */
const LOGIN_PATH = /^auth\/.+\/login(?:\/|$)/;

export interface HandlerContext {
  core: Core;
  system: SystemBackends;
  sealBackend: LogicalBackend;
  logger: Logger;
}

/**
 * Maps the HTTP method, and a true `list` query parameter on GET, to an
 * operation. The parameter takes Go's boolean spellings, as in Vault.
 */
function operationFor(method: string, query: URLSearchParams): Operation | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return parseGoBool(query.get('list') ?? '') === true ? 'list' : 'read';
    case 'LIST':
    case LIST_STAND_IN:
      return 'list';
    case 'POST':
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return undefined;
  }
}

/** Extracts the token from `X-Vault-Token` or `Authorization: Bearer`. */
function requestToken(request: IncomingMessage): string {
  const header = request.headers['x-vault-token'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && authorization.startsWith('Bearer ')) return authorization.slice(7).trim();
  return '';
}

export function createRequestListener(context: HandlerContext): (request: IncomingMessage, response: ServerResponse) => void {
  const writes = new ResponseBatch(context.logger);
  return (request, response) => {
    handle(context, request, response)
      .then((answer) => writes.add(() => writeAnswer(response, answer, request.method === 'HEAD')))
      .catch((err: unknown) => {
        context.logger.error({ err, method: request.method }, 'request failed outside the pipeline');
        writeAnswer(response, errorAnswer(500, ['internal error']), false);
      });
  };
}

/**
 * Responses ready to be sent, written together in the event loop's check
 * phase, after the poll phase has read every request that was ready.
 * Writing each response the moment it was ready cost about half of the
 * throughput of unaudited KV reads under load (bench/README.md): the socket
 * writes of one batch are much cheaper than the same writes spread between
 * reads. The wait is at most one turn of the event loop.
 */
class ResponseBatch {
  private pending: Array<() => void> = [];

  constructor(private readonly logger: Logger) {}

  add(write: () => void): void {
    this.pending.push(write);
    if (this.pending.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    for (const write of batch) {
      try {
        write();
      } catch (err) {
        this.logger.error({ err }, 'writing a response failed');
      }
    }
  }
}

async function handle(context: HandlerContext, request: IncomingMessage, response: ServerResponse): Promise<HttpAnswer> {
  const url = parseRequestTarget(request.url ?? '/');
  if (!url.pathname.startsWith(API_PREFIX)) return errorAnswer(404, []);

  const standby = context.core.ha !== undefined && !context.core.sealed && !context.core.ha.isActive ? context.core.ha : undefined;
  if (standby !== undefined && request.method === 'OPTIONS') {
    // A CORS preflight goes to the active node, which has the CORS configuration.
    const rawPath = url.pathname.slice(API_PREFIX.length);
    try {
      const answer = await answerOnStandby(standby, request, rawPath, context.logger);
      if (answer !== undefined) return answer;
    } catch (err) {
      return errorFor(context.logger, err, newRequestId(), rawPath);
    }
  }
  const operation = operationFor(request.method ?? 'GET', url.searchParams);
  if (operation === undefined) return errorAnswer(405, [`unsupported HTTP method "${request.method}"`]);
  const list = url.searchParams.get('list');
  const isGet = request.method === 'GET' || request.method === 'HEAD';
  if (isGet && list !== null && list !== '' && parseGoBool(list) === undefined) {
    return errorAnswer(400, [`invalid query parameter "list" ${JSON.stringify(list)}: use true or false`]);
  }

  let path: string;
  try {
    path = decodeURIComponent(url.pathname.slice(API_PREFIX.length));
  } catch {
    return errorAnswer(400, ['invalid path: malformed percent-encoding']);
  }

  // This runs on every request, so with no quota configured it costs one check.
  if (context.core.quotas.active) {
    const rejection = applyQuota(context, request, response, operation, url.searchParams, path);
    if (rejection !== undefined) return rejection;
  }

  // Vault lists folders: a LIST of "a/b" means "a/b/".
  if (operation === 'list' && !path.endsWith('/')) path += '/';
  const requestId = newRequestId();

  try {
    // A standby forwards or redirects everything but the seal endpoints, before reading the body.
    const ha = context.core.ha;
    const sealPath = path.startsWith('sys/') && SEAL_BACKEND_PATHS.has(path.slice(4));
    // Nothing was awaited since `standby` was read, so it still matches the node's state.
    if (standby !== undefined && !sealPath) {
      const answer = await answerOnStandby(standby, request, path, context.logger);
      if (answer !== undefined) return answer;
    }

    const data = await requestData(request, operation, url.searchParams);
    const effectiveOperation: Operation = url.searchParams.get('help') === '1' ? 'help' : operation;
    const token = requestToken(request);

    if (sealPath) {
      const response = await context.sealBackend.handleRequest(sealRequest(context, requestId, effectiveOperation, path.slice(4), data));
      return answerFor(requestId, effectiveOperation, { response, mountType: 'system' });
    }
    if (context.core.sealed) return errorAnswer(503, ['Vault is sealed']);

    if (ha !== undefined && !ha.isActive) {
      return errorAnswer(503, ['this node stepped down to standby while reading the request; retry the request']);
    }
    const startedAt = performance.now();
    const pending = handleLogicalRequest(context.core, context.system, {
      id: requestId,
      operation: effectiveOperation,
      path,
      data,
      token,
      wrapTtl: wrapTtlHeader(request, context.core.options.maxLeaseTtl),
      rawHeaders: headersWithoutForwardingKey(request),
      connection: () => clientConnection(ha, request),
      ...remoteAddressOf(ha, request),
    });
    // A seal, and an HA step-down, wait for the requests being served.
    // The time is Vault's core.handle_request metric, or core.handle_login_request for a login.
    // The same record lists the request in sys/in-flight-req.
    const tracked = context.core.trackRequest(pending, {
      metric: LOGIN_PATH.test(path) ? 'core.handle_login_request' : 'core.handle_request',
      startedAt,
      requestId,
      message: request,
      previous: undefined,
      next: undefined,
    });
    const result = await (ha !== undefined ? ha.track(tracked) : tracked);
    if (path === MONITOR_REQUEST_PATH && effectiveOperation === 'read') return monitorAnswer(context, requestId, result);
    return answerFor(requestId, effectiveOperation, result);
  } catch (err) {
    return errorFor(context.logger, err, requestId, path);
  }
}

/**
 * Counts a request against the rate limit quota that applies to it. Returns
 * the 429 to send when the quota rejects it, else undefined, after setting
 * the `X-Ratelimit-*` headers on the response when they are enabled.
 */
function applyQuota(
  context: HandlerContext,
  request: IncomingMessage,
  response: ServerResponse,
  operation: Operation,
  query: URLSearchParams,
  path: string,
): Promise<HttpAnswer> | undefined {
  const quota = context.core.quotas.check(path, clientAddress(context.core.ha, request));
  if (quota === undefined) return undefined;
  if (!quota.decision.allowed) return rejectForQuota(context, request, query, operation, path, quota);
  if (quota.responseHeaders) {
    for (const [name, value] of Object.entries(rateLimitHeaders(quota.decision))) response.setHeader(name, value);
  }
  return undefined;
}

/**
 * Builds the 429 for a request over its rate limit quota, with Vault's error
 * text. The request goes no further, so it changes nothing. It is audited
 * only when `enable_rate_limit_audit_logging` is set, as in Vault.
 */
async function rejectForQuota(
  context: HandlerContext,
  request: IncomingMessage,
  query: URLSearchParams,
  operation: Operation,
  path: string,
  quota: QuotaCheck,
): Promise<HttpAnswer> {
  const message = `request path ${JSON.stringify(path)}: rate limit quota exceeded`;
  const requestId = newRequestId();
  // Vault's counter of rejections, by quota name.
  context.core.metrics.increment('quota.rate_limit.violation', 1, { name: quota.quotaName });
  const audit = context.core.audit;
  if (quota.auditRejections && audit.enabled) {
    try {
      // A body that cannot be parsed is audited as empty: the request is rejected either way.
      const data = await requestData(request, operation, query).catch(() => ({}));
      await audit.logRequest({
        requestId,
        operation,
        path,
        data,
        token: requestToken(request),
        wrapTtl: 0,
        ...remoteAddressOf(context.core.ha, request),
        error: message,
      });
    } catch (err) {
      return errorFor(context.logger, err, requestId, path);
    }
  }
  const answer = errorAnswer(429, [message]);
  if (quota.responseHeaders) answer.headers = { ...rateLimitHeaders(quota.decision), 'Retry-After': String(quota.decision.retryAfterSeconds) };
  return answer;
}

/** Returns the `X-Ratelimit-*` headers of a request that a quota counted. */
function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'X-Ratelimit-Limit': String(decision.limit),
    'X-Ratelimit-Remaining': String(decision.remaining),
    'X-Ratelimit-Reset': String(decision.resetSeconds),
  };
}

function remoteAddressOf(ha: HaNode | undefined, request: IncomingMessage): { remoteAddress?: string } {
  const address = clientAddress(ha, request);
  return address !== undefined ? { remoteAddress: address } : {};
}

async function requestData(request: IncomingMessage, operation: Operation, query: URLSearchParams): Promise<Record<string, unknown>> {
  const body = parseJsonBody(await readBody(request));
  if (operation !== 'read' && operation !== 'list' && operation !== 'delete') return body;

  // Reads, lists and deletes take their parameters from the query string, as in Vault.
  const data: Record<string, unknown> = { ...body };
  for (const [name, value] of query) {
    if (name === 'list' || name === 'help') continue;
    data[name] = value;
  }
  return data;
}

function sealRequest(context: HandlerContext, id: string, operation: Operation, path: string, data: Record<string, unknown>): Request {
  return {
    id,
    operation,
    path,
    data,
    storage: context.core.barrier,
    mountPoint: 'sys/',
    mountType: 'system',
    clientToken: '',
    headers: {},
  };
}

/**
 * Reads `X-Vault-Wrap-TTL`: seconds or a duration string.
 * @throws CofferError (400) for a value that is not a positive duration.
 */
function wrapTtlHeader(request: IncomingMessage, maxTtl: number): number {
  const header = request.headers['x-vault-wrap-ttl'];
  if (header === undefined || header === '') return 0;
  const parsed = tryParseDuration(String(header));
  if (parsed.problem === 'invalid' || parsed.seconds < 1) {
    throw badRequest(`invalid X-Vault-Wrap-TTL header "${String(header)}": use a positive duration such as "5m"`);
  }
  // A duration past the Go maximum exceeds any max lease TTL.
  if (parsed.problem === 'too_long' || parsed.seconds > maxTtl) {
    throw badRequest(`invalid X-Vault-Wrap-TTL header "${String(header)}": it exceeds the max lease TTL of ${maxTtl}s`);
  }
  return parsed.seconds;
}

function answerFor(requestId: string, operation: Operation, result: LogicalResult): HttpAnswer {
  const response = result.response;
  if (result.wrapInfo !== undefined) return { status: 200, body: envelope(requestId, result) };
  if (response === null) {
    // Vault returns 404 with no errors for a read or list that found nothing.
    return operation === 'read' || operation === 'list' ? errorAnswer(404, []) : { status: 204, body: null };
  }
  if (response.raw !== undefined) {
    return { status: response.raw.status, body: null, raw: { contentType: response.raw.contentType, body: response.raw.body } };
  }
  if (operation === 'list' && listsNothing(response)) return errorAnswer(404, []);
  return { status: 200, body: envelope(requestId, result) };
}

/**
 * Streams the server log for a `sys/monitor` read that passed the token,
 * policy and parameter checks: the path returned the settings, and the log
 * lines follow as they are written until the client disconnects. A client
 * that reads too slowly loses lines rather than growing the server's memory,
 * and then receives a warning line with the number lost.
 */
function monitorAnswer(context: HandlerContext, requestId: string, result: LogicalResult): HttpAnswer {
  const monitor = context.core.options.logMonitor;
  const settings = result.response?.data as { log_level?: Level; log_format?: MonitorFormat } | undefined;
  if (monitor === undefined || result.wrapInfo !== undefined || settings?.log_level === undefined || settings.log_format === undefined) {
    return answerFor(requestId, 'read', result);
  }
  const { log_level: level, log_format: format } = settings;
  const stream = (response: ServerResponse): void => {
    response.writeHead(200, { 'Content-Type': format === 'json' ? 'application/x-ndjson' : 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    // Sent now, so that the client knows the stream is open before the first line.
    response.flushHeaders();
    let dropped = 0;
    const unsubscribe = monitor.subscribe((line) => {
      // A seal ends the stream before the seal's own lines, because a sealed server serves no data.
      // NOTE: the stream ends at the first line written after the seal, which is the seal's
      // "core sealed" line at info level. A server logging only warnings keeps it open, silent, until then.
      if (context.core.sealed) {
        unsubscribe();
        response.end();
        return;
      }
      const text = formatLine(line, level, format);
      if (text === undefined) return;
      if (response.writableLength > MONITOR_BUFFER_BYTES) {
        dropped += 1;
        return;
      }
      if (dropped > 0) {
        // Formatted without the stream's level, so a client that asked for errors only still learns of the loss.
        const notice = JSON.stringify({ level: 'warn', time: new Date().toISOString(), msg: `monitor dropped ${dropped} log lines that the client did not read in time` });
        response.write(formatLine(notice, 'trace', format) ?? '');
        dropped = 0;
      }
      response.write(text);
    });
    response.on('close', unsubscribe);
  };
  return { status: 200, body: null, stream };
}

function errorFor(logger: Logger, err: unknown, requestId: string, path: string): HttpAnswer {
  if (isCofferError(err)) {
    // 503 means sealed, which is expected and frequent, so it is not logged as a server error.
    if (err.status >= 500 && err.status !== 503) logger.error({ err, requestId, path }, 'request failed');
    return errorAnswer(err.status, [err.message]);
  }
  logger.error({ err, requestId, path }, 'request failed');
  return errorAnswer(500, ['internal error']);
}

function writeAnswer(response: ServerResponse, answer: HttpAnswer, headOnly: boolean): void {
  if (answer.headers !== undefined) {
    for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
  }
  if (answer.stream !== undefined && !headOnly) {
    answer.stream(response);
    return;
  }
  if (answer.raw !== undefined) {
    const body = typeof answer.raw.body === 'string' ? Buffer.from(answer.raw.body) : answer.raw.body;
    // Content-Length lets Node send the body in one piece rather than chunked.
    response.writeHead(answer.status, { 'Content-Type': answer.raw.contentType, 'Cache-Control': 'no-store', 'Content-Length': body.length });
    response.end(headOnly ? undefined : body);
    return;
  }
  if (answer.body === null) {
    response.writeHead(answer.status, { 'Cache-Control': 'no-store' });
    response.end();
    return;
  }
  const text = stringifyJson(answer.body);
  // A literal object: spreading a shared header object into a new one cost
  // 2-4 us more per response in a micro-benchmark of writeHead (Node.js 20).
  response.writeHead(answer.status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  response.end(headOnly ? undefined : text);
}

