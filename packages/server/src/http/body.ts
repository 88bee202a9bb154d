/**
 * Reading and parsing request bodies with Vault's size limit.
 */
import type { IncomingMessage } from 'node:http';
import { CofferError, MAX_JSON_DEPTH, badRequest, isPlainObject, nestsDeeperThan, parseJson } from '@coffer/sdk';

export { MAX_JSON_DEPTH } from '@coffer/sdk';

/** Vault's default `max_request_size`: 32 MiB. */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

const EMPTY_BODY = Buffer.alloc(0);

/** Reads the whole body, rejecting one larger than the limit with 413. */
export function readBody(request: IncomingMessage, limit = MAX_REQUEST_BYTES): Promise<Buffer> {
  // A request without Content-Length or Transfer-Encoding has no body (RFC
  // 9112, section 6.3), so there is no stream to wait for. Node discards the
  // unread stream itself once the response is sent.
  if (request.headers['content-length'] === undefined && request.headers['transfer-encoding'] === undefined) {
    return Promise.resolve(EMPTY_BODY);
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    request.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    request.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        request.removeAllListeners('data');
        request.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    // A client that goes away mid-body is not a server failure, so it gets a
    // 400 (if it still reads), which is not logged as an error.
    request.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ECONNRESET' ? new CofferError('COFFER_ERR_CLIENT_ABORTED', 400, 'the client closed the connection before the request body ended') : err),
    );
  });
}

/**
 * Parses a JSON object body, and an empty body as an empty object. An
 * integer past 2^53 becomes a bigint, so that data comes back as it was sent.
 */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = parseJson(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`failed to parse JSON input: ${(err as Error).message}`);
  }
  if (parsed === null) return {};
  if (!isPlainObject(parsed)) throw badRequest('failed to parse JSON input: the body must be a JSON object');
  // Each level takes an opening and a closing bracket, so a short body cannot nest too deep.
  if (body.length > 2 * MAX_JSON_DEPTH && nestsDeeperThan(parsed, MAX_JSON_DEPTH)) {
    throw badRequest(`failed to parse JSON input: nesting is deeper than the limit of ${MAX_JSON_DEPTH} levels`);
  }
  return parsed;
}

function tooLarge(limit: number): CofferError {
  return new CofferError('COFFER_ERR_REQUEST_TOO_LARGE', 413, `request body is larger than the limit of ${limit} bytes`);
}
