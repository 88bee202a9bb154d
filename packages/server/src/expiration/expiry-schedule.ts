/**
 * The expiry schedule: when each lease is next due for revocation, kept in
 * a binary min-heap under one timer set for the earliest due time.
 *
 * One timer for all leases keeps a server with many leases from holding
 * one timer each and from waking once per lease. The cost is a heap push
 * per change, O(log n). A changed or removed due time leaves its old heap
 * item behind. Popping skips such stale items, and the heap is rebuilt
 * when they outnumber the live ones.
 */

/** The timer functions the schedule uses; tests pass a manual clock's. */
export interface TimerApi {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers, unref'd so a pending expiry never keeps the process alive. */
export const systemTimers: TimerApi = {
  setTimeout(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** Node caps a timer's delay at 2^31 - 1 ms (about 24.8 days); longer waits re-arm. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

interface HeapItem {
  dueAt: number;
  key: string;
  /** Matches `live`'s sequence number while this item is current. */
  sequence: number;
}

export class ExpirySchedule {
  private heap: HeapItem[] = [];
  private readonly live = new Map<string, { dueAt: number; sequence: number }>();
  private nextSequence = 0;
  private timer: unknown;
  private timerDueAt = Infinity;
  private stopped = false;

  /**
   * @param now - Clock in Unix milliseconds.
   * @param onDue - Receives the keys that fell due, earliest first; each key
   *   leaves the schedule before the call.
   */
  constructor(
    private readonly now: () => number,
    private readonly timers: TimerApi,
    private readonly onDue: (keys: string[]) => void,
  ) {}

  get size(): number {
    return this.live.size;
  }

  /** Returns the due time of `key`, or undefined when it is not scheduled. */
  dueAt(key: string): number | undefined {
    return this.live.get(key)?.dueAt;
  }

  /** Schedules `key` at `dueAt` (Unix milliseconds), replacing any earlier time. */
  set(key: string, dueAt: number): void {
    if (this.stopped) return;
    const sequence = this.nextSequence++;
    this.live.set(key, { dueAt, sequence });
    this.push({ dueAt, key, sequence });
    this.compactIfStale();
    this.arm();
  }

  delete(key: string): void {
    this.live.delete(key);
    this.compactIfStale();
  }

  /** Drops every key and the timer; later calls to `set` are ignored. */
  stop(): void {
    this.stopped = true;
    this.live.clear();
    this.heap = [];
    this.disarm();
  }

  /** Hands every key due by now to `onDue` and re-arms the timer for the rest. */
  runDue(): void {
    if (this.stopped) return;
    const now = this.now();
    const due: string[] = [];
    while (this.heap.length > 0 && this.heap[0].dueAt <= now) {
      const item = this.pop();
      if (this.live.get(item.key)?.sequence !== item.sequence) continue;
      this.live.delete(item.key);
      due.push(item.key);
    }
    this.disarm();
    this.arm();
    if (due.length > 0) this.onDue(due);
  }

  private arm(): void {
    this.dropStaleTop();
    if (this.heap.length === 0) return;
    const dueAt = this.heap[0].dueAt;
    if (this.timer !== undefined && this.timerDueAt <= dueAt) return;

    this.disarm();
    const delay = Math.min(Math.max(0, dueAt - this.now()), MAX_TIMER_DELAY_MS);
    this.timerDueAt = dueAt;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.timerDueAt = Infinity;
      this.runDue();
    }, delay);
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = Infinity;
  }

  private dropStaleTop(): void {
    while (this.heap.length > 0 && this.live.get(this.heap[0].key)?.sequence !== this.heap[0].sequence) this.pop();
  }

  private compactIfStale(): void {
    if (this.heap.length <= 2 * this.live.size + 64) return;
    this.heap = [...this.live].map(([key, { dueAt, sequence }]) => ({ key, dueAt, sequence }));
    for (let index = (this.heap.length >> 1) - 1; index >= 0; index--) this.siftDown(index);
  }

  private push(item: HeapItem): void {
    this.heap.push(item);
    let index = this.heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(this.heap[index], this.heap[parent])) break;
      [this.heap[index], this.heap[parent]] = [this.heap[parent], this.heap[index]];
      index = parent;
    }
  }

  private pop(): HeapItem {
    const top = this.heap[0];
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(start: number): void {
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < this.heap.length && this.before(this.heap[left], this.heap[smallest])) smallest = left;
      if (right < this.heap.length && this.before(this.heap[right], this.heap[smallest])) smallest = right;
      if (smallest === index) return;
      [this.heap[index], this.heap[smallest]] = [this.heap[smallest], this.heap[index]];
      index = smallest;
    }
  }

  /** Orders by due time, then by scheduling order, so equal times run first-come first-served. */
  private before(a: HeapItem, b: HeapItem): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.sequence < b.sequence);
  }
}
