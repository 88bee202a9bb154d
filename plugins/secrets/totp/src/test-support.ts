/**
 * Test fixtures: a TOTP backend on real in-memory storage, a clock the test
 * sets by hand, and assertions for CofferErrors.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isCofferError, silentLogger, StorageView, type Operation, type Response } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { createBackend, type TotpBackend } from './backend.js';
import type { Clock } from './clock.js';
import type { Algorithm } from './otp.js';

const run = promisify(execFile);

/** A clock that moves only when the test sets or advances it. */
export class ManualClock implements Clock {
  /** 2024-01-02T03:04:05.120Z by default. */
  constructor(public current = Date.UTC(2024, 0, 2, 3, 4, 5, 120)) {}

  now(): number {
    return this.current;
  }

  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}

export interface Harness {
  backend: TotpBackend;
  storage: InmemStorage;
  clock: ManualClock;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>): Promise<Response | null>;
  /** Returns every stored key and value, to show that a rejected request changed nothing. */
  snapshot(): Promise<Map<string, Buffer>>;
}

const MOUNT_PREFIX = 'logical/7a1c0e42/';

/** Mounts a TOTP backend on fresh in-memory storage. */
export function createHarness(clock = new ManualClock()): Harness {
  const storage = new InmemStorage();
  const view = new StorageView(storage, MOUNT_PREFIX);
  const backend = createBackend(
    {
      storage: view,
      logger: silentLogger,
      system: { defaultLeaseTtl: () => 2_764_800, maxLeaseTtl: () => 2_764_800 },
      options: {},
      mountPoint: 'totp/',
    },
    { clock },
  );
  return {
    backend,
    storage,
    clock,
    send: (operation, path, data = {}) =>
      backend.handleRequest({
        id: 'req-0001',
        operation,
        path,
        data,
        storage: view,
        mountPoint: 'totp/',
        mountType: 'totp',
        clientToken: 'salted-token',
        headers: {},
      }),
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

/** Returns `response.data`, failing when there is none. */
export function dataOf(response: Response | null): Record<string, unknown> {
  assert.ok(response !== null, 'expected a response, got null');
  assert.notEqual(response.data, undefined, 'expected response data');
  assert.notEqual(response.data, null, 'expected response data');
  return response.data!;
}

/**
 * Runs Debian's oathtool for a TOTP code of a base32 key at `nowMs`.
 * `--now` takes a date, so the time goes in as "@<seconds>".
 */
export async function oathtoolCode(base32Key: string, nowMs: number, algorithm: string, digits: number, period: number): Promise<string> {
  const seconds = Math.floor(nowMs / 1000);
  const { stdout } = await run('oathtool', [
    `--totp=${algorithm.toLowerCase()}`,
    `--digits=${digits}`,
    `--time-step-size=${period}s`,
    `--now=@${seconds}`,
    '--base32',
    base32Key,
  ]);
  return stdout.trim();
}

/** The seeds of RFC 6238 appendix B: the ASCII digits repeated to the hash's output length. */
export const RFC6238_SEEDS: Record<Algorithm, Buffer> = {
  SHA1: Buffer.from('12345678901234567890', 'ascii'),
  SHA256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
};

/** RFC 6238 appendix B: Unix time in seconds, then the 8-digit codes for SHA1, SHA256 and SHA512, with 30-second steps. */
export const RFC6238_VECTORS: readonly [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];
