/**
 * Splitting a request target into its path and query.
 */

/**
 * Request targets that WHATWG URL parsing returns unchanged as the pathname,
 * with no query. Each segment starts with a word character or "-", so no
 * segment is a dot segment, which the parser would remove. The pattern
 * excludes "%", "\", "?", "#", an empty segment and characters the parser
 * would percent-encode. Segments are separated by a required "/", so the
 * pattern cannot backtrack exponentially.
 */
const PLAIN_API_TARGET = /^\/v1\/[\w-][\w.@-]*(?:\/[\w-][\w.@-]*)*\/?$/;

/** The query of a target without one. Callers only read it. */
const NO_QUERY = new URLSearchParams();

/** A request target's path and query, with the names and meaning of `URL`'s properties. */
export interface RequestTarget {
  pathname: string;
  searchParams: URLSearchParams;
}

/**
 * Parses a request target (the URL of an HTTP request line) as `new URL`
 * does against an http base URL. A plain API path skips the parser, which
 * took about 0.6 us per call in a micro-benchmark on Node.js 20.
 */
export function parseRequestTarget(target: string): RequestTarget {
  if (PLAIN_API_TARGET.test(target)) return { pathname: target, searchParams: NO_QUERY };
  return new URL(target, 'http://coffer');
}
