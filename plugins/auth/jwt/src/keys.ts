/**
 * Signature verification against the configured key source: PEM keys from
 * the configuration, a JWKS URL, or the `jwks_uri` of an OIDC discovery
 * document. Fetched documents are cached per mount. A token whose `kid` is
 * not in the cached key set makes the cache fetch the set again, at most
 * once per refresh interval, so a stream of made-up key IDs cannot turn
 * logins into requests to the provider.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { compactVerify, createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';
import { keySourceKind, type ConfigEntry } from './config.js';
import { requestJson } from './http-client.js';

/** Signing algorithms a token may use: RSA, RSA-PSS, ECDSA and EdDSA. HMAC and `none` are never accepted. */
export const SUPPORTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** The parts of an OIDC discovery document the method uses. */
export interface ProviderMetadata {
  issuer: string;
  jwksUri: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

/** The reason a token's signature was rejected; the message is the API's error text. */
export class SignatureError extends Error {}

/** A verified token: its protected header and its payload bytes. */
export interface VerifiedToken {
  header: JWSHeaderParameters;
  payload: Uint8Array;
}

interface CachedKeySet {
  url: string;
  keys: JSONWebKeySet;
  /** When the set was fetched, in milliseconds since the epoch. */
  fetchedAt: number;
}

/** Timing of the key cache, in milliseconds. */
export interface KeyCacheTiming {
  /** Minimum time between two fetches caused by unknown key IDs. */
  refreshIntervalMs: number;
  /** Age after which a cached set is fetched again before use. */
  maxAgeMs: number;
}

export const DEFAULT_KEY_CACHE_TIMING: KeyCacheTiming = { refreshIntervalMs: 10_000, maxAgeMs: 3_600_000 };

/** Cached provider documents of one mount. `invalidate` drops them when the configuration changes. */
export class KeyCache {
  private keySet: CachedKeySet | undefined;
  private metadata: { url: string; value: ProviderMetadata } | undefined;
  private pending: Promise<CachedKeySet> | undefined;
  /** Number of key set fetches, for tests of the rate limit. */
  fetchCount = 0;

  constructor(
    private readonly now: () => number,
    private readonly timing: KeyCacheTiming = DEFAULT_KEY_CACHE_TIMING,
  ) {}

  invalidate(): void {
    this.keySet = undefined;
    this.metadata = undefined;
    this.pending = undefined;
  }

  /**
   * Verifies the token's signature with the configured keys, allowing only `algorithms`.
   * @throws SignatureError for a malformed token, a disallowed algorithm or a signature no key verifies.
   * @throws Error when a key set or discovery document cannot be fetched.
   */
  async verify(config: ConfigEntry, token: string, algorithms: readonly string[]): Promise<VerifiedToken> {
    const kind = keySourceKind(config);
    if (kind === 'static') return verifyWithStaticKeys(config.jwtValidationPubkeys, token, algorithms);

    const url = kind === 'jwks' ? config.jwksUrl : (await this.discover(config)).jwksUri;
    const caPem = kind === 'jwks' ? config.jwksCaPem : config.oidcDiscoveryCaPem;
    let set = await this.currentKeySet(url, caPem);
    try {
      return await verifyWithKeySet(set.keys, token, algorithms);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw translate(err);
      if (this.now() - set.fetchedAt < this.timing.refreshIntervalMs) throw translate(err);
    }
    // The token names a key the cached set lacks, so the provider may have rotated its keys.
    set = await this.fetchKeySet(url, caPem);
    try {
      return await verifyWithKeySet(set.keys, token, algorithms);
    } catch (err) {
      throw translate(err);
    }
  }

  /**
   * Returns the provider's discovery document, fetching it on first use.
   * @throws Error when it cannot be fetched, is not valid, or names another issuer.
   */
  async discover(config: ConfigEntry): Promise<ProviderMetadata> {
    if (this.metadata?.url === config.oidcDiscoveryUrl) return this.metadata.value;
    const value = await fetchDiscovery(config.oidcDiscoveryUrl, config.oidcDiscoveryCaPem);
    this.metadata = { url: config.oidcDiscoveryUrl, value };
    return value;
  }

  private async currentKeySet(url: string, caPem: string): Promise<CachedKeySet> {
    const cached = this.keySet;
    if (cached !== undefined && cached.url === url && this.now() - cached.fetchedAt < this.timing.maxAgeMs) return cached;
    return this.fetchKeySet(url, caPem);
  }

