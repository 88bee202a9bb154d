/**
 * Verification of AWS Signature Version 4 on requests to the IAM and STS
 * stand-in, following the steps in the AWS General Reference ("Create a
 * signed AWS API request"): canonical request, string to sign, signing key
 * derived from the secret key, date, region and service.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header. */
export interface SigV4Authorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTHORIZATION_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Parses the Authorization header; returns null when it is missing or not SigV4. */
export function parseAuthorization(header: string | undefined): SigV4Authorization | null {
  const match = AUTHORIZATION_PATTERN.exec(header ?? '');
  if (match === null) return null;
  return { accessKeyId: match[1], date: match[2], region: match[3], service: match[4], signedHeaders: match[5].split(';'), signature: match[6] };
}

/** Returns true when `authorization.signature` is the SigV4 signature of the request under `secretKey`. */
export function signatureMatches(
  authorization: SigV4Authorization,
  secretKey: string,
  request: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
): boolean {
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const url = new URL(request.url, 'http://stand-in');
  const canonicalQuery = [...url.searchParams.entries()]
    .map(([key, value]) => [encodeRfc3986(key), encodeRfc3986(value)])
    .sort(([a], [b]) => compareCodeUnits(a, b))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalHeaders = authorization.signedHeaders
    .map((name) => `${name}:${String(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const payloadHash = String(request.headers['x-amz-content-sha256'] ?? sha256Hex(request.body));
  const canonicalRequest = [request.method, url.pathname, canonicalQuery, canonicalHeaders, authorization.signedHeaders.join(';'), payloadHash].join('\n');

  const scope = `${authorization.date}/${authorization.region}/${authorization.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(Buffer.from(canonicalRequest))].join('\n');
  let key = hmac(Buffer.from(`AWS4${secretKey}`), authorization.date);
  for (const part of [authorization.region, authorization.service, 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign);
  return timingSafeEqual(expected, Buffer.from(authorization.signature, 'hex'));
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Compares by UTF-16 code unit, which orders the ASCII of encoded query keys as SigV4's byte order does. */
function compareCodeUnits(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
