/**
 * The etcd backend's HA lock: a key attached to an etcd lease.
 *
 * A contender grants a lease with the lock's TTL and creates the lock key
 * in a transaction that succeeds only when the key does not exist, so at
 * most one contender holds it. The holder sends a lease keep-alive every
 * renew interval. When the holder stops, etcd revokes the lease after the
 * TTL and deletes the key with it, and the next contender's create succeeds.
 *
 * Lock keys live beside the data prefix, never inside it: with `path`
 * `/vault/`, lock `core/lock` is the etcd key `/vault-ha/core/lock`. A
 * listing of the data prefix therefore never returns the lock, and the
 * lock's clear-text value never meets the barrier.
 *
 * Safety: the holder counts its lease from the moment it sent the last
 * successful grant or keep-alive, which is no later than etcd's own start
 * of the TTL, and fires the lost signal when a TTL passes without one.
 * The etcd3 client's own `lost` event fires only after twice the TTL, too
 * late for that, so this module sends its keep-alives itself.
 */
import type { Etcd3, Lease } from 'etcd3';
import type { Lock, LockHolder, Logger } from '@coffer/sdk';

/** Timing of a lock, in milliseconds. */
export interface LockTiming {
  /** The lease TTL; etcd takes whole seconds, so this is rounded up. */
  ttlMs: number;
  /** How often the holder sends a keep-alive. */
  renewIntervalMs: number;
  /** How often a waiting contender checks whether the key is gone. */
  retryIntervalMs: number;
}

/** Derives the renew and retry intervals from a TTL: a third, and a fifteenth capped at 1 s. */
export function timingForTtl(ttlMs: number): LockTiming {
  return { ttlMs, renewIntervalMs: Math.floor(ttlMs / 3), retryIntervalMs: Math.min(1_000, Math.max(100, Math.floor(ttlMs / 15))) };
}

/** Returns the etcd key of lock `key` for the data prefix `path` (which ends with `/`). */
export function lockKeyFor(path: string, key: string): string {
  return `${path.slice(0, -1)}-ha/${key}`;
}

/** Runs one client call with errors scrubbed, as the storage's own calls are. */
export type CallRunner = <T>(operation: string, call: () => Promise<T>) => Promise<T>;

/** One contender's handle on a lock key. */
export class EtcdLock implements Lock {
  private holding: { lease: Lease; lost: AbortController; renewTimer: NodeJS.Timeout; deadlineTimer: NodeJS.Timeout } | undefined;
  private renewing = false;

  constructor(
    private readonly client: Etcd3,
    private readonly run: CallRunner,
    private readonly etcdKey: string,
    private readonly lockValue: string,
    private readonly timing: LockTiming,
    private readonly logger: Logger,
  ) {}

  async lock(abort: AbortSignal): Promise<AbortSignal | undefined> {
    if (this.holding !== undefined) throw new Error(`storage "etcd": lock "${this.etcdKey}" is already held by this handle`);

    while (!abort.aborted) {
      let acquired: { lease: Lease; sentAt: number } | undefined;
      try {
        acquired = await this.tryAcquire();
      } catch (err) {
        this.logger.warn({ err, lockKey: this.etcdKey }, 'etcd lock attempt failed; retrying');
      }
      if (acquired !== undefined && abort.aborted) {
        await acquired.lease.revoke().catch(() => undefined);
        return undefined;
      }
      if (acquired !== undefined) return this.hold(acquired.lease, acquired.sentAt);
      await sleep(this.timing.retryIntervalMs, abort);
    }
    return undefined;
  }

  async unlock(): Promise<void> {
    const holding = this.holding;
    if (holding === undefined) return;
    this.stopRenewing();
    try {
      // Revoking the lease deletes the key with it.
      await this.run('unlock', () => holding.lease.revoke());
      this.logger.info({ lockKey: this.etcdKey }, 'etcd lock released');
    } catch (err) {
      this.logger.warn({ err, lockKey: this.etcdKey }, 'etcd lock release failed; the lock expires after its TTL');
    }
  }

  async value(): Promise<LockHolder> {
    const value = await this.run('lock value', () => this.client.get(this.etcdKey).string());
    return value === null ? { held: false, value: '' } : { held: true, value };
  }

  /** Creates the key under a new lease unless it exists; returns the lease when it did. */
  private async tryAcquire(): Promise<{ lease: Lease; sentAt: number } | undefined> {
    const existing = await this.run('lock', () => this.client.get(this.etcdKey).string());
    if (existing !== null) return undefined;

    const sentAt = Date.now();
    const lease = this.client.lease(Math.ceil(this.timing.ttlMs / 1000), { autoKeepAlive: false });
    try {
      const leaseId = await this.run('lock', () => lease.grant());
      const result = await this.run('lock', () =>
        this.client.if(this.etcdKey, 'Create', '==', 0).then(this.client.put(this.etcdKey).value(this.lockValue).lease(leaseId)).commit(),
      );
      if (result.succeeded) return { lease, sentAt };
    } catch (err) {
      await lease.revoke().catch(() => undefined);
      throw err;
    }
    await lease.revoke().catch(() => undefined);
    return undefined;
  }

  /** Starts the keep-alives and the deadline that fires the lost signal. */
  private hold(lease: Lease, sentAt: number): AbortSignal {
    const lost = new AbortController();
    const renewTimer = setInterval(() => void this.renew(), this.timing.renewIntervalMs);
    const deadlineTimer = setTimeout(() => this.lose('lease expired without a successful keep-alive'), sentAt + this.timing.ttlMs - Date.now());
    this.holding = { lease, lost, renewTimer, deadlineTimer };
    // The client emits `lost` when a keep-alive finds the lease revoked or expired.
    lease.on('lost', () => this.lose('etcd revoked the lease or let it expire'));
    this.logger.info({ lockKey: this.etcdKey }, 'etcd lock acquired');
    return lost.signal;
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.holding === undefined) return;
    this.renewing = true;
    const holding = this.holding;
    const sentAt = Date.now();
    try {
      await this.run('lock renewal', () => holding.lease.keepaliveOnce());
      if (this.holding !== holding) return;
      clearTimeout(holding.deadlineTimer);
      holding.deadlineTimer = setTimeout(() => this.lose('lease expired without a successful keep-alive'), sentAt + this.timing.ttlMs - Date.now());
    } catch (err) {
      if (this.holding !== holding) return;
      // The deadline timer fires the lost signal if keep-alives keep failing.
      this.logger.warn({ err, lockKey: this.etcdKey }, 'etcd lock keep-alive failed; retrying');
    } finally {
      this.renewing = false;
    }
  }

  private lose(reason: string): void {
    const holding = this.holding;
    if (holding === undefined) return;
    this.stopRenewing();
    holding.lease.removeAllListeners('lost');
    holding.lease.release();
    this.logger.warn({ lockKey: this.etcdKey, reason }, 'etcd lock lost');
    holding.lost.abort(new Error(`lock "${this.etcdKey}" lost: ${reason}`));
  }

  private stopRenewing(): void {
    if (this.holding === undefined) return;
    clearInterval(this.holding.renewTimer);
    clearTimeout(this.holding.deadlineTimer);
    this.holding = undefined;
  }
}

/** Waits `ms`, or less when `abort` fires. */
function sleep(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      abort.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    abort.addEventListener('abort', done, { once: true });
  });
}
