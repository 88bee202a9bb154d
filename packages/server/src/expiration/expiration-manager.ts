/**
 * The expiration manager: registers a lease for every secret with a
 * lifetime and every token with a TTL, renews and revokes them on request,
 * and revokes each one when it expires, as Vault's vault/expiration.go does.
 *
 * Leases persist behind the barrier (see lease-store.ts), so after a seal
 * and an unseal each lease still expires at its original time, and one that
 * expired while the server was sealed or down is revoked right after
 * `setup`. Expiry times are kept in one schedule under one timer. Due leases
 * go to a revocation queue, which runs a few at a time and retries failures
 * with backoff until a lease is marked irrevocable.
 */
import { badRequest, CofferError, internalError, KeyedLock, type Logger, type SecretLease, type Storage } from '@coffer/sdk';
import { sealedError } from '../barrier/barrier.js';
import { leaseOperationError, noMountError, sendSecretRequest, type LeaseTarget } from './backend-request.js';
import { ExpirySchedule, systemTimers, type TimerApi } from './expiry-schedule.js';
import {
  authLeaseId,
  cleanLeasePath,
  newLeaseEntry,
  newSecretLeaseId,
  remainingTtl,
  renewalBlocker,
  revokeErrorText,
  type LeaseEntry,
} from './lease-entry.js';
import { LeaseStore } from './lease-store.js';
import { tidyLeases, type TidyReport } from './lease-tidy.js';
import { DEFAULT_RETRY_POLICY, DEFAULT_REVOCATION_CONCURRENCY, RevocationQueue, type RetryPolicy } from './revocation-queue.js';
import { issueTtl, issueWarnings, mountLimits, renewalTtl, VAULT_DEFAULT_LEASE_TTL, type LeaseLimits } from './ttl.js';

/** Vault retries an irrevocable lease once a day (`attemptIrrevocableLeasesRevoke`). */
const IRREVOCABLE_RETRY_MS = 24 * 3600 * 1000;

export interface ExpirationDeps {
  /** The barrier; leases live under `sys/expire/`. */
  storage: Storage;
  logger: Logger;
  /** Finds the mount serving a lease's path, or undefined if it was unmounted. */
  resolve(path: string): LeaseTarget | undefined;
  /** Revokes a token (and its children) by salted ID when its auth lease expires. */
  revokeToken(saltedTokenId: string): Promise<void>;
  /** Server default lease TTL in seconds, for a mount that reports 0; Vault's 768h when absent. */
  defaultLeaseTtl?: number;
  /** Server max lease TTL in seconds, for a mount that reports 0; Vault's 768h when absent. */
  maxLeaseTtl?: number;
  /** Clock in Unix milliseconds; injectable for tests. */
  now?: () => number;
  /** Timer functions for the expiry schedule; Node's, unref'd, when absent. */
  timers?: TimerApi;
  /** Backoff for failed revocations; missing fields take the defaults. */
  retry?: Partial<RetryPolicy>;
  /** Revocations that may run at the same time. */
  concurrency?: number;
  /** Random source for the backoff jitter, in [0, 1). */
  random?: () => number;
  /** Wait before an irrevocable lease is tried again, in milliseconds; 24 hours when absent. */
  irrevocableRetryMs?: number;
  /** Returns whether a token exists; lets `tidy` revoke the leases of deleted tokens. */
  tokenExists?(saltedTokenId: string): Promise<boolean>;
}

/** The lease registered for a response. */
export interface RegisteredLease {
  leaseId: string;
  /** Seconds granted. */
  ttl: number;
  renewable: boolean;
  /** Vault's warning when the TTL was capped at the max TTL; absent or empty otherwise. */
  warnings?: string[];
}

/** The outcome of a renewal. */
export interface RenewedLease extends RegisteredLease {
  /** Data the backend's renew handler returned, if any. */
  data?: Record<string, unknown>;
  /** The backend's warnings, then Vault's warning when the TTL was capped. */
  warnings: string[];
}

/** A lease as `sys/leases/lookup` reports it, in Vault's field names. */
export interface LeaseLookup {
  id: string;
  issue_time: string;
  expire_time: string | null;
  last_renewal: string | null;
  renewable: boolean;
  /** Whole seconds left; 0 for a lease without expiry. */
  ttl: number;
}

