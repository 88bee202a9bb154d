/**
 * Retries the unseal of a server with an auto-unseal seal until it succeeds.
 * The seal's HSM or service may be unreachable when the server starts, so
 * each failure is logged and the next attempt waits twice as long as the
 * last, up to a maximum.
 */
import type { Logger } from '@coffer/sdk';

/** Waits between attempts, in milliseconds. */
export interface RetryDelays {
  /** Wait after the first failure. */
  initialMs: number;
  /** Maximum wait between two attempts. */
  maxMs: number;
}

export const DEFAULT_RETRY_DELAYS: RetryDelays = { initialMs: 1000, maxMs: 30_000 };

export class AutoUnseal {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private running = false;
  private stopped = false;
  private failures = 0;

  constructor(
    /** One unseal attempt; throws when the seal cannot decrypt the root key. */
    private readonly unseal: () => Promise<void>,
    private readonly logger: Logger,
    private readonly delays: RetryDelays = DEFAULT_RETRY_DELAYS,
  ) {}

  /** Starts retrying in the background; does nothing while already retrying or after `stop`. */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.failures = 0;
    this.schedule(0);
  }

  /** Stops retrying and waits for an attempt in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.current = this.attempt();
    }, delayMs);
  }

  private async attempt(): Promise<void> {
    try {
      await this.unseal();
      this.running = false;
      this.logger.info({ failures: this.failures }, 'auto-unseal succeeded');
    } catch (err) {
      this.failures += 1;
      if (this.stopped) {
        this.running = false;
        this.logger.warn({ err, failures: this.failures }, 'auto-unseal failed; the server is stopping, so it is not retried');
        return;
      }
      const delayMs = Math.min(this.delays.initialMs * 2 ** (this.failures - 1), this.delays.maxMs);
      // The seal's errors carry return codes and messages, never key material or credentials.
      this.logger.warn({ err, failures: this.failures, retryInMs: delayMs }, 'auto-unseal failed; retrying');
      this.schedule(delayMs);
    }
  }
}
