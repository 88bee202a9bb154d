/**
 * Test fixtures: an AppRole backend on real in-memory storage, a clock the
 * test moves by hand, and assertions for CofferErrors.
 */
import assert from 'node:assert/strict';
import {
  isCofferError,
  silentLogger,
  StorageView,
  type Backend,
  type ExistenceResult,
  type Operation,
  type Response,
} from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { createBackend } from './backend.js';

/** Milliseconds since the epoch, moved forward by the test. Starts at 2024-01-02T03:04:05Z. */
export class ManualClock {
  current = Date.parse('2024-01-02T03:04:05Z');

  readonly now = (): number => this.current;

  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}

export interface Harness {
  backend: Backend;
  storage: InmemStorage;
  clock: ManualClock;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>, remoteAddress?: string): Promise<Response | null>;
  exists(path: string): Promise<ExistenceResult>;
  /** Returns every stored key and value, to show that a rejected request changed nothing. */
  snapshot(): Promise<Map<string, Buffer>>;
}

export const MOUNT_PREFIX = 'auth/9a8b7c6d/';
export const MAX_LEASE_TTL = 86_400;

export function createHarness(): Harness {
  const storage = new InmemStorage();
  const view = new StorageView(storage, MOUNT_PREFIX);
  const clock = new ManualClock();
  const backend = createBackend(
    {
      storage: view,
      logger: silentLogger,
      system: { defaultLeaseTtl: () => 3600, maxLeaseTtl: () => MAX_LEASE_TTL },
      options: {},
      mountPoint: 'auth/approle/',
    },
    clock.now,
  );

  const request = (operation: Operation, path: string, data: Record<string, unknown>, remoteAddress = '127.0.0.1') => ({
    id: 'req-0001',
    operation,
    path,
    data,
    storage: view,
    mountPoint: 'auth/approle/',
    mountType: 'approle',
    clientToken: '',
    remoteAddress,
    headers: {},
  });

  return {
    backend,
    storage,
    clock,
    send: (operation, path, data = {}, remoteAddress) => backend.handleRequest(request(operation, path, data, remoteAddress)),
    exists: (path) => backend.handleExistenceCheck(request('update', path, {})),
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

/** Asserts that a request is rejected with `status` and `message`, and that storage did not change. */
export async function assertRejectedUnchanged(harness: Harness, request: () => Promise<unknown>, status: number, message: string): Promise<void> {
  const before = await harness.snapshot();
  await assertRejects(request(), status, message);
  assert.deepEqual(await harness.snapshot(), before);
}

/** Returns `response.data`, failing when there is none. */
export function dataOf(response: Response | null): Record<string, unknown> {
  assert.ok(response !== null, 'expected a response, got null');
  const data = response.data;
  assert.ok(data !== undefined, 'expected response data');
  assert.ok(data !== null, 'expected response data, got null');
  return data;
}

/** Creates a role and returns its role ID. */
export async function createRole(harness: Harness, name: string, fields: Record<string, unknown> = {}): Promise<string> {
  const response = await harness.send('create', `role/${name}`, fields);
  assert.equal(response, null);
  return String(dataOf(await harness.send('read', `role/${name}/role-id`)).role_id);
}

/** Generates a secret ID and returns the response data. */
export async function generateSecretId(harness: Harness, role: string, fields: Record<string, unknown> = {}): Promise<{ secretId: string; accessor: string; data: Record<string, unknown> }> {
  const data = dataOf(await harness.send('update', `role/${role}/secret-id`, fields));
  return { secretId: String(data.secret_id), accessor: String(data.secret_id_accessor), data };
}

/** Logs in and returns the response. */
export function login(harness: Harness, roleId: string, secretId?: string, remoteAddress?: string): Promise<Response | null> {
  const data: Record<string, unknown> = { role_id: roleId };
  if (secretId !== undefined) data.secret_id = secretId;
  return harness.send('update', 'login', data, remoteAddress);
}