/** An irrevocable lease as `sys/leases?type=irrevocable` reports it. */
export interface IrrevocableLease {
  lease_id: string;
  /** The accessor of the lease's mount, or Vault's placeholder when none serves it. */
  mount_id: string;
  error: string;
}

interface IrrevocableInfo {
  path: string;
  expireTime: number;
  error: string;
}

/** The state that lives between one `setup` and the next `teardown`. */
interface Runtime {
  schedule: ExpirySchedule;
  queue: RevocationQueue;
  irrevocable: Map<string, IrrevocableInfo>;
  stopped: boolean;
}

export class ExpirationManager {
  private readonly store: LeaseStore;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly limits: LeaseLimits;
  private readonly locks = new KeyedLock();
  private runtime: Runtime | undefined;
  private tidyRun: Promise<TidyReport> | undefined;

  constructor(private readonly deps: ExpirationDeps) {
    this.store = new LeaseStore(deps.storage);
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    this.limits = { defaultTtl: deps.defaultLeaseTtl || VAULT_DEFAULT_LEASE_TTL, maxTtl: deps.maxLeaseTtl || VAULT_DEFAULT_LEASE_TTL };
  }

  /**
   * Loads every lease and schedules its expiry; call at unseal, after the
   * mounts are set up. A lease that expired while the server was sealed is
   * due at once, and its revocation starts without delaying the return.
   * A lease that fails to load is logged and skipped.
   */
  async setup(): Promise<void> {
    if (this.runtime !== undefined) return;
    const runtime = this.createRuntime();
    this.runtime = runtime;
    try {
      await this.restore(runtime);
    } catch (err) {
      this.teardown();
      throw err;
    }
  }

  /** Stops the timer and every retry; call at seal. Nothing is revoked and nothing stored changes. */
  teardown(): void {
    const runtime = this.runtime;
    if (runtime === undefined) return;
    this.runtime = undefined;
    runtime.stopped = true;
    runtime.schedule.stop();
    runtime.queue.stop();
    runtime.irrevocable.clear();
    this.logger.debug({}, 'expiration manager stopped');
  }

  /** Resolves once no revocation is queued or running; later retries may still be scheduled. */
  async whenIdle(): Promise<void> {
    await this.runtime?.queue.whenIdle();
  }

  /**
   * Registers a secret lease for a response. The TTL is the backend's, else
   * the mount's tuned default, else the server default, capped by the
   * backend's max TTL and the mount's (or server's) max TTL.
   *
   * @param request.clientTokenId - The salted ID of the requesting token, or ''.
   * @returns The lease ID `<request path>/<random id>` and the TTL granted.
   * @throws CofferError (500) when no mount serves the path or the backend's TTLs are invalid.
   */
  async register(request: { path: string; clientTokenId: string }, secret: SecretLease, data?: Record<string, unknown>): Promise<RegisteredLease> {
    const runtime = this.requireRuntime();
    checkBackendSecret(request.path, secret);
    const target = this.deps.resolve(request.path);
    if (target === undefined) throw internalError(`cannot register a lease for "${request.path}": no mount serves it`);

    const limits = mountLimits(target.system, this.limits);
    const ttl = issueTtl(secret, limits);
    const now = this.now();
    const entry = newLeaseEntry({
      leaseId: newSecretLeaseId(request.path),
      kind: 'secret',
      path: cleanLeasePath(request.path),
      clientTokenId: request.clientTokenId,
      issueTime: now,
      expireTime: now + ttl * 1000,
      lastRenewalTime: 0,
      secret: { ttl, maxTtl: secret.maxTtl, renewable: secret.renewable, internalData: secret.internalData },
      ...(data !== undefined ? { data } : {}),
    });

    await this.locks.run(entry.leaseId, async () => {
      try {
        await this.store.save(entry);
        if (entry.clientTokenId !== '') await this.store.addTokenIndex(entry.clientTokenId, entry.leaseId);
      } catch (err) {
        await this.undoRegistration(target, entry);
        throw err;
      }
      runtime.schedule.set(entry.leaseId, entry.expireTime);
    });
    return { leaseId: entry.leaseId, ttl, renewable: secret.renewable, warnings: issueWarnings(secret, ttl, limits) };
  }

