/**
 * Test fixtures: a transit backend on real in-memory storage, a clock the
 * test moves by hand, and assertions for CofferErrors and raw responses.
 */
import assert from 'node:assert/strict';
import {
  isCofferError,
  silentLogger,
  StorageView,
  type ExistenceResult,
  type Logger,
  type Operation,
  type Request,
  type Response,
} from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { createBackend, type TransitBackend } from './backend.js';
import type { Clock } from './clock.js';

/** A clock that moves only when the test advances it. */
export class ManualClock implements Clock {
  /** 2024-01-02T03:04:05.120Z */
  constructor(private current = Date.UTC(2024, 0, 2, 3, 4, 5, 120)) {}

  now(): number {
    return this.current;
  }

  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}

export interface Harness {
  backend: TransitBackend;
  /** The whole store. The mount uses a view of it under {@link MOUNT_PREFIX}. */
  storage: InmemStorage;
  clock: ManualClock;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>): Promise<Response | null>;
  exists(operation: 'create' | 'update', path: string, data?: Record<string, unknown>): Promise<ExistenceResult>;
  /** Returns every stored key and value, to show that a rejected request changed nothing. */
  snapshot(): Promise<Map<string, Buffer>>;
}

export const MOUNT_PREFIX = 'logical/5e6f7a8b/';

export interface HarnessOptions {
  storage?: InmemStorage;
  clock?: ManualClock;
  rotationCheckMs?: number;
  logger?: Logger;
}

/** Mounts a transit backend on fresh (or the given) in-memory storage. */
export function createHarness(options: HarnessOptions = {}): Harness {
  const storage = options.storage ?? new InmemStorage();
  const view = new StorageView(storage, MOUNT_PREFIX);
  const clock = options.clock ?? new ManualClock();
  const backend = createBackend(
    {
      storage: view,
      logger: options.logger ?? silentLogger,
      system: { defaultLeaseTtl: () => 2_764_800, maxLeaseTtl: () => 2_764_800 },
      options: {},
      mountPoint: 'transit/',
    },
    { clock, ...(options.rotationCheckMs !== undefined ? { rotationCheckMs: options.rotationCheckMs } : {}) },
  );

  const buildRequest = (operation: Operation, path: string, data: Record<string, unknown>): Request => ({
    id: 'req-0001',
    operation,
    path,
    data,
    storage: view,
    mountPoint: 'transit/',
    mountType: 'transit',
    clientToken: 'salted-token',
    headers: {},
  });

  return {
    backend,
    storage,
    clock,
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
export async function assertRejectedUnchanged(harness: Harness, request: () => Promise<unknown>, message: string): Promise<void> {
  const before = await harness.snapshot();
  await assertRejects(request(), 400, message);
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
  assert.equal(response.raw, undefined, 'expected a response with data, got a raw response');
  const data = response.data ?? null;
  assert.notEqual(data, null, 'expected response data');
  return data as Record<string, unknown>;
}

/** Encodes UTF-8 text as standard base64. */
export function b64(text: string | Buffer): string {
  return Buffer.from(text).toString('base64');
}

/** Creates a key and returns its description. */
export async function createKey(harness: Harness, name: string, settings: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return dataOf(await harness.send('update', `keys/${name}`, settings));
}

/** Encrypts text with a key and returns the ciphertext. */
export async function encryptText(harness: Harness, name: string, text: string, settings: Record<string, unknown> = {}): Promise<string> {
  const data = dataOf(await harness.send('update', `encrypt/${name}`, { plaintext: b64(text), ...settings }));
  return String(data.ciphertext);
}

/** Decrypts a ciphertext with a key and returns the text. */
export async function decryptText(harness: Harness, name: string, ciphertext: string, settings: Record<string, unknown> = {}): Promise<string> {
  const data = dataOf(await harness.send('update', `decrypt/${name}`, { ciphertext, ...settings }));
  return Buffer.from(String(data.plaintext), 'base64').toString('utf8');
}
