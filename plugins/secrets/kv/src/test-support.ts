/**
 * Test fixtures: a KV backend on real in-memory storage, a clock the test
 * moves by hand, and assertions for CofferErrors and raw responses.
 */
import assert from 'node:assert/strict';
import {
  isCofferError,
  StorageView,
  type Backend,
  type ExistenceResult,
  type Logger,
  type Operation,
  type Request,
  type Response,
  type Storage,
  type StorageEntry,
} from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { createBackend } from './backend.js';
import type { Clock } from './clock.js';

/** A clock that starts at a fixed time, ticks 1 ns per call and moves forward on request. */
export class ManualClock implements Clock {
  /** 2024-01-02T03:04:05.123456789Z */
  constructor(private current = 1_704_164_645_123_456_789n) {}

  now(): bigint {
    this.current += 1n;
    return this.current;
  }

  advance(seconds: number): void {
    this.current += BigInt(seconds) * 1_000_000_000n;
  }
}

/**
 * Storage that fails one chosen put or delete, to stand in for a process
 * that dies between two writes of one request. Everything else goes to the
 * real in-memory store.
 */
export class FaultInjectingStorage implements Storage {
  private fault: { operation: 'put' | 'delete'; pattern: RegExp } | null = null;

  constructor(private readonly inner: Storage) {}

  /** Makes the next `operation` on a key matching `pattern` throw, once. */
  failNext(operation: 'put' | 'delete', pattern: RegExp): void {
    this.fault = { operation, pattern };
  }

  get(key: string): Promise<StorageEntry | null> {
    return this.inner.get(key);
  }

  async put(entry: StorageEntry): Promise<void> {
    this.throwIfChosen('put', entry.key);
    await this.inner.put(entry);
  }

  async delete(key: string): Promise<void> {
    this.throwIfChosen('delete', key);
    await this.inner.delete(key);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  private throwIfChosen(operation: 'put' | 'delete', key: string): void {
    if (this.fault === null || this.fault.operation !== operation || !this.fault.pattern.test(key)) return;
    this.fault = null;
    throw new Error(`injected ${operation} failure at "${key}"`);
  }
}

/** One call to a {@link RecordingLogger}. */
export interface LogLine {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  fields: object;
  message: string;
}

/** A logger that keeps every line, so tests can check what the engine logged. */
export class RecordingLogger implements Logger {
  readonly lines: LogLine[] = [];

  trace(fields: object, message: string): void {
    this.lines.push({ level: 'trace', fields, message });
  }

  debug(fields: object, message: string): void {
    this.lines.push({ level: 'debug', fields, message });
  }

  info(fields: object, message: string): void {
    this.lines.push({ level: 'info', fields, message });
  }

  warn(fields: object, message: string): void {
    this.lines.push({ level: 'warn', fields, message });
  }

  error(fields: object, message: string): void {
    this.lines.push({ level: 'error', fields, message });
  }

  child(): Logger {
    return this;
  }
}

export interface Harness {
  backend: Backend;
  /** The whole store. The mount uses a view of it under {@link MOUNT_PREFIX}. */
  storage: InmemStorage;
  /** The store as the mount reaches it, with failures on request. */
  faults: FaultInjectingStorage;
  clock: ManualClock;
  logger: RecordingLogger;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>): Promise<Response | null>;
  exists(operation: 'create' | 'update', path: string, data?: Record<string, unknown>): Promise<ExistenceResult>;
  /** Returns every stored key and value, to show that a rejected request changed nothing. */
  snapshot(): Promise<Map<string, Buffer>>;
}

export const MOUNT_PREFIX = 'logical/0a1b2c3d/';
export const DEFAULT_LEASE_TTL = 2_764_800;

/**
 * Mounts a KV backend of `version` on fresh in-memory storage, or on
 * `storage` to start another backend on the data of an earlier one.
 */
export function createHarness(version: '1' | '2' | undefined, storage = new InmemStorage()): Harness {
  const faults = new FaultInjectingStorage(storage);
  const view = new StorageView(faults, MOUNT_PREFIX);
  const clock = new ManualClock();
  const logger = new RecordingLogger();
  const options: Record<string, string> = version === undefined ? {} : { version };
  const backend = createBackend(
    {
      storage: view,
      logger,
      system: { defaultLeaseTtl: () => DEFAULT_LEASE_TTL, maxLeaseTtl: () => 2 * DEFAULT_LEASE_TTL },
      options,
      mountPoint: 'secret/',
    },
    clock,
  );

  const buildRequest = (operation: Operation, path: string, data: Record<string, unknown>): Request => ({
    id: 'req-0001',
    operation,
    path,
    data,
    storage: view,
    mountPoint: 'secret/',
    mountType: 'kv',
    clientToken: 'salted-token',
    headers: {},
  });

  return {
    backend,
    storage,
    faults,
    clock,
    logger,
    send: (operation, path, data = {}) => backend.handleRequest(buildRequest(operation, path, data)),
    exists: (operation, path, data = {}) => backend.handleExistenceCheck(buildRequest(operation, path, data)),
    snapshot: async () => storage.snapshot(),
  };
}

/** Asserts that `promise` rejects with a CofferError of `status` and exactly `message`. */
export async function assertRejects(promise: Promise<unknown>, status: number, message: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isCofferError(err), `expected a CofferError, got ${String(err)}`);
    assert.equal(err.message, message);
    assert.equal(err.status, status);
    return true;
  });
}

/** Asserts that a request is rejected with a 400 and `message`, and that storage did not change. */
export async function assertRejectedUnchanged(harness: Harness, request: Promise<unknown>, message: string): Promise<void> {
  const before = await harness.snapshot();
  await assertRejects(request, 400, message);
  assert.deepEqual(await harness.snapshot(), before);
}

/** Returns the status and parsed JSON body of a raw response. */
export function rawJson(response: Response | null): { status: number; body: Record<string, unknown> } {
  assert.ok(response?.raw !== undefined, 'expected a raw response');
  assert.equal(response.raw.contentType, 'application/json');
  return { status: response.raw.status, body: JSON.parse(String(response.raw.body)) as Record<string, unknown> };
}

/** Returns `response.data`, failing when there is none. */
export function dataOf(response: Response | null): Record<string, unknown> {
  assert.ok(response !== null, 'expected a response, got null');
  const data = response.data ?? null;
  assert.notEqual(data, null, 'expected response data');
  return data as Record<string, unknown>;
}
