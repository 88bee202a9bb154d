/**
 * The revocation queue: runs due revocations a few at a time and retries a
 * failed one with exponential backoff, until it succeeds or runs out of
 * attempts and is handed back as irrevocable.
 *
 * Vault behaves the same way: six attempts, then the lease is marked
 * irrevocable and kept (vault/expiration.go, `maxRevokeAttempts`). Vault
 * starts its backoff at 10 s; Coffer starts at 1 s and caps each wait at
 * 5 minutes, so six attempts span about half a minute.
 */
import { isCofferError, type Logger } from '@coffer/sdk';

/** Retry settings for failed revocations. */
export interface RetryPolicy {
  /** Wait before the second attempt, in milliseconds; doubles after each failure. */
  baseDelayMs: number;
  /** Maximum wait between attempts, in milliseconds. */
  maxDelayMs: number;
  /** Attempts before the lease is marked irrevocable, the first included. */
  maxAttempts: number;
  /** Spread of each wait, from 0 (exact) to 1 (anywhere from 0 to twice the wait). */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60 * 1000,
  maxAttempts: 6,
  jitter: 0.2,
};

/** Revocations that run at the same time; more wait their turn. */
export const DEFAULT_REVOCATION_CONCURRENCY = 16;

/**
 * Returns the wait before the next attempt after `failures` failed ones:
 * base × 2^(failures - 1), capped, then spread by the jitter.
 */
export function retryDelay(failures: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  const spread = exponential * policy.jitter;
  return Math.round(exponential - spread + random() * 2 * spread);
}

/**
 * Returns true for an error that retrying cannot fix: the backend rejected
 * the request as invalid (400), found nothing to act on (404), or does not
 * support it (405). Vault gives up at once on the equivalent errors.
 */
export function isUnrecoverable(err: unknown): boolean {
  return isCofferError(err) && (err.status === 400 || err.status === 404 || err.status === 405);
}

/** The callbacks the queue calls. */
export interface RevocationHandlers {
  /** Revokes one lease; throws when it fails. */
  revoke(leaseId: string): Promise<void>;
  /** Schedules another attempt in `delayMs`. */
  retryLater(leaseId: string, delayMs: number): void;
  /** Marks the lease irrevocable after its last failed attempt. */
  giveUp(leaseId: string, err: unknown, attempts: number): Promise<void>;
}

// NOTE: failure counts live in memory, as in Vault, so a lease still failing
// at a restart starts over with a full set of attempts.
export class RevocationQueue {
  private readonly waiting: string[] = [];
  private readonly pending = new Set<string>();
  private readonly failures = new Map<string, number>();
  private running = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly handlers: RevocationHandlers,
    private readonly logger: Logger,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly concurrency: number = DEFAULT_REVOCATION_CONCURRENCY,
    private readonly random: () => number = Math.random,
  ) {}

  /** Queues leases for revocation; a lease already queued or running is skipped. */
  enqueue(leaseIds: string[]): void {
    if (this.stopped) return;
    for (const leaseId of leaseIds) {
      if (this.pending.has(leaseId)) continue;
      this.pending.add(leaseId);
      this.waiting.push(leaseId);
    }
    this.startWork();
  }

  /** Forgets the failure count of a lease that was revoked or renewed by other means. */
  forget(leaseId: string): void {
    this.failures.delete(leaseId);
  }

  /** Returns the failed attempts so far for a lease. */
  failureCount(leaseId: string): number {
    return this.failures.get(leaseId) ?? 0;
  }

  /** Resolves once nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops queued work; running revocations finish, but nothing is retried. */
  stop(): void {
    this.stopped = true;
    this.waiting.length = 0;
    this.failures.clear();
    this.notifyIfIdle();
  }

  private startWork(): void {
    while (!this.stopped && this.running < this.concurrency && this.waiting.length > 0) {
      const leaseId = this.waiting.shift()!;
      this.running += 1;
      void this.attempt(leaseId).finally(() => {
        this.running -= 1;
        this.pending.delete(leaseId);
        this.startWork();
        this.notifyIfIdle();
      });
    }
  }

  private async attempt(leaseId: string): Promise<void> {
    try {
      await this.handlers.revoke(leaseId);
      this.failures.delete(leaseId);
    } catch (err) {
      if (this.stopped) return;
      await this.recordFailure(leaseId, err);
    }
  }

  private async recordFailure(leaseId: string, err: unknown): Promise<void> {
    const attempts = (this.failures.get(leaseId) ?? 0) + 1;
    const unrecoverable = isUnrecoverable(err);
    if (attempts < this.policy.maxAttempts && !unrecoverable) {
      this.failures.set(leaseId, attempts);
      const delayMs = retryDelay(attempts, this.policy, this.random);
      this.logger.warn({ leaseId, attempt: attempts, maxAttempts: this.policy.maxAttempts, retryInMs: delayMs, err }, 'failed to revoke lease; retrying');
      this.handlers.retryLater(leaseId, delayMs);
      return;
    }

    this.failures.delete(leaseId);
    this.logger.error({ leaseId, attempts, unrecoverable, err }, 'failed to revoke lease; marking it irrevocable');
    try {
      await this.handlers.giveUp(leaseId, err, attempts);
    } catch (markErr) {
      this.logger.error({ leaseId, err: markErr }, 'failed to mark lease irrevocable; it stays scheduled');
      this.handlers.retryLater(leaseId, this.policy.maxDelayMs);
    }
  }

  private notifyIfIdle(): void {
    if (this.running !== 0 || (this.waiting.length !== 0 && !this.stopped)) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
