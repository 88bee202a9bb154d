/**
 * The mysql backend's HA lock: one row per lock in the `lock_table`, with a
 * lease that the holder renews.
 *
 * Vault's mysql backend holds a `GET_LOCK` on one connection instead, so
 * its lock is lost whenever that connection drops, for example after
 * `wait_timeout`. A lease row survives a reconnect, and a standby takes it
 * over once it lapses. The table's columns are Coffer's own (`ha_key`,
 * `ha_identity`, `ha_value`, `valid_until`), so a Vault lock table cannot be
 * reused; open rejects one.
 *
 * A contender takes the row when it is missing or its `valid_until` has
 * passed, and the holder pushes `valid_until` forward every renew interval.
 * Every timestamp comes from the database's clock (`UTC_TIMESTAMP(6)`), so
 * the servers' own clocks never have to agree.
 *
 * Safety: the holder counts its lease from the moment it sent the last
 * successful renewal, which is no later than the database's clock for that
 * statement. When a TTL passes without a successful renewal, the lost
 * signal fires before any other contender can see the row expire.
 */
import { randomUUID } from 'node:crypto';
import type { Lock, LockHolder, Logger } from '@coffer/sdk';

/** The result of one statement: its rows for a SELECT, the matched row count for a write. */
export interface QueryOutcome {
  rows: Array<Record<string, unknown>>;
  affectedRows: number;
}

/** Runs one statement through the backend's pool; errors come back scrubbed, with the driver's `code`. */
export type QueryRunner = (operation: string, sql: string, values: SqlValue[]) => Promise<QueryOutcome>;

/** A statement parameter. */
export type SqlValue = string | number | Buffer;

/** Timing of a lock, in milliseconds. */
export interface LockTiming {
  /** How long a holder keeps the lock without renewing it. */
  ttlMs: number;
  /** How often the holder renews. */
  renewIntervalMs: number;
  /** How often a waiting contender tries to take the lock. */
  retryIntervalMs: number;
}

/** Derives the renew and retry intervals from a TTL: a third, and a fifteenth kept between 100 ms and 1 s. */
export function timingForTtl(ttlMs: number): LockTiming {
  return { ttlMs, renewIntervalMs: Math.floor(ttlMs / 3), retryIntervalMs: Math.min(1_000, Math.max(100, Math.floor(ttlMs / 15))) };
}

/** The columns of the lock table and their `information_schema` data types, which open checks. */
export const LOCK_COLUMNS: ReadonlyArray<[string, string]> = [
  ['ha_key', 'varbinary'],
  ['ha_identity', 'varbinary'],
  ['ha_value', 'blob'],
  ['valid_until', 'datetime'],
];

/** SQL for the lock table, with the quoted table name filled in. The lease is `? * 1000` microseconds from the database's clock. */
export function haStatements(table: string) {
  const leaseEnd = 'UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND';
  return {
    create: `CREATE TABLE IF NOT EXISTS ${table} (
      ha_key      VARBINARY(512) NOT NULL PRIMARY KEY,
      ha_identity VARBINARY(64) NOT NULL,
      ha_value    BLOB,
      valid_until DATETIME(6) NOT NULL
    ) ENGINE = InnoDB`,
    // Takes an existing row that has expired or is already ours; affectedRows is 1 on success.
    takeOver: `UPDATE ${table} SET ha_identity = ?, ha_value = ?, valid_until = ${leaseEnd} WHERE ha_key = ? AND (valid_until < UTC_TIMESTAMP(6) OR ha_identity = ?)`,
    // Takes a missing row; a duplicate key error means another contender has it.
    insert: `INSERT INTO ${table} (ha_key, ha_identity, ha_value, valid_until) VALUES (?, ?, ?, ${leaseEnd})`,
    renew: `UPDATE ${table} SET valid_until = ${leaseEnd} WHERE ha_key = ? AND ha_identity = ? AND valid_until >= UTC_TIMESTAMP(6)`,
    release: `DELETE FROM ${table} WHERE ha_key = ? AND ha_identity = ?`,
    read: `SELECT ha_value FROM ${table} WHERE ha_key = ? AND valid_until >= UTC_TIMESTAMP(6)`,
  };
}

/** One contender's handle on a lock row. */
export class MysqlLock implements Lock {
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
    if (this.holding !== undefined) throw new Error(`storage "mysql": lock "${this.key}" is already held by this handle`);

    while (!abort.aborted) {
      const sentAt = Date.now();
      let acquired = false;
      try {
        acquired = await this.tryAcquire();
      } catch (err) {
        this.logger.warn({ err, lockKey: this.key }, 'mysql lock attempt failed; retrying');
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
    const result = await this.run('lock value', this.sql.read, [this.key]);
    if (result.rows.length === 0) return { held: false, value: '' };
    const value = result.rows[0].ha_value;
    return { held: true, value: Buffer.isBuffer(value) ? value.toString('utf8') : '' };
  }

  /** Takes the row over when it lapsed, or inserts it when missing. Returns true when this handle now has the lock. */
  private async tryAcquire(): Promise<boolean> {
    const leaseUs = this.timing.ttlMs * 1000;
    const value = Buffer.from(this.lockValue, 'utf8');
    const taken = await this.run('lock', this.sql.takeOver, [this.identity, value, leaseUs, this.key, this.identity]);
    if (taken.affectedRows === 1) return true;
    try {
      await this.run('lock', this.sql.insert, [this.key, this.identity, value, leaseUs]);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY') return false;
      throw err;
    }
  }

  /** Starts the renewals and the deadline that fires the lost signal. */
  private hold(sentAt: number): AbortSignal {
    const lost = new AbortController();
    const renewTimer = setInterval(() => void this.renew(), this.timing.renewIntervalMs);
    const deadlineTimer = setTimeout(() => this.lose('lease expired without a successful renewal'), sentAt + this.timing.ttlMs - Date.now());
    this.holding = { lost, renewTimer, deadlineTimer };
    this.logger.info({ lockKey: this.key }, 'mysql lock acquired');
    return lost.signal;
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.holding === undefined) return;
    this.renewing = true;
    const holding = this.holding;
    const sentAt = Date.now();
    try {
      const result = await this.run('lock renewal', this.sql.renew, [this.timing.ttlMs * 1000, this.key, this.identity]);
      if (this.holding !== holding) return;
      if (result.affectedRows !== 1) {
        this.lose('the lock row expired or belongs to another contender');
        return;
      }
      clearTimeout(holding.deadlineTimer);
      holding.deadlineTimer = setTimeout(() => this.lose('lease expired without a successful renewal'), sentAt + this.timing.ttlMs - Date.now());
    } catch (err) {
      // The deadline timer fires the lost signal if renewals keep failing.
      this.logger.warn({ err, lockKey: this.key }, 'mysql lock renewal failed; retrying');
    } finally {
      this.renewing = false;
    }
  }

  private lose(reason: string): void {
    const holding = this.holding;
    if (holding === undefined) return;
    this.stopRenewing();
    this.logger.warn({ lockKey: this.key, reason }, 'mysql lock lost');
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
      this.logger.info({ lockKey: this.key }, 'mysql lock released');
    } catch (err) {
      this.logger.warn({ err, lockKey: this.key }, 'mysql lock release failed; the lock expires after its TTL');
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
