/**
 * Serializes async work per key: a task waits for the previous task on the
 * same key, so a renewal and a revocation of one lease never interleave.
 * Tasks on different keys run concurrently. A task must not wait on a task
 * of its own key, or both wait forever.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

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
      // Drop the entry once no later task has queued behind this one.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** The number of keys with a task running or waiting. */
  get size(): number {
    return this.tails.size;
  }
}
