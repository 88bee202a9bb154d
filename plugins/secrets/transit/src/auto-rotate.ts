/**
 * Automatic rotation: a periodic check rotates every key whose latest
 * version is older than its `auto_rotate_period`, as Vault's periodic
 * function does. The age comes from the stored creation time of the latest
 * version, so the schedule survives restarts and a manual rotation restarts
 * the period.
 *
 * NOTE: the SDK has no periodic hook yet, so the backend runs the check on
 * its own timer from `initialize` to `cleanup`. A standby that shares the
 * storage would run the timer too, so the SDK's periodic hook will have to
 * run the check on the active node only.
 */
import type { Logger, Storage } from '@coffer/sdk';
import type { Clock } from './clock.js';
import { latestKeyVersion, type KeyPolicy } from './keys/key-policy.js';
import { mayRotate, type KeyStore } from './keys/key-store.js';

/** How often the check runs by default: once a minute, as Vault's periodic functions do. */
export const DEFAULT_ROTATION_CHECK_MS = 60_000;

export class AutoRotation {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: KeyStore,
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  /** Starts the timer. It does not keep the process alive. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a check in progress, so nothing is written after it returns. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs one check unless one is already running, and resolves when it ends. It never rejects. */
  check(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.rotateDueKeys().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async rotateDueKeys(): Promise<void> {
    let names: string[];
    try {
      names = await this.store.list(this.storage);
    } catch (err) {
      this.logger.error({ err }, 'listing keys for automatic rotation failed');
      return;
    }

    for (const name of names) {
      try {
        await this.rotateIfDue(name);
      } catch (err) {
        this.logger.error({ err, key: name }, 'automatic key rotation failed');
      }
    }
  }

  private async rotateIfDue(name: string): Promise<void> {
    const policy = await this.store.get(this.storage, name);
    if (policy === null || !this.isDue(policy)) return;

    let rotated = false;
    const updated = await this.store.update(this.storage, name, async (draft, current) => {
      // Another request may have rotated the key while this one waited for the lock.
      if (!this.isDue(current)) return false;
      await this.store.addVersion(draft);
      rotated = true;
      return true;
    });
    if (rotated && updated !== null) {
      this.logger.info({ key: name, version: updated.latestVersion }, 'key rotated automatically');
    }
  }

  private isDue(policy: KeyPolicy): boolean {
    // Vault skips an imported key that may not rotate, and so does this check.
    if (policy.autoRotatePeriod === 0 || !mayRotate(policy)) return false;
    return this.clock.now() >= latestKeyVersion(policy).createdAt + policy.autoRotatePeriod * 1000;
  }
}
