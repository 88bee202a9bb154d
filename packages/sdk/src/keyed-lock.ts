/**
 * Serializes asynchronous work by key: a task starts once every earlier task
 * on the same key has settled, and tasks on different keys run concurrently.
 *
 * Node runs handlers on one thread, but every storage call yields, so two
 * read-modify-write steps on one record (two writes of one secret, a renewal
 * and a revocation of one lease) could otherwise interleave and lose a
 * change. A task must not wait for a later task on its own key: both would
 * wait forever.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task on `key` has settled, and returns its result. */
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
      // The map keeps only keys with a task running or waiting.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Returns the number of keys with a task running or waiting. */
  get size(): number {
    return this.tails.size;
  }
}
