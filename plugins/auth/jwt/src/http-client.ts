/**
 * JSON over HTTP(S) to an identity provider: discovery documents, key sets
 * and the token endpoint. Uses node:http and node:https directly, because a
 * provider may need its own CA certificates (`jwks_ca_pem`,
 * `oidc_discovery_ca_pem`), which the global fetch cannot take.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { X509Certificate } from 'node:crypto';

/** Options of one request to a provider. */
export interface ProviderRequest {
  /** PEM certificates that replace the system CAs for an https URL. */
  caPem?: string;
  /** A form to POST as `application/x-www-form-urlencoded`; without it the request is a GET. */
  form?: Record<string, string>;
  /** Extra request headers, such as `Authorization` for the token endpoint. */
  headers?: Record<string, string>;
  /** Milliseconds the whole request, response body included, may take before it is abandoned. */
  timeoutMs?: number;
}

/** A provider's reply: the HTTP status and the parsed JSON body. */
export interface ProviderResponse {
  status: number;
  body: unknown;
}

/** Providers return small JSON documents for these requests, so a larger body is rejected. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Sends one request and parses the JSON reply.
 * @throws Error with a lowercase message naming the URL's problem: an
 *   unsupported scheme, a network failure, a timeout, an oversized or
 *   non-JSON body.
 */
export function requestJson(url: string, options: ProviderRequest = {}): Promise<ProviderResponse> {
  const target = parseHttpUrl(url);
  const body = options.form === undefined ? undefined : new URLSearchParams(options.form).toString();
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const tls = target.protocol === 'https:' && options.caPem !== undefined && options.caPem !== '' ? { ca: options.caPem } : {};

  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const request = send(target, { method: body === undefined ? 'GET' : 'POST', headers, ...tls }, (response) => {
      readJson(response).then(
        (result) => {
          clearTimeout(deadline);
          resolve(result);
        },
        (err: unknown) => {
          clearTimeout(deadline);
          reject(err);
        },
      );
    });
    // The deadline covers the whole exchange, body included: a socket idle
    // timeout alone would let a server that sends a byte now and then hold a
    // login open for ever.
    const deadline = setTimeout(() => {
      request.destroy(new Error(`request timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    request.end(body);
  });
}

/** Parses an http or https URL. @throws Error for any other scheme or an invalid URL. */
export function parseHttpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`"${url}" is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`"${url}" is not an http or https URL`);
  }
  return parsed;
}

/**
 * Checks that `pem` contains one or more X.509 certificates.
 * @throws Error naming the first block that does not parse.
 */
export function checkCaPem(pem: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate found');
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new Error(`certificate ${index + 1} does not parse: ${(err as Error).message}`);
    }
  }
}

function readJson(response: IncomingMessage): Promise<ProviderResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        response.destroy(new Error(`response is larger than ${MAX_RESPONSE_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    response.on('error', reject);
    response.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown });
      } catch {
        reject(new Error(`response with status ${response.statusCode ?? 0} is not JSON`));
      }
    });
  });
}
