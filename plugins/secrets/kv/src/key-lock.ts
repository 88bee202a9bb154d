/**
 * Per-key mutual exclusion for the read-modify-write steps of one secret.
 *
 * Node runs handlers on one thread, but each storage call yields, so two
 * writes to the same secret could otherwise both read version 3 and both
 * write version 4. Writes to different keys still run concurrently.
 */
export class KeyLocks {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task for `key` has settled. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    this.tails.set(key, tail);

    await previous;
    try {
      return await task();
    } finally {
      release();
      // Drop the entry when no later task queued behind this one, so the map
      // contains only keys with work in flight.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Returns the number of keys with a task running or queued. */
  get size(): number {
    return this.tails.size;
  }
}
