/**
 * One rate limit quota and the request counts it keeps per client address.
 *
 * Each client gets `rate` requests per window of `interval` seconds, the
 * window starting at the client's first request. A client that exceeds the
 * rate is rejected until its window ends, or for `block_interval` seconds
 * from the rejection when that is set. Counts live in memory on the node
 * that serves the requests and are not shared between nodes, as in Vault.
 */

/** A rate limit quota as stored and served at `sys/quotas/rate-limit/:name`. */
export interface RateLimitQuota {
  name: string;
  /** Mount path with a trailing slash, such as `secret/` or `auth/userpass/`; empty for a global quota. */
  mountPath: string;
  /**
   * Path below the mount without a trailing slash, such as `data/team1`;
   * empty for a quota on the whole mount. A trailing `*` makes it a prefix.
   */
  pathSuffix: string;
  /** Requests per interval, as written; the limit is this rounded to an integer. */
  rate: number;
  /** Seconds. */
  interval: number;
  /** Seconds a client stays blocked after it exceeds the rate; 0 for no block. */
  blockInterval: number;
  /** Vault's namespace inheritance flag: true for a global quota, false otherwise. */
  inheritable: boolean;
}

/** The outcome of one request against a quota. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests per interval (`X-Ratelimit-Limit`). */
  limit: number;
  /** Requests left in the client's current window (`X-Ratelimit-Remaining`). */
  remaining: number;
  /** Whole seconds until the client's window ends (`X-Ratelimit-Reset`). */
  resetSeconds: number;
  /** Whole seconds until a rejected client may send again (`Retry-After`); 0 when allowed. */
  retryAfterSeconds: number;
}

/**
 * Maximum number of client addresses one quota tracks. Past it, the
 * address tracked longest is dropped, so memory stays bounded even when the
 * clients of one interval outnumber it.
 */
export const MAX_CLIENTS_PER_QUOTA = 100_000;

interface ClientWindow {
  remaining: number;
  /** Epoch milliseconds when the window ends and the count starts over. */
  resetAt: number;
  /** Epoch milliseconds until which the client is blocked; 0 when it is not. */
  blockedUntil: number;
}

export class RateLimiter {
  readonly limit: number;
  private readonly intervalMs: number;
  private readonly blockMs: number;
  /** Windows by client address, in the order their windows started, so the first is the oldest. */
  private readonly clients = new Map<string, ClientWindow>();

  constructor(readonly quota: RateLimitQuota) {
    this.limit = Math.round(quota.rate);
    this.intervalMs = quota.interval * 1000;
    this.blockMs = quota.blockInterval * 1000;
  }

  /** Counts one request from `address` at `now` (epoch milliseconds) and decides whether it may pass. */
  take(address: string, now: number): RateLimitDecision {
    let window = this.clients.get(address);
    if (window === undefined || now >= window.resetAt) {
      const blockedUntil = window?.blockedUntil ?? 0;
      // Re-inserted, so the map stays ordered by window start for eviction.
      if (window !== undefined) this.clients.delete(address);
      else if (this.clients.size >= MAX_CLIENTS_PER_QUOTA) this.evictOldest();
      window = { remaining: this.limit, resetAt: now + this.intervalMs, blockedUntil };
      this.clients.set(address, window);
    }

    if (window.blockedUntil > now) return this.rejected(window, window.blockedUntil - now, now);
    if (window.remaining > 0) {
      window.remaining -= 1;
      return { allowed: true, limit: this.limit, remaining: window.remaining, resetSeconds: secondsUntil(window.resetAt, now), retryAfterSeconds: 0 };
    }
    if (this.blockMs > 0) {
      window.blockedUntil = now + this.blockMs;
      return this.rejected(window, this.blockMs, now);
    }
    return this.rejected(window, window.resetAt - now, now);
  }

  /** Drops the clients whose window and block have both ended, which count as new clients anyway. Returns how many it dropped. */
  sweep(now: number): number {
    let dropped = 0;
    for (const [address, window] of this.clients) {
      if (now >= window.resetAt && now >= window.blockedUntil) {
        this.clients.delete(address);
        dropped += 1;
      }
    }
    return dropped;
  }

  /** The number of client addresses tracked. */
  get clientCount(): number {
    return this.clients.size;
  }

  private rejected(window: ClientWindow, waitMs: number, now: number): RateLimitDecision {
    return { allowed: false, limit: this.limit, remaining: window.remaining, resetSeconds: secondsUntil(window.resetAt, now), retryAfterSeconds: Math.ceil(waitMs / 1000) };
  }

  private evictOldest(): void {
    const oldest = this.clients.keys().next();
    // NOTE: an evicted client that was blocked is unblocked. Only a flood of more than MAX_CLIENTS_PER_QUOTA addresses within one interval evicts.
    if (oldest.done !== true) this.clients.delete(oldest.value);
  }
}

function secondsUntil(time: number, now: number): number {
  return Math.max(0, Math.ceil((time - now) / 1000));
}
