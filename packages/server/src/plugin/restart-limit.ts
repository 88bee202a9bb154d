/**
 * The restart policy every plugin process shares: a process that exits on
 * its own is started again by the next call that needs it, and at most
 * {@link MAX_RESTARTS} times within a sliding window of {@link RESTART_WINDOW_MS}.
 */

/** Restarts of one process within {@link RESTART_WINDOW_MS}, successful or not, after which calls fail without another attempt. */
export const MAX_RESTARTS = 5;
/** The sliding window of {@link MAX_RESTARTS}, in milliseconds. */
export const RESTART_WINDOW_MS = 60_000;

/** The restarts of one plugin process within the window. */
export class RestartLimit {
  /** Start times of the restarts within the window, oldest first, in unix milliseconds. */
  private readonly times: number[] = [];

  /** Drops restarts older than the window and returns whether another one is allowed at `now`. */
  allows(now: number): boolean {
    while (this.times.length > 0 && now - this.times[0] >= RESTART_WINDOW_MS) this.times.shift();
    return this.times.length < MAX_RESTARTS;
  }

  /** Records a restart that starts at `now`. */
  record(now: number): void {
    this.times.push(now);
  }

  /** The number of restarts within the window, as of the last {@link allows}. */
  get count(): number {
    return this.times.length;
  }

  /** Returns the time, in unix milliseconds, from which the oldest restart leaves the window. */
  nextAllowedAt(): number {
    return (this.times[0] ?? 0) + RESTART_WINDOW_MS;
  }
}