  /**
   * Registers the expiry of a token as an auth lease, so the token is
   * revoked on time. A TTL of 0 records a lease that never expires.
   * Registering again for the same token replaces its lease.
   */
  async registerAuth(saltedTokenId: string, path: string, ttl: number, options: { renewable?: boolean } = {}): Promise<void> {
    const runtime = this.requireRuntime();
    checkSeconds('ttl', ttl);
    const leaseId = authLeaseId(path, saltedTokenId);
    const now = this.now();
    const entry = newLeaseEntry({
      leaseId,
      kind: 'auth',
      path: cleanLeasePath(path),
      clientTokenId: saltedTokenId,
      issueTime: now,
      expireTime: ttl > 0 ? now + ttl * 1000 : 0,
      lastRenewalTime: 0,
      authRenewable: options.renewable ?? true,
    });

    await this.locks.run(leaseId, async () => {
      const previous = await this.store.authLease(saltedTokenId);
      await this.store.save(entry);
      await this.store.setAuthLease(saltedTokenId, leaseId);
      if (previous !== null && previous !== leaseId) {
        await this.store.delete(previous);
        runtime.schedule.delete(previous);
      }
      this.track(runtime, entry);
    });
  }

  /**
   * Moves a token's expiry after the token store renewed it.
   * @throws CofferError (400) when the token has no auth lease.
   */
  async updateAuthExpiry(saltedTokenId: string, ttl: number): Promise<void> {
    const runtime = this.requireRuntime();
    checkSeconds('ttl', ttl);
    const leaseId = await this.store.authLease(saltedTokenId);
    if (leaseId === null) throw badRequest('invalid lease ID: the token has no lease to renew');

    await this.locks.run(leaseId, async () => {
      const entry = await this.store.load(leaseId);
      if (entry === null) throw badRequest('invalid lease ID: the token has no lease to renew');
      const now = this.now();
      const updated: LeaseEntry = { ...entry, expireTime: ttl > 0 ? now + ttl * 1000 : 0, lastRenewalTime: now };
      await this.store.save(updated);
      this.track(runtime, updated);
    });
  }

  /**
   * Renews a secret lease through its backend's renew handler. The TTL is
   * the increment, else the backend's, else the mount default, and never
   * reaches past issue time plus the max TTL; when capped, the result
   * carries Vault's warning.
   *
   * @param increment - Seconds requested; 0 for none.
   * @throws CofferError (400) with Vault's text: "lease not found", "lease expired",
   *   "lease is not renewable", "past the max TTL, cannot renew", ...
   */
  async renew(leaseId: string, increment: number): Promise<RenewedLease> {
    const runtime = this.requireRuntime();
    checkSeconds('increment', increment);

    return this.locks.run(leaseId, async () => {
      const now = this.now();
      const entry = await this.store.load(leaseId);
      if (entry?.kind === 'auth') throw badRequest('tokens cannot be renewed through this endpoint');
      const blocker = renewalBlocker(entry, now);
      if (blocker !== null || entry === null) throw badRequest(blocker ?? 'lease not found');

      const target = this.targetOf(entry);
      let response;
      try {
        response = await sendSecretRequest(target, entry, 'renew', increment);
      } catch (err) {
        throw leaseOperationError('renew', leaseId, err);
      }

      const granted = response?.secret ?? entry.secret!;
      const renewal = renewalTtl(
        { increment, backendTtl: granted.ttl, backendMaxTtl: granted.maxTtl, issueTime: entry.issueTime, now },
        mountLimits(target.system, this.limits),
      );
      const updated: LeaseEntry = {
        ...entry,
        secret: { ttl: renewal.ttl, maxTtl: granted.maxTtl, renewable: granted.renewable, internalData: granted.internalData },
        data: response?.data ?? entry.data,
        expireTime: renewal.expireTime,
        lastRenewalTime: now,
      };
      await this.store.save(updated);
      runtime.schedule.set(leaseId, updated.expireTime);

      const result: RenewedLease = { leaseId, ttl: renewal.ttl, renewable: granted.renewable, warnings: [...(response?.warnings ?? []), ...renewal.warnings] };
      if (response?.data !== undefined && response.data !== null) result.data = response.data;
      return result;
    });
  }

