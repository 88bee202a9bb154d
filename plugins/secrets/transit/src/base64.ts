/**
 * Strict base64 decoding. Node's `Buffer.from(text, 'base64')` skips
 * characters it does not know and accepts missing padding, so a typo would
 * silently change the data. These functions accept exactly what Go's
 * `base64.StdEncoding` and `base64.RawURLEncoding` accept, which is what
 * Vault accepts: Go's decoder also skips line breaks.
 */

const STANDARD_BODY = /^[A-Za-z0-9+/]*$/;
const URL_BODY = /^[A-Za-z0-9_-]*$/;

/** The decoded bytes, or a description of the problem that names no data. */
export type Base64Result = { bytes: Buffer } | { problem: string };

/**
 * Decodes standard base64 with padding.
 *
 * Valid input takes a fast path: Node decodes it, and the decoded length
 * shows whether Node skipped anything. Node.js 20's decoder skips
 * characters outside the alphabet and stops at an inner "=", so each such
 * character shortens the output. Some input decodes to the full length
 * anyway, so the fast path excludes it first: "-" and "_", which Node also
 * accepts, and any character above U+007F, which Node reads by its low byte
 * ("\u0141" as "A"). Input that fails the fast path gets the full check,
 * for its error message. The tests compare both paths on every short string
 * over a mixed alphabet.
 */
export function decodeStandardBase64(text: string): Base64Result {
  const compact = text.includes('\n') || text.includes('\r') ? text.replace(/[\r\n]/g, '') : text;
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;

  if (compact.length % 4 === 0 && !compact.includes('-') && !compact.includes('_') && Buffer.byteLength(compact, 'utf8') === compact.length) {
    const bytes = Buffer.from(compact, 'base64');
    if (bytes.length === (compact.length / 4) * 3 - padding) return { bytes };
  }

  const body = compact.slice(0, compact.length - padding);
  if (!STANDARD_BODY.test(body)) return { problem: `illegal base64 character at offset ${firstIllegal(body, STANDARD_BODY)}` };
  if (compact.length % 4 !== 0) return { problem: `base64 length ${compact.length} is not a multiple of 4` };
  return { bytes: Buffer.from(compact, 'base64') };
}

/** Decodes URL-safe base64 without padding, as JWS uses it. */
export function decodeRawUrlBase64(text: string): Base64Result {
  if (!URL_BODY.test(text)) return { problem: `illegal base64url character at offset ${firstIllegal(text, URL_BODY)}` };
  if (text.length % 4 === 1) return { problem: `base64url length ${text.length} leaves a single character over` };
  return { bytes: Buffer.from(text, 'base64url') };
}

/** Returns the offset of the first character that `body` (a whole-string pattern) rejects. */
function firstIllegal(text: string, body: RegExp): number {
  for (let i = 0; i < text.length; i++) {
    if (!body.test(text[i])) return i;
  }
  return text.length;
}
