/**
 * A storage decorator for the physical cache tests: it counts the calls that
 * reach a real backend and can hold calls back, so a test can order a read
 * or write against another. Only test files import this module.
 */
import type { ClosableStorage, StorageEntry } from '@coffer/sdk';

export class CountingStorage implements ClosableStorage {
  readonly calls = { get: 0, put: 0, delete: 0, list: 0 };
  private readonly gates: { get?: Promise<void>; put?: Promise<void> } = {};
  private reached: Promise<void> = Promise.resolve();
  private markReached: () => void = () => {};

  constructor(private readonly inner: ClosableStorage) {}

  /**
   * Makes every later `get` (or `put`) complete its backend call, then wait
   * before it returns, until the returned function is called.
   */
  hold(operation: 'get' | 'put'): () => void {
    let release!: () => void;
    this.gates[operation] = new Promise((resolve) => (release = resolve));
    this.reached = new Promise((resolve) => (this.markReached = resolve));
    return () => {
      this.gates[operation] = undefined;
      release();
    };
  }

  /** Resolves once a held call has completed its backend call. */
  heldCallReached(): Promise<void> {
    return this.reached;
  }

  async get(key: string): Promise<StorageEntry | null> {
    this.calls.get += 1;
    const gate = this.gates.get;
    const entry = await this.inner.get(key);
    await this.wait(gate);
    return entry;
  }

  async put(entry: StorageEntry): Promise<void> {
    this.calls.put += 1;
    const gate = this.gates.put;
    await this.inner.put(entry);
    await this.wait(gate);
  }

  delete(key: string): Promise<void> {
    this.calls.delete += 1;
    return this.inner.delete(key);
  }

  list(prefix: string): Promise<string[]> {
    this.calls.list += 1;
    return this.inner.list(prefix);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async wait(gate: Promise<void> | undefined): Promise<void> {
    if (gate === undefined) return;
    this.markReached();
    await gate;
  }
}