  /**
   * Revokes a lease now: calls the backend's revoke handler (or revokes the
   * token of an auth lease), then deletes the lease. An unknown lease is not
   * an error, as in Vault.
   * @throws CofferError naming the lease when the backend fails; the lease stays.
   */
  async revoke(leaseId: string): Promise<void> {
    this.requireRuntime();
    await this.locks.run(leaseId, () => this.revokeStored(leaseId, false));
  }

  /**
   * Marks a lease expired now and leaves its revocation, with retries, to
   * the revocation queue; Vault's revoke with `sync=false`.
   * @returns false when no such lease exists.
   */
  async revokeLater(leaseId: string): Promise<boolean> {
    const runtime = this.requireRuntime();
    return this.locks.run(leaseId, async () => {
      const entry = await this.store.load(leaseId);
      if (entry === null) return false;
      // An irrevocable lease keeps its mark; only a direct or forced revocation clears it.
      if (entry.revokeError !== undefined) return true;
      const updated: LeaseEntry = { ...entry, expireTime: this.now() };
      await this.store.save(updated);
      runtime.schedule.set(leaseId, updated.expireTime);
      return true;
    });
  }

  /**
   * Revokes every lease whose ID starts with `prefix`. A prefix without a
   * trailing `/` that is itself a lease ID revokes that one lease.
   *
   * @param force - Delete each lease even when its backend fails to revoke it.
   * @param sync - Revoke before returning (default); when false, mark each lease
   *   expired and leave the revocations to the queue.
   * @throws CofferError naming the first lease that failed, with its position;
   *   the leases after it are left alone.
   */
  async revokePrefix(prefix: string, force: boolean, sync = true): Promise<void> {
    this.requireRuntime();
    if (prefix === '') throw badRequest('missing prefix: give the lease ID prefix to revoke, e.g. "db/creds/"');

    if (!prefix.endsWith('/') && (await this.store.load(prefix)) !== null) {
      if (sync) await this.locks.run(prefix, () => this.revokeStored(prefix, force));
      else await this.revokeLater(prefix);
      return;
    }

    const leaseIds = await this.store.collect(prefix);
    for (const [index, leaseId] of leaseIds.entries()) {
      try {
        if (sync) await this.locks.run(leaseId, () => this.revokeStored(leaseId, force));
        else await this.revokeLater(leaseId);
      } catch (err) {
        throw withPosition(leaseOperationError('revoke', leaseId, err), index + 1, leaseIds.length);
      }
    }
    this.logger.info({ prefix, count: leaseIds.length, force, sync }, 'revoked leases by prefix');
  }

  /**
   * Queues the revocation of every secret lease the token requested and
   * deletes the token's own auth lease. The token store calls this while it
   * revokes the token, so the auth lease is only deleted, not revoked again.
   */
  async revokeByToken(saltedTokenId: string): Promise<void> {
    const runtime = this.requireRuntime();
    for (const index of await this.store.tokenIndex(saltedTokenId)) {
      const found = await this.revokeLater(index.leaseId);
      if (!found) await this.store.deleteKey(index.key);
    }

    const authId = await this.store.authLease(saltedTokenId);
    if (authId === null) return;
    // No lease lock here: when the auth lease's own expiry revokes the token,
    // that revocation holds the lock while the token store calls back here.
    await this.store.delete(authId);
    await this.store.removeAuthLease(saltedTokenId);
    runtime.schedule.delete(authId);
    runtime.irrevocable.delete(authId);
  }

  /** Returns a lease's times in Vault's lookup format, or null when there is no such lease. */
  async lookup(leaseId: string): Promise<LeaseLookup | null> {
    this.requireRuntime();
    const entry = await this.store.load(leaseId);
    if (entry === null) return null;
    const now = this.now();
    return {
      id: leaseId,
      issue_time: new Date(entry.issueTime).toISOString(),
      expire_time: entry.expireTime === 0 ? null : new Date(entry.expireTime).toISOString(),
      last_renewal: entry.lastRenewalTime === 0 ? null : new Date(entry.lastRenewalTime).toISOString(),
      renewable: renewalBlocker(entry, now) === null,
      ttl: remainingTtl(entry, now),
    };
  }

