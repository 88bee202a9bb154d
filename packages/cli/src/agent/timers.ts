// Timers for delays longer than Node's setTimeout takes: a delay above
// 2^31 - 1 ms (about 24.8 days) fires at once, with a warning, so a long
// lease would be renewed in a busy loop. These split the wait into parts.
import { setTimeout as sleep } from 'node:timers/promises';

/** Maximum delay setTimeout takes, in milliseconds. */
const maxTimerMs = 2 ** 31 - 1;

/** A timer that `clearLongTimeout` cancels. */
export interface LongTimeout {
  handle?: NodeJS.Timeout;
}

/** Calls `callback` after `ms` milliseconds, for any delay. */
export function setLongTimeout(callback: () => void, ms: number): LongTimeout {
  const timer: LongTimeout = {};
  const arm = (remaining: number): void => {
    timer.handle = setTimeout(() => (remaining > maxTimerMs ? arm(remaining - maxTimerMs) : callback()), Math.min(remaining, maxTimerMs));
  };
  arm(ms);
  return timer;
}

export function clearLongTimeout(timer: LongTimeout | undefined): void {
  clearTimeout(timer?.handle);
}

/** Resolves true after `seconds`, or false as soon as `signal` aborts. An infinite wait ends only on abort. */
export async function wait(seconds: number, signal: AbortSignal): Promise<boolean> {
  let remaining = seconds * 1000;
  try {
    while (remaining > 0) {
      const part = Math.min(remaining, maxTimerMs);
      await sleep(part, undefined, { signal });
      remaining -= part;
    }
    return true;
  } catch {
    return false;
  }
}
