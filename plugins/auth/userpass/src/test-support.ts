/**
 * Test fixtures: a userpass backend on real in-memory storage with the real
 * argon2id hasher, wrapped to record which hashes each login checked.
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
import { createArgon2Hasher, type PasswordHasher } from './password.js';

/** The real hasher, recording the hash each `verify` call checked against. */
export class RecordingHasher implements PasswordHasher {
  readonly verifiedHashes: string[] = [];
  private readonly inner = createArgon2Hasher();

  async hash(password: string): Promise<string> {
    return this.inner.hash(password);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    this.verifiedHashes.push(passwordHash);
    return this.inner.verify(passwordHash, password);
  }

  dummyHash(): Promise<string> {
    return this.inner.dummyHash();
  }
}

export interface Harness {
  backend: Backend;
  storage: InmemStorage;
  hasher: RecordingHasher;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>, remoteAddress?: string): Promise<Response | null>;
  exists(path: string): Promise<ExistenceResult>;
  /** Returns every stored key and value, to show that a rejected request changed nothing. */
  snapshot(): Promise<Map<string, Buffer>>;
}

export const MOUNT_PREFIX = 'auth/5e1f0c2a/';

/** Mounts a userpass backend on fresh in-memory storage and runs its initialize hook. */
export async function createHarness(): Promise<Harness> {
  const storage = new InmemStorage();
  const view = new StorageView(storage, MOUNT_PREFIX);
  const hasher = new RecordingHasher();
  const backend = createBackend(
    {
      storage: view,
      logger: silentLogger,
      system: { defaultLeaseTtl: () => 3600, maxLeaseTtl: () => 7200 },
      options: {},
      mountPoint: 'auth/userpass/',
    },
    hasher,
  );
  await backend.initialize();

  const request = (operation: Operation, path: string, data: Record<string, unknown>, remoteAddress = '127.0.0.1') => ({
    id: 'req-0001',
    operation,
    path,
    data,
    storage: view,
    mountPoint: 'auth/userpass/',
    mountType: 'userpass',
    clientToken: '',
    remoteAddress,
    headers: {},
  });

  return {
    backend,
    storage,
    hasher,
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

/** Creates a user with a password and optional token fields. */
export async function createUser(harness: Harness, username: string, password: string, extra: Record<string, unknown> = {}): Promise<void> {
  const response = await harness.send('create', `users/${username}`, { password, ...extra });
  assert.equal(response, null);
}