  /** Lists lease IDs and folders under `prefix`, like a storage listing. */
  async list(prefix: string): Promise<string[]> {
    this.requireRuntime();
    return this.store.list(prefix);
  }

  /** Counts every stored lease, for the `expire.num_leases` gauge; it lists the whole lease store. */
  async count(): Promise<number> {
    this.requireRuntime();
    return (await this.store.collect('')).length;
  }

  /**
   * Removes index entries that name no lease and leases of paths no mount
   * serves; with `tokenExists`, also revokes leases of deleted tokens.
   * A second call while one runs joins it.
   */
  async tidy(): Promise<TidyReport> {
    const runtime = this.requireRuntime();
    if (this.tidyRun !== undefined) {
      this.logger.warn({}, 'lease tidy is already running');
      return this.tidyRun;
    }
    this.logger.info({}, 'lease tidy started');
    this.tidyRun = tidyLeases({
      store: this.store,
      logger: this.logger,
      resolve: (path) => this.deps.resolve(path),
      ...(this.deps.tokenExists !== undefined ? { tokenExists: this.deps.tokenExists } : {}),
      forget: (entry) => this.locks.run(entry.leaseId, () => this.forget(runtime, entry)),
      forceRevoke: (leaseId) => this.locks.run(leaseId, () => this.revokeStored(leaseId, true)),
    });
    try {
      const report = await this.tidyRun;
      this.logger.info({ ...report }, 'lease tidy finished');
      return report;
    } catch (err) {
      this.logger.error({ err }, 'lease tidy failed');
      throw err;
    } finally {
      this.tidyRun = undefined;
    }
  }

  /** Counts irrevocable leases, in total and by mount accessor. */
  irrevocableCounts(): { lease_count: number; counts: Record<string, number> } {
    const counts: Record<string, number> = {};
    let total = 0;
    for (const info of this.requireRuntime().irrevocable.values()) {
      const mount = this.mountId(info.path);
      counts[mount] = (counts[mount] ?? 0) + 1;
      total += 1;
    }
    return { lease_count: total, counts };
  }

  /**
   * Lists irrevocable leases, earliest expiry first, then by ID.
   * @param limit - The most to return, or undefined for all.
   */
  irrevocableLeases(limit?: number): { leases: IrrevocableLease[]; total: number } {
    const all = [...this.requireRuntime().irrevocable].sort(byExpiryThenId);
    const chosen = limit === undefined ? all : all.slice(0, limit);
    return {
      leases: chosen.map(([leaseId, info]) => ({ lease_id: leaseId, mount_id: this.mountId(info.path), error: info.error })),
      total: all.length,
    };
  }

