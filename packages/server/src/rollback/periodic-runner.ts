/**
 * Runs every mounted backend's periodic function about once a minute, as
 * Vault's rollback manager does, so write-ahead logs are rolled back and
 * backends can tidy. A failure is logged with the mount and retried at the
 * next pass; one slow backend does not delay the next pass of the others.
 */
import type { Logger } from '@coffer/sdk';
import type { Router } from '../router/router.js';

/** Vault's rollback period: one minute. */
export const PERIODIC_INTERVAL_MS = 60_000;

export class PeriodicRunner {
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<string>();

  constructor(
    private readonly router: Router,
    private readonly logger: Logger,
    private readonly intervalMs = PERIODIC_INTERVAL_MS,
  ) {}

  start(): void {
    this.stop();
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs one pass over every mount; resolves when all have finished. */
  async runOnce(): Promise<void> {
    await Promise.all(
      this.router.all().map(async (route) => {
        const mountPath = route.mount.path;
        if (route.backend.periodic === undefined || this.running.has(mountPath)) return;
        this.running.add(mountPath);
        try {
          await route.backend.periodic();
        } catch (err) {
          this.logger.error({ err, mount: mountPath }, 'periodic function failed; retrying at the next pass');
        } finally {
          this.running.delete(mountPath);
        }
      }),
    );
  }
}