  /** Fetches the key set; concurrent callers share one request. */
  private fetchKeySet(url: string, caPem: string): Promise<CachedKeySet> {
    this.pending ??= (async () => {
      try {
        this.fetchCount += 1;
        const keys = await fetchKeySet(url, caPem);
        this.keySet = { url, keys, fetchedAt: this.now() };
        return this.keySet;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}

/**
 * Fetches and checks a JWKS document.
 * @throws Error naming the URL and the problem.
 */
export async function fetchKeySet(url: string, caPem: string): Promise<JSONWebKeySet> {
  const response = await requestJson(url, { caPem });
  if (response.status !== 200) throw new Error(`fetching "${url}" returned status ${response.status}`);
  const body = response.body as { keys?: unknown };
  if (typeof body !== 'object' || body === null || !Array.isArray(body.keys)) {
    throw new Error(`"${url}" did not return a JSON Web Key Set with a "keys" list`);
  }
  // createLocalJWKSet checks each key's members and rejects a malformed set here rather than at login.
  try {
    createLocalJWKSet(body as JSONWebKeySet);
  } catch (err) {
    throw new Error(`"${url}" returned an invalid key set: ${(err as Error).message}`);
  }
  return body as JSONWebKeySet;
}

/**
 * Fetches and checks an OIDC discovery document (OpenID Connect Discovery
 * 1.0, section 4): its `issuer` must equal the URL it was fetched from.
 * @throws Error naming the URL and the problem.
 */
export async function fetchDiscovery(issuerUrl: string, caPem: string): Promise<ProviderMetadata> {
  const url = `${issuerUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await requestJson(url, { caPem });
  if (response.status !== 200) throw new Error(`fetching "${url}" returned status ${response.status}`);
  const body = response.body as Record<string, unknown>;
  if (typeof body !== 'object' || body === null) throw new Error(`"${url}" did not return a JSON object`);
  if (body.issuer !== issuerUrl) {
    throw new Error(`issuer did not match the issuer returned by provider, expected "${issuerUrl}" got "${String(body.issuer)}"`);
  }
  if (typeof body.jwks_uri !== 'string' || body.jwks_uri === '') throw new Error(`"${url}" has no "jwks_uri"`);
  return {
    issuer: issuerUrl,
    jwksUri: body.jwks_uri,
    authorizationEndpoint: typeof body.authorization_endpoint === 'string' ? body.authorization_endpoint : '',
    tokenEndpoint: typeof body.token_endpoint === 'string' ? body.token_endpoint : '',
  };
}

/**
 * Parses a PEM public key or certificate.
 * @throws Error for a private key or anything that does not parse.
 */
export function parsePublicKeyPem(pem: string): KeyObject {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new Error('a private key was given, expected a public key or certificate');
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType === undefined) throw new Error('not an asymmetric public key');
  return key;
}

async function verifyWithStaticKeys(pems: string[], token: string, algorithms: readonly string[]): Promise<VerifiedToken> {
  for (const pem of pems) {
    try {
      const result = await compactVerify(token, parsePublicKeyPem(pem), { algorithms: [...algorithms] });
      return { header: result.protectedHeader, payload: result.payload };
    } catch (err) {
      // A key of another type or a wrong signature moves on to the next key, but a bad token or algorithm ends the search.
      if (err instanceof errors.JWSInvalid || err instanceof errors.JOSEAlgNotAllowed) throw translate(err);
    }
  }
  throw new SignatureError('error verifying token signature: no known key successfully validated the token signature');
}

async function verifyWithKeySet(keys: JSONWebKeySet, token: string, algorithms: readonly string[]): Promise<VerifiedToken> {
  const options = { algorithms: [...algorithms] };
  try {
    const result = await compactVerify(token, createLocalJWKSet(keys), options);
    return { header: result.protectedHeader, payload: result.payload };
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    // Several keys fit the header (no `kid`, or a repeated one), so try each.
    for await (const key of err as unknown as AsyncIterable<Parameters<typeof compactVerify>[1]>) {
      try {
        const result = await compactVerify(token, key, options);
        return { header: result.protectedHeader, payload: result.payload };
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/** Turns a jose error into a SignatureError with the API's text; other errors pass through. */
function translate(err: unknown): unknown {
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return new SignatureError('invalid algorithm (alg) header parameter: token signed with unexpected algorithm');
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return new SignatureError(`error parsing token: ${err.message}`);
  if (err instanceof errors.JWKSNoMatchingKey) {
    return new SignatureError('error verifying token signature: no key in the key set matches the token header');
  }
  if (err instanceof errors.JOSEError) return new SignatureError('error verifying token signature: failed to verify id token signature');
  return err;
}