  private createRuntime(): Runtime {
    const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...this.deps.retry };
    // The schedule feeds the queue and the queue reschedules retries, so each
    // callback reaches the other through `runtime`, complete by the time any runs.
    const schedule = new ExpirySchedule(this.now, this.deps.timers ?? systemTimers, (leaseIds) => runtime.queue.enqueue(leaseIds));
    const queue = new RevocationQueue(
      {
        revoke: (leaseId) => this.revokeDue(runtime, leaseId),
        retryLater: (leaseId, delayMs) => runtime.schedule.set(leaseId, this.now() + delayMs),
        giveUp: (leaseId, err, attempts) => this.markIrrevocable(runtime, leaseId, err, attempts >= policy.maxAttempts),
      },
      this.logger,
      policy,
      this.deps.concurrency ?? DEFAULT_REVOCATION_CONCURRENCY,
      this.deps.random ?? Math.random,
    );
    const runtime: Runtime = { schedule, queue, irrevocable: new Map(), stopped: false };
    return runtime;
  }

  // NOTE: leases load one at a time, so unseal time grows with the lease
  // count; Vault restores with 64 workers.
  private async restore(runtime: Runtime): Promise<void> {
    const now = this.now();
    let restored = 0;
    let overdue = 0;
    let failed = 0;
    for (const leaseId of await this.store.collect('')) {
      let entry: LeaseEntry | null;
      try {
        entry = await this.store.load(leaseId);
      } catch (err) {
        failed += 1;
        this.logger.error({ leaseId, err }, 'failed to load lease; it is not scheduled');
        continue;
      }
      if (entry === null) continue;
      restored += 1;
      if (entry.revokeError === undefined && entry.expireTime !== 0 && entry.expireTime <= now) overdue += 1;
      this.track(runtime, entry);
    }
    this.logger.info({ restored, overdue, irrevocable: runtime.irrevocable.size, failed }, 'leases restored');
  }

  /** Puts a stored lease into the schedule, or into the irrevocable set. */
  private track(runtime: Runtime, entry: LeaseEntry): void {
    if (entry.revokeError !== undefined) {
      runtime.irrevocable.set(entry.leaseId, { path: entry.path, expireTime: entry.expireTime, error: entry.revokeError });
      runtime.schedule.set(entry.leaseId, this.now() + this.irrevocableRetryMs());
    } else if (entry.expireTime !== 0) {
      runtime.schedule.set(entry.leaseId, entry.expireTime);
    } else {
      runtime.schedule.delete(entry.leaseId);
    }
  }

  /** Revokes a lease the schedule handed over, unless it changed since. */
  private async revokeDue(runtime: Runtime, leaseId: string): Promise<void> {
    if (runtime.stopped) return;
    await this.locks.run(leaseId, async () => {
      if (runtime.stopped) return;
      const entry = await this.store.load(leaseId);
      if (entry === null) {
        runtime.irrevocable.delete(leaseId);
        return;
      }
      if (entry.revokeError !== undefined) {
        await this.retryIrrevocable(runtime, entry);
        return;
      }
      if (entry.expireTime === 0 || entry.expireTime > this.now()) {
        // Renewed or moved after it was queued.
        this.track(runtime, entry);
        return;
      }
      await this.revokeEntry(runtime, entry, false);
    });
  }

  /** Tries an irrevocable lease once more; a failure waits for the next retry, never counting attempts. */
  private async retryIrrevocable(runtime: Runtime, entry: LeaseEntry): Promise<void> {
    try {
      await this.revokeEntry(runtime, entry, false);
      this.logger.info({ leaseId: entry.leaseId }, 'irrevocable lease revoked on retry');
    } catch (err) {
      this.logger.error({ leaseId: entry.leaseId, err }, 'irrevocable lease still fails to revoke');
      if (!runtime.stopped) runtime.schedule.set(entry.leaseId, this.now() + this.irrevocableRetryMs());
    }
  }

  private async markIrrevocable(runtime: Runtime, leaseId: string, err: unknown, outOfRetries: boolean): Promise<void> {
    if (runtime.stopped) return;
    await this.locks.run(leaseId, async () => {
      const entry = await this.store.load(leaseId);
      if (entry === null || entry.revokeError !== undefined) return;
      const cause = revokeErrorText(err);
      // Vault prefixes "out of retries" when the attempts ran out rather than the error being final.
      const updated: LeaseEntry = { ...entry, revokeError: revokeErrorText(outOfRetries ? `out of retries: ${cause}` : cause) };
      await this.store.save(updated);
      this.track(runtime, updated);
    });
  }

  /** Revokes a stored lease by ID; the caller holds its lock. */
  private async revokeStored(leaseId: string, force: boolean): Promise<void> {
    const runtime = this.requireRuntime();
    const entry = await this.store.load(leaseId);
    if (entry === null) return;
    await this.revokeEntry(runtime, entry, force);
  }

  /**
   * Revokes through the backend or token store, then deletes the lease and
   * its index entries. With `force`, a failed revocation is logged and the
   * lease deleted anyway. The caller holds the lease's lock.
   */
  private async revokeEntry(runtime: Runtime, entry: LeaseEntry, force: boolean): Promise<void> {
    try {
      if (entry.kind === 'auth') await this.deps.revokeToken(entry.clientTokenId);
      else await sendSecretRequest(this.targetOf(entry), entry, 'revoke', 0);
    } catch (err) {
      const failure = leaseOperationError('revoke', entry.leaseId, err);
      if (!force) throw failure;
      this.logger.warn({ leaseId: entry.leaseId, err: failure }, 'backend failed to revoke the lease; force deletes it anyway');
    }
    await this.forget(runtime, entry);
    this.logger.info({ leaseId: entry.leaseId, force }, 'revoked lease');
  }

  /** Deletes a lease, its index entries, its schedule and its retry state. */
  private async forget(runtime: Runtime, entry: LeaseEntry): Promise<void> {
    await this.store.delete(entry.leaseId);
    if (entry.kind === 'secret' && entry.clientTokenId !== '') await this.store.removeTokenIndex(entry.clientTokenId, entry.leaseId);
    if (entry.kind === 'auth' && (await this.store.authLease(entry.clientTokenId)) === entry.leaseId) {
      await this.store.removeAuthLease(entry.clientTokenId);
    }
    runtime.schedule.delete(entry.leaseId);
    runtime.queue.forget(entry.leaseId);
    runtime.irrevocable.delete(entry.leaseId);
  }

  /** Revokes a secret whose lease could not be stored, so nothing untracked is left behind. */
  private async undoRegistration(target: LeaseTarget, entry: LeaseEntry): Promise<void> {
    this.logger.error({ leaseId: entry.leaseId }, 'failed to store lease; revoking the new secret');
    try {
      await sendSecretRequest(target, entry, 'revoke', 0);
    } catch (err) {
      this.logger.error({ leaseId: entry.leaseId, err }, 'failed to revoke a secret whose lease was not stored');
    }
    try {
      await this.store.delete(entry.leaseId);
      if (entry.clientTokenId !== '') await this.store.removeTokenIndex(entry.clientTokenId, entry.leaseId);
    } catch (err) {
      this.logger.error({ leaseId: entry.leaseId, err }, 'failed to delete a partly stored lease');
    }
  }

  private targetOf(entry: LeaseEntry): LeaseTarget {
    const target = this.deps.resolve(entry.path);
    if (target === undefined) throw noMountError(entry.path);
    return target;
  }

  private mountId(path: string): string {
    const target = this.deps.resolve(path);
    // Vault's placeholder for a lease whose mount is gone.
    if (target === undefined) return 'mount-accessor-not-found';
    return target.mountAccessor ?? target.mountPoint;
  }

  private irrevocableRetryMs(): number {
    return this.deps.irrevocableRetryMs ?? IRREVOCABLE_RETRY_MS;
  }

  private requireRuntime(): Runtime {
    if (this.runtime === undefined) throw sealedError();
    return this.runtime;
  }
}

