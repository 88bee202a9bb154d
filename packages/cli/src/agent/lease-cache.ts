// The response cache of the API proxy, as Vault Agent's `cache` stanza
// turns on. It keeps the responses that create a token (logins and
// auth/token/create) and the responses that carry a lease (dynamic secrets
// such as database credentials), keyed by a hash of the request and the
// token it was sent with. As in Vault Agent, a lifetime watcher renews each
// entry's token or lease before it expires (lifetime-watcher.ts). An entry
// lives until renewal fails or can no longer extend it, its TTL ends, a
// revocation sent through the proxy removes it, or /agent/v1/cache-clear
// clears it. Entries form a tree, as in Vault Agent: a lease or a child
// token hangs under the cached token that created it, so evicting a token
// evicts everything created with it.
import { createHash } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { ClientConfig } from '../client.js';
import type { RenewalResult, WatcherEnd } from './lifetime-watcher.js';
import { LifetimeWatcher, monotonicNow, TimerSet } from './lifetime-watcher.js';
import type { AgentLogger } from './log.js';
import type { RenewalTarget } from './renewal-client.js';
import { sendRenewal } from './renewal-client.js';

/** Maximum number of cached responses; the oldest is evicted to make room. */
export const defaultMaxEntries = 10_000;

/** Largest response body the cache stores; a larger response is passed through. */
export const maxCachedBodyBytes = 1024 * 1024;

/**
 * Maximum total size of the cached response bodies; the oldest entries are
 * evicted to make room. Without it, 10,000 responses of up to 1 MiB each
 * could hold about 10 GiB.
 */
export const defaultMaxBytes = 128 * 1024 * 1024;

/** A proxied request, as the cache key and the cache rules need it. */
export interface CacheRequest {
  method: string;
  /** URL path with the API version, such as /v1/auth/userpass/login/app. */
  path: string;
  /** Query string with its leading "?", or "". */
  query: string;
  body: Buffer;
  /** Token the server uses for the request: X-Vault-Token, else the bearer token, else "". */
  token: string;
  /** Namespace from X-Vault-Namespace, in the form "root/" or "team/". */
  namespace: string;
  /** Request headers other than the token that change the response, such as X-Vault-Wrap-TTL, as "name: value". */
  varyingHeaders: string[];
}

/** A response the cache can serve again. */
export interface CachedResponse {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
  /** Time the response was stored, in milliseconds since the epoch. */
  storedAt: number;
}

type EntryKind = 'token' | 'lease' | 'auto-auth';

interface CacheEntry {
  /** Cache key of the request; undefined for the auto-auth token, which has no response to serve. */
  key?: string;
  kind: EntryKind;
  requestPath: string;
  namespace: string;
  /** Token the creating request was sent with. */
  requestToken: string;
  /** Token the response created, for token entries and the auto-auth token. */
  token?: string;
  accessor?: string;
  leaseId?: string;
  response?: CachedResponse;
  /** The cached token the entry was created with; revoking or evicting it evicts this entry too. */
  parent?: CacheEntry;
  dependents: Set<CacheEntry>;
  /** End of the token's or lease's TTL in milliseconds on the monotonic clock; undefined when it has no TTL. */
  expiresAt?: number;
  /** Evicts the entry when its TTL ends. */
  timer?: NodeJS.Timeout;
  /** Watcher that renews the token or lease. It is undefined for the auto-auth token, which the agent's auth handler renews. */
  watcher?: LifetimeWatcher;
}

/** The types of /agent/v1/cache-clear, as Vault Agent names them. */
export const cacheClearTypes = ['request_path', 'lease', 'token', 'token_accessor', 'all'] as const;
export type CacheClearType = (typeof cacheClearTypes)[number];

/** Headers other than the token that change what the server returns for the same request. */
const varyingHeaderNames = ['x-vault-wrap-ttl', 'x-vault-wrap-format', 'x-vault-mfa', 'x-vault-policy-override'];

/** Returns the request headers that belong in the cache key, as "name: value". */
export function varyingHeaders(headers: OutgoingHttpHeaders): string[] {
  return varyingHeaderNames.filter((name) => headers[name] !== undefined).map((name) => `${name}: ${String(headers[name])}`);
}

