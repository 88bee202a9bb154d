/**
 * Per-name serialization of asynchronous work: tasks for one key name run
 * one after another, tasks for different names run concurrently.
 */
export class KeyLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `task` once every earlier task for `name` has settled, and returns its result. */
  run<T>(name: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(name, tail);
    void tail.then(() => {
      // Drop the entry once no later task has queued behind this one.
      if (this.tails.get(name) === tail) this.tails.delete(name);
    });
    return result;
  }
}