function byExpiryThenId([idA, a]: [string, IrrevocableInfo], [idB, b]: [string, IrrevocableInfo]): number {
  if (a.expireTime !== b.expireTime) return a.expireTime - b.expireTime;
  // Code-unit order, as Vault compares lease IDs.
  if (idA < idB) return -1;
  return idA > idB ? 1 : 0;
}

/** Adds the failed lease's position among those a prefix named, as Vault's "(2 / 5)". */
function withPosition(err: CofferError, position: number, total: number): CofferError {
  return new CofferError(err.code, err.status, `${err.message} (${position} / ${total})`);
}

/** @throws CofferError (500) for a backend secret with a TTL the manager cannot use. */
function checkBackendSecret(path: string, secret: SecretLease): void {
  if (secret.passthrough === true) throw internalError(`cannot register a lease for "${path}": the secret is passthrough`);
  for (const [name, value] of [['ttl', secret.ttl], ['maxTtl', secret.maxTtl]] as const) {
    if (!Number.isInteger(value) || value < 0) {
      throw internalError(`backend at "${path}" returned an invalid lease ${name} ${JSON.stringify(value)}: expected whole seconds`);
    }
  }
}

/** @throws CofferError (400) for a value that is not whole, non-negative seconds. */
function checkSeconds(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw badRequest(`invalid ${name} ${JSON.stringify(value)}: expected whole seconds, 0 or more`);
}