/** Returns the namespace in the form the cache stores: "root/" for none, else the path with one trailing slash. */
export function canonicalNamespace(namespace: string | undefined): string {
  const trimmed = (namespace ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed === '' || trimmed === 'root' ? 'root/' : `${trimmed}/`;
}

/**
 * Returns the cache key of a request: a SHA-256 hash of its method, path,
 * query, namespace, varying headers, token and body. Requests that differ
 * in any of them, such as two callers with different tokens, never share an entry.
 */
export function cacheKey(request: CacheRequest): string {
  const head = JSON.stringify([request.method, request.path, request.query, request.namespace, request.varyingHeaders, request.token]);
  return createHash('sha256').update(head).update('\n').update(request.body).digest('hex');
}

/** The response fields the cache reads. */
interface ResponseEnvelope {
  lease_id?: unknown;
  lease_duration?: unknown;
  renewable?: unknown;
  auth?: { client_token?: unknown; accessor?: unknown; lease_duration?: unknown; renewable?: unknown; orphan?: unknown } | null;
}

/**
 * Returns the path the server routes a request to: the URL path without
 * /v1/, percent-decoded as the server decodes it, with the legacy paths
 * sys/revoke, sys/revoke-prefix, sys/revoke-force and sys/renew, which the
 * server also serves, written under sys/leases/. Returns undefined for a
 * path that is not valid percent-encoding, which the server rejects.
 */
export function routedPath(urlPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.replace(/^\/v1\//, ''));
  } catch {
    return undefined;
  }
  return path.replace(/^sys\/(revoke|revoke-prefix|revoke-force|renew)(?=\/|$)/, 'sys/leases/$1');
}

/** Returns the folder of the server's lease IDs for tokens created at a request path: the path's segments, then "/". */
function tokenLeaseFolder(urlPath: string): string {
  const path = routedPath(urlPath) ?? urlPath.replace(/^\/v1\//, '');
  return `${path.split('/').filter((segment) => segment !== '').join('/')}/`;
}

function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function stringField(object: Record<string, unknown> | undefined, field: string): string | undefined {
  const value = object?.[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function seconds(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/** Options of a cache; the defaults suit an agent, tests set smaller limits. */
export interface LeaseCacheOptions {
  maxEntries?: number;
  /** Maximum total size of the cached response bodies, in bytes. */
  maxBytes?: number;
  /** Sends one renewal request. Tests replace it to make the server fail. */
  renew?: (server: ClientConfig, target: RenewalTarget, signal: AbortSignal) => Promise<RenewalResult>;
  /** Random number in [0, 1) for the renewal jitter. */
  random?: () => number;
  /** First retry wait, in milliseconds, after a renewal without a response. */
  retryIntervalMs?: number;
}

export class LeaseCache {
  /** Entries with a response, by cache key, in the order they were stored. */
  private readonly entries = new Map<string, CacheEntry>();
  private readonly byToken = new Map<string, CacheEntry>();
  private readonly byAccessor = new Map<string, CacheEntry>();
  private readonly byLease = new Map<string, CacheEntry>();
  /** Requests sent to the server whose response may be cached, by cache key. */
  private readonly inflight = new Map<string, Promise<void>>();
  private autoAuth: CacheEntry | undefined;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private storedBytes = 0;
  /** TTL and renewal timers, all cancelled by close(). */
  private readonly timers = new TimerSet();
  private closed = false;

  constructor(
    private readonly logger: AgentLogger,
    private readonly options: LeaseCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? defaultMaxEntries;
    this.maxBytes = options.maxBytes ?? defaultMaxBytes;
  }

  /** Number of cached responses, not counting the auto-auth token. */
  get size(): number {
    return this.entries.size;
  }

  /** Total size of the cached response bodies, in bytes. */
  get bytes(): number {
    return this.storedBytes;
  }

  /** Number of TTL and renewal timers that have neither fired nor been cancelled. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Registers the agent's auto-auth token, so leases and child tokens
   * created with it are cached, as Vault Agent does. A new token replaces
   * the previous one and evicts what was created with the previous one,
   * because the server revokes those when the previous token ends.
   */
  registerAutoAuthToken(token: string): void {
    if (this.autoAuth?.token === token) return;
    if (this.autoAuth !== undefined) this.evict(this.autoAuth);
    const entry: CacheEntry = { kind: 'auto-auth', requestPath: '', namespace: 'root/', requestToken: '', token, dependents: new Set() };
    this.autoAuth = entry;
    this.byToken.set(token, entry);
  }

  /**
   * Waits until no identical request is in flight, then returns the cached
   * response, or a function to call once this request's response has been
   * cached or passed through. Identical requests that miss together thus
   * make one request to the server, and the others are served from the cache.
   * When that response was not stored, the others are all sent on at once.
   */
  async begin(key: string): Promise<{ hit: CachedResponse } | { release: () => void }> {
    let waited = false;
    for (let pending = this.inflight.get(key); pending !== undefined; pending = this.inflight.get(key)) {
      waited = true;
      await pending;
    }

    const hit = this.lookup(key);
    if (hit !== undefined) return { hit };
    // The request this one waited for got a response the cache did not keep, such as an error or a
    // KV secret. The next identical response is unlikely to be kept either, and waiting in turn
    // would send the requests one after another.
    if (waited) return { release: () => undefined };

    let resolve: () => void = () => undefined;
    const pending = new Promise<void>((done) => (resolve = done));
    this.inflight.set(key, pending);
    return {
      release: () => {
        if (this.inflight.get(key) === pending) this.inflight.delete(key);
        resolve();
      },
    };
  }

  /** Returns the cached response for `key`, evicting it first when its TTL has ended. */
  lookup(key: string): CachedResponse | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= monotonicNow()) {
      this.evict(entry);
      return undefined;
    }
    return entry.response;
  }

  /**
   * Processes a response from the server: a renewal updates the TTL of its
   * entry, a revocation evicts entries, and a response that creates a token
   * or carries a lease is stored under `key`. `server` is where the request
   * went; a stored entry is renewed there. Without it, entries are not renewed.
   */
  observe(key: string, request: CacheRequest, response: CachedResponse, server?: ClientConfig): void {
    if (this.closed) return;
    if (response.status < 200 || response.status >= 300) return;
    const path = routedPath(request.path);
    if (path === undefined) return;
    const requestBody = parseObject(request.body);
    if (request.method === 'DELETE' && this.handleUnmount(path)) return;
    if (this.handleRevocation(path, request.token, requestBody)) return;

    const contentType = String(response.headers['content-type'] ?? '');
    if (!/^application\/json\b/.test(contentType)) return;
    const envelope = parseObject(response.body) as ResponseEnvelope | undefined;
    if (envelope === undefined) return;
    if (this.handleRenewal(path, request.token, requestBody, envelope)) return;

    // A wrapping token works once. Serving its unwrapped token again would hand it to anyone who
    // replays the wrapping token, and hide the failed second unwrap that reveals interception.
    if (path === 'sys/wrapping/unwrap') return;
    if (this.entries.has(key)) return;
    const entry = this.newEntry(key, request, response, envelope);
    if (entry === undefined) return;
    this.store(entry, server);
  }

  /** Builds the entry for a response that creates a token or carries a lease, or returns undefined for one the cache does not keep. */
  private newEntry(key: string, request: CacheRequest, response: CachedResponse, envelope: ResponseEnvelope): CacheEntry | undefined {
    const base = { key, requestPath: request.path, namespace: request.namespace, requestToken: request.token, response, dependents: new Set<CacheEntry>() };
    const auth = typeof envelope.auth === 'object' && envelope.auth !== null ? (envelope.auth as Record<string, unknown>) : undefined;
    const createdToken = stringField(auth, 'client_token');
    const leaseId = stringField(envelope as Record<string, unknown>, 'lease_id');

    if (createdToken !== undefined) {
      // As in Vault Agent: a token that cannot be renewed is passed through, and a child token is
      // cached only when its parent is, so that revoking the parent can evict it.
      if (auth?.renewable !== true) return undefined;
      const parent = auth.orphan === true ? undefined : this.byToken.get(request.token);
      if (auth.orphan !== true && parent === undefined) return undefined;
      return { ...base, kind: 'token', token: createdToken, accessor: stringField(auth, 'accessor'), parent, expiresAt: this.expiry(seconds(auth.lease_duration)) };
    }
    if (leaseId !== undefined) {
      // A lease is cached only when the token that created it is, as in Vault Agent.
      if (envelope.renewable !== true) return undefined;
      const parent = this.byToken.get(request.token);
      if (parent === undefined) return undefined;
      return { ...base, kind: 'lease', leaseId, parent, expiresAt: this.expiry(seconds(envelope.lease_duration)) };
    }
    return undefined;
  }

  private expiry(ttlSeconds: number): number | undefined {
    return ttlSeconds > 0 ? monotonicNow() + ttlSeconds * 1000 : undefined;
  }

  private store(entry: CacheEntry, server: ClientConfig | undefined): void {
    const size = entry.response?.body.length ?? 0;
    if (size > this.maxBytes) {
      this.logger.debug('response is larger than the cache, not storing it', { kind: entry.kind, path: entry.requestPath, bytes: size, max_bytes: this.maxBytes });
      return;
    }
    this.entries.set(entry.key!, entry);
    this.storedBytes += size;
    if (entry.token !== undefined) this.byToken.set(entry.token, entry);
    if (entry.accessor !== undefined) this.byAccessor.set(entry.accessor, entry);
    if (entry.leaseId !== undefined) this.byLease.set(entry.leaseId, entry);
    entry.parent?.dependents.add(entry);
    this.schedule(entry);
    if (server !== undefined) this.watch(entry, server);
    this.logger.debug('stored response in cache', { kind: entry.kind, path: entry.requestPath, entries: this.entries.size });

    while (this.entries.size > this.maxEntries || this.storedBytes > this.maxBytes) {
      const oldest = this.entries.values().next().value as CacheEntry;
      this.logger.debug('cache is full, evicting oldest entry', { kind: oldest.kind, path: oldest.requestPath, max_entries: this.maxEntries, max_bytes: this.maxBytes });
      this.evict(oldest);
    }
  }

  /** Arms the timer that evicts an entry when its TTL ends. */
  private schedule(entry: CacheEntry): void {
    this.timers.clear(entry.timer);
    entry.timer = undefined;
    if (entry.expiresAt === undefined) return;
    const expiresAt = entry.expiresAt;
    entry.timer = this.timers.set(() => {
      entry.timer = undefined;
      // A TTL beyond the longest timer delay takes more than one wait.
      if (expiresAt > monotonicNow()) {
        this.schedule(entry);
        return;
      }
      this.logger.debug('cache entry TTL ended, evicting it', { kind: entry.kind, path: entry.requestPath });
      this.evict(entry);
    }, expiresAt - monotonicNow());
  }

  /**
   * Starts the lifetime watcher of a stored entry: a lease is renewed with
   * the token it was requested with, a token with itself, as Vault Agent
   * renews them. The entry is evicted when the watcher ends by itself.
   */
  private watch(entry: CacheEntry, server: ClientConfig): void {
    if (entry.expiresAt === undefined || !this.entries.has(entry.key!)) return;
    const target: RenewalTarget =
      entry.kind === 'lease'
        ? { kind: 'lease', leaseId: entry.leaseId!, token: entry.requestToken, namespace: entry.namespace }
        : { kind: 'token', token: entry.token!, namespace: entry.namespace };
    const renew = this.options.renew ?? sendRenewal;
    const fields = { kind: entry.kind, path: entry.requestPath };
    entry.watcher = new LifetimeWatcher({
      leaseSeconds: (entry.expiresAt - monotonicNow()) / 1000,
      renew: (signal) => renew(server, target, signal),
      onRenewed: (ttl) => {
        this.logger.debug('renewed cache entry', { ...fields, ttl });
        entry.expiresAt = this.expiry(ttl);
        this.schedule(entry);
      },
      onDone: (end: WatcherEnd) => {
        entry.watcher = undefined;
        if (end.reason === 'failed') this.logger.warn('renewing cache entry failed, evicting it', { ...fields, error: end.message });
        else this.logger.debug('cache entry cannot be renewed further, evicting it', fields);
        const evicted = this.evict(entry);
        if (evicted > 1) this.logger.debug('evicted entries created with the token', { ...fields, evicted: evicted - 1 });
      },
      timers: this.timers,
      random: this.options.random,
      retryIntervalMs: this.options.retryIntervalMs,
    });
    entry.watcher.start();
  }

  /** Removes an entry and everything created with it, and returns how many cached responses went. */
  private evict(entry: CacheEntry): number {
    // A chain of child tokens can be thousands deep, deeper than the stack allows recursion, so the
    // tree is listed parents first and removed children first.
    const tree = [entry];
    for (let index = 0; index < tree.length; index += 1) {
      for (const dependent of tree[index].dependents) tree.push(dependent);
    }

    let evicted = 0;
    for (let index = tree.length - 1; index >= 0; index -= 1) evicted += this.remove(tree[index]);
    return evicted;
  }

  /** Removes one entry whose dependents are gone, and returns 1 when it had a cached response. */
  private remove(entry: CacheEntry): number {
    let evicted = 0;
    this.timers.clear(entry.timer);
    entry.timer = undefined;
    entry.watcher?.stop();
    entry.watcher = undefined;
    entry.parent?.dependents.delete(entry);
    if (entry.key !== undefined && this.entries.get(entry.key) === entry) {
      this.entries.delete(entry.key);
      this.storedBytes -= entry.response?.body.length ?? 0;
      evicted += 1;
    }
    if (entry.token !== undefined && this.byToken.get(entry.token) === entry) this.byToken.delete(entry.token);
    if (entry.accessor !== undefined && this.byAccessor.get(entry.accessor) === entry) this.byAccessor.delete(entry.accessor);
    if (entry.leaseId !== undefined && this.byLease.get(entry.leaseId) === entry) this.byLease.delete(entry.leaseId);
    if (this.autoAuth === entry) this.autoAuth = undefined;
    return evicted;
  }

  /**
   * Evicts a token's entry and what was created with it. For the auto-auth
   * token only the entries created with it go, so that later leases are
   * still cached.
   */
  private evictToken(entry: CacheEntry | undefined): number {
    if (entry === undefined) return 0;
    if (entry !== this.autoAuth) return this.evict(entry);
    let evicted = 0;
    for (const dependent of [...entry.dependents]) evicted += this.evict(dependent);
    return evicted;
  }

  /** Evicts what a successful revocation sent through the proxy ended, and returns whether `path` is a revocation. */
  private handleRevocation(path: string, requestToken: string, body: Record<string, unknown> | undefined): boolean {
    let evicted: number;
    if (path === 'auth/token/revoke') evicted = this.evictToken(this.byToken.get(stringField(body, 'token') ?? ''));
    else if (path === 'auth/token/revoke-self') evicted = this.evictToken(this.byToken.get(requestToken));
    else if (path === 'auth/token/revoke-accessor') evicted = this.evictToken(this.byAccessor.get(stringField(body, 'accessor') ?? ''));
    else if (path === 'auth/token/revoke-orphan') evicted = this.evictOrphaning(this.byToken.get(stringField(body, 'token') ?? ''));
    else if (path === 'sys/leases/revoke' || path.startsWith('sys/leases/revoke/')) {
      // The server takes the lease ID from the body when both the body and the path give one.
      const leaseId = stringField(body, 'lease_id') ?? path.slice('sys/leases/revoke/'.length);
      const entry = this.byLease.get(leaseId);
      evicted = entry === undefined ? this.evictTokenLease(leaseId) : this.evict(entry);
    } else if (path.startsWith('sys/leases/revoke-prefix/') || path.startsWith('sys/leases/revoke-force/')) {
      evicted = this.evictPrefix(path.slice(path.indexOf('/', 'sys/leases/'.length) + 1));
    } else {
      return false;
    }
    this.logger.debug('revocation through the proxy evicted cache entries', { path: path.replace(/^(sys\/leases\/revoke)\/.*/, '$1'), evicted });
    return true;
  }

  /**
   * Evicts what a successful disable of a mount sent through the proxy
   * revoked, and returns whether `path` disables a mount. The server revokes
   * every lease of a disabled secrets engine and every token of a disabled
   * auth method.
   */
  private handleUnmount(path: string): boolean {
    const match = /^sys\/(mounts|auth)\/(.+)$/.exec(path);
    if (match === null) return false;
    const mountPath = match[2].replace(/\/+$/, '');
    if (mountPath === '') return false;
    const evicted = this.evictPrefix(match[1] === 'auth' ? `auth/${mountPath}/` : `${mountPath}/`);
    this.logger.debug('disabling a mount through the proxy evicted cache entries', { path: `sys/${match[1]}`, evicted });
    return true;
  }

  /**
   * Evicts a token revoked with revoke-orphan and the leases created with it.
   * Its child tokens stay valid on the server, so their entries stay cached
   * with no parent.
   */
  private evictOrphaning(entry: CacheEntry | undefined): number {
    if (entry === undefined) return 0;
    for (const dependent of [...entry.dependents]) {
      if (dependent.kind !== 'token') continue;
      entry.dependents.delete(dependent);
      dependent.parent = undefined;
    }
    return this.evictToken(entry);
  }

  /**
   * Evicts the tokens whose lease may be `leaseId`, because revoking a
   * token's lease revokes the token. The server names that lease
   * `<path>/<hash>`, and the cache cannot compute the hash, so every token
   * created at `<path>` goes.
   */
  private evictTokenLease(leaseId: string): number {
    let evicted = 0;
    for (const entry of [...this.entries.values()]) {
      if (!this.entries.has(entry.key!) || entry.kind !== 'token') continue;
      const folder = tokenLeaseFolder(entry.requestPath);
      if (leaseId.startsWith(folder) && !leaseId.slice(folder.length).includes('/')) evicted += this.evict(entry);
    }
    return evicted;
  }

  /**
   * Evicts the leases whose ID starts with `prefix`, as sys/leases/revoke-prefix
   * revokes them. Tokens go too when their lease may be under `prefix`. The
   * server names a token's lease `<path>/<hash>` after the path that created
   * it, and the cache cannot compute the hash. So a prefix that names one
   * token's lease evicts every token created at that path.
   */
  private evictPrefix(prefix: string): number {
    let evicted = 0;
    for (const entry of [...this.entries.values()]) {
      if (!this.entries.has(entry.key!)) continue;
      let matches: boolean;
      if (entry.kind === 'lease') {
        matches = entry.leaseId!.startsWith(prefix);
      } else {
        const folder = tokenLeaseFolder(entry.requestPath);
        matches = folder.startsWith(prefix) || prefix.startsWith(folder);
      }
      if (matches) evicted += this.evict(entry);
    }
    return evicted;
  }

  /** Updates the TTL of the entry a successful renewal sent through the proxy extended, and returns whether `path` is a renewal. */
  private handleRenewal(path: string, requestToken: string, body: Record<string, unknown> | undefined, envelope: ResponseEnvelope): boolean {
    let entry: CacheEntry | undefined;
    let ttl: number;
    if (path === 'sys/leases/renew' || path.startsWith('sys/leases/renew/')) {
      entry = this.byLease.get(stringField(envelope as Record<string, unknown>, 'lease_id') ?? '');
      ttl = seconds(envelope.lease_duration);
    } else if (path === 'auth/token/renew' || path === 'auth/token/renew-self' || path === 'auth/token/renew-accessor') {
      if (path === 'auth/token/renew') entry = this.byToken.get(stringField(body, 'token') ?? '');
      else if (path === 'auth/token/renew-self') entry = this.byToken.get(requestToken);
      else entry = this.byAccessor.get(stringField(body, 'accessor') ?? '');
      ttl = seconds(envelope.auth?.lease_duration);
    } else {
      return false;
    }
    if (entry === undefined || entry === this.autoAuth) return true;
    entry.expiresAt = this.expiry(ttl);
    this.schedule(entry);
    // The watcher counts the renewal as its own, so its next renewal comes at two thirds of the new TTL.
    const renewable = path.startsWith('sys/') ? envelope.renewable === true : envelope.auth?.renewable === true;
    entry.watcher?.renewedElsewhere(ttl, renewable);
    this.logger.debug('renewal through the proxy extended a cache entry', { kind: entry.kind, path: entry.requestPath, ttl });
    return true;
  }

  /**
   * Evicts the entries a /agent/v1/cache-clear request names and returns how
   * many cached responses went. `value` is a request path prefix, a lease ID,
   * a token or an accessor, and is ignored for "all". `namespace` applies to
   * "request_path" only.
   */
  clear(type: CacheClearType, value: string, namespace: string): number {
    let evicted = 0;
    switch (type) {
      case 'request_path':
        for (const entry of [...this.entries.values()]) {
          if (!this.entries.has(entry.key!)) continue;
          if (entry.namespace === namespace && entry.requestPath.startsWith(value)) evicted += this.evict(entry);
        }
        break;
      case 'lease': {
        const entry = this.byLease.get(value);
        evicted = entry === undefined ? 0 : this.evict(entry);
        break;
      }
      case 'token':
        evicted = this.evictToken(this.byToken.get(value));
        break;
      case 'token_accessor':
        evicted = this.evictToken(this.byAccessor.get(value));
        break;
      case 'all':
        for (const entry of [...this.entries.values()]) if (this.entries.has(entry.key!)) evicted += this.evict(entry);
        break;
    }
    this.logger.info('cleared cache entries', { type, evicted });
    return evicted;
  }

  /**
   * Stops every lifetime watcher, aborts the renewals in flight and cancels
   * every timer, for an agent that stops. The cache then stores nothing more.
   */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) {
      entry.watcher?.stop();
      entry.watcher = undefined;
      entry.timer = undefined;
    }
    this.timers.clearAll();
  }
}
