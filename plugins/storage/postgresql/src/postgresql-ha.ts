/**
 * The postgresql backend's HA lock: one row per lock in the `ha_table`, in
 * the layout of Vault's postgresql HA table (`ha_key`, `ha_identity`,
 * `ha_value`, `valid_until`).
 *
 * A contender takes the row when it is missing or its `valid_until` has
 * passed, and the holder pushes `valid_until` forward every renew interval.
 * Every timestamp comes from the database's clock (`now()`), so the
 * servers' own clocks never have to agree.
 *
 * Safety: the holder counts its lease from the moment it sent the last
 * successful renewal, which is no later than the database's `now()` for
 * that statement. When a TTL passes without a successful renewal, the
 * lost signal fires before any other contender can see the row expire.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Lock, LockHolder, Logger } from '@coffer/sdk';

/** Runs one statement through the backend's pool, with errors scrubbed. */
export type QueryRunner = <Row extends pg.QueryResultRow>(operation: string, text: string, values: unknown[]) => Promise<pg.QueryResult<Row>>;

/** Timing of a lock, in milliseconds. */
export interface LockTiming {
  /** How long a holder keeps the lock without renewing it. */
  ttlMs: number;
  /** How often the holder renews. */
  renewIntervalMs: number;
  /** How often a waiting contender tries to take the lock. */
  retryIntervalMs: number;
}

/** Vault's postgresql lock timing: a 15 s TTL renewed every 5 s, tried every second. */
export const DEFAULT_LOCK_TIMING: LockTiming = { ttlMs: 15_000, renewIntervalMs: 5_000, retryIntervalMs: 1_000 };

/** Derives the renew and retry intervals from a TTL the way the defaults relate: a third, and a fifteenth capped at 1 s. */
export function timingForTtl(ttlMs: number): LockTiming {
  return { ttlMs, renewIntervalMs: Math.floor(ttlMs / 3), retryIntervalMs: Math.min(1_000, Math.max(100, Math.floor(ttlMs / 15))) };
}

/** SQL for the HA table, with the quoted table name filled in. */
export function haStatements(table: string) {
  return {
    create: `CREATE TABLE IF NOT EXISTS ${table} (
      ha_key      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
      ha_identity TEXT COLLATE "C" NOT NULL,
      ha_value    TEXT COLLATE "C",
      valid_until TIMESTAMP WITH TIME ZONE NOT NULL
    )`,
    // Takes the row when it is free, expired or already ours; rowCount is 1 on success.
    acquire:
      `INSERT INTO ${table} AS held (ha_key, ha_identity, ha_value, valid_until) ` +
      `VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond') ` +
      'ON CONFLICT (ha_key) DO UPDATE SET ha_identity = excluded.ha_identity, ha_value = excluded.ha_value, valid_until = excluded.valid_until ' +
      'WHERE held.valid_until < now() OR held.ha_identity = excluded.ha_identity',
    renew:
      `UPDATE ${table} SET valid_until = now() + $3 * interval '1 millisecond' ` +
      'WHERE ha_key = $1 AND ha_identity = $2 AND valid_until >= now()',
    release: `DELETE FROM ${table} WHERE ha_key = $1 AND ha_identity = $2`,
    read: `SELECT ha_value FROM ${table} WHERE ha_key = $1 AND valid_until >= now()`,
  };
}

/** One contender's handle on a lock row. */
export class PostgresqlLock implements Lock {
  /** Distinguishes this handle's row from another contender's with the same value. */
  private readonly identity = randomUUID();
  private holding: { lost: AbortController; renewTimer: NodeJS.Timeout; deadlineTimer: NodeJS.Timeout } | undefined;
  private renewing = false;

  constructor(
    private readonly run: QueryRunner,
    private readonly sql: ReturnType<typeof haStatements>,
    private readonly key: string,
    private readonly lockValue: string,
    private readonly timing: LockTiming,
    private readonly logger: Logger,
  ) {}

  async lock(abort: AbortSignal): Promise<AbortSignal | undefined> {
    if (this.holding !== undefined) throw new Error(`storage "postgresql": lock "${this.key}" is already held by this handle`);

    while (!abort.aborted) {
      const sentAt = Date.now();
      let acquired = false;
      try {
        const result = await this.run('lock', this.sql.acquire, [this.key, this.identity, this.lockValue, this.timing.ttlMs]);
        acquired = result.rowCount === 1;
      } catch (err) {
        this.logger.warn({ err, lockKey: this.key }, 'postgresql lock attempt failed; retrying');
      }
      if (acquired && abort.aborted) {
        await this.release();
        return undefined;
      }
      if (acquired) return this.hold(sentAt);
      await sleep(this.timing.retryIntervalMs, abort);
    }
    return undefined;
  }

  async unlock(): Promise<void> {
    if (this.holding === undefined) return;
    this.stopRenewing();
    await this.release();
  }

  async value(): Promise<LockHolder> {
    const result = await this.run<{ ha_value: string | null }>('lock value', this.sql.read, [this.key]);
    if (result.rows.length === 0) return { held: false, value: '' };
    return { held: true, value: result.rows[0].ha_value ?? '' };
  }

  /** Starts the renewals and the deadline that fires the lost signal. */
  private hold(sentAt: number): AbortSignal {
    const lost = new AbortController();
    const renewTimer = setInterval(() => void this.renew(), this.timing.renewIntervalMs);
    const deadlineTimer = setTimeout(() => this.lose('lease expired without a successful renewal'), sentAt + this.timing.ttlMs - Date.now());
    this.holding = { lost, renewTimer, deadlineTimer };
    this.logger.info({ lockKey: this.key }, 'postgresql lock acquired');
    return lost.signal;
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.holding === undefined) return;
    this.renewing = true;
    const holding = this.holding;
    const sentAt = Date.now();
    try {
      const result = await this.run('lock renewal', this.sql.renew, [this.key, this.identity, this.timing.ttlMs]);
      if (this.holding !== holding) return;
      if (result.rowCount !== 1) {
        this.lose('the lock row expired or belongs to another contender');
        return;
      }
      clearTimeout(holding.deadlineTimer);
      holding.deadlineTimer = setTimeout(() => this.lose('lease expired without a successful renewal'), sentAt + this.timing.ttlMs - Date.now());
    } catch (err) {
      // The deadline timer fires the lost signal if renewals keep failing.
      this.logger.warn({ err, lockKey: this.key }, 'postgresql lock renewal failed; retrying');
    } finally {
      this.renewing = false;
    }
  }

  private lose(reason: string): void {
    const holding = this.holding;
    if (holding === undefined) return;
    this.stopRenewing();
    this.logger.warn({ lockKey: this.key, reason }, 'postgresql lock lost');
    holding.lost.abort(new Error(`lock "${this.key}" lost: ${reason}`));
  }

  private stopRenewing(): void {
    if (this.holding === undefined) return;
    clearInterval(this.holding.renewTimer);
    clearTimeout(this.holding.deadlineTimer);
    this.holding = undefined;
  }

  /** Deletes the row if it is still ours; a failure leaves it to expire. */
  private async release(): Promise<void> {
    try {
      await this.run('unlock', this.sql.release, [this.key, this.identity]);
      this.logger.info({ lockKey: this.key }, 'postgresql lock released');
    } catch (err) {
      this.logger.warn({ err, lockKey: this.key }, 'postgresql lock release failed; the lock expires after its TTL');
    }
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
