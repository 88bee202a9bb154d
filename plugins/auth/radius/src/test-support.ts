/**
 * Test fixtures: a RADIUS backend on real in-memory storage, and
 * assertions for CofferErrors.
 */
import assert from 'node:assert/strict';
import { isCofferError, silentLogger, StorageView, type Backend, type Operation, type RenewingLogin, type Request, type Response } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { createBackend } from './backend.js';

export interface Harness {
  backend: Backend;
  storage: InmemStorage;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>): Promise<Response | null>;
  /** Sends the renewal of a token that a login at `path` issued, as the server does. */
  renew(path: string, login: RenewingLogin): Promise<Response | null>;
  /** Returns every stored key and value, to show that a rejected request changed nothing. */
  snapshot(): Promise<Map<string, Buffer>>;
}

const MOUNT_PREFIX = 'auth/5b2e9a41/';

/** Mounts a RADIUS backend at `auth/radius/` on fresh in-memory storage. */
export function createHarness(): Harness {
  const storage = new InmemStorage();
  const view = new StorageView(storage, MOUNT_PREFIX);
  const backend = createBackend({
    storage: view,
    logger: silentLogger,
    system: { defaultLeaseTtl: () => 3600, maxLeaseTtl: () => 7200 },
    options: {},
    mountPoint: 'auth/radius/',
  });

  const buildRequest = (operation: Operation, path: string, data: Record<string, unknown>): Request => ({
    id: 'req-0001',
    operation,
    path,
    data,
    storage: view,
    mountPoint: 'auth/radius/',
    mountType: 'radius',
    clientToken: '',
    headers: {},
    remoteAddress: '127.0.0.1',
  });

  return {
    backend,
    storage,
    send: (operation, path, data = {}) => backend.handleRequest(buildRequest(operation, path, data)),
    renew: (path, login) => backend.handleRequest({ ...buildRequest('renew', path, {}), auth: login }),
    snapshot: async () => storage.snapshot(),
  };
}

/** Asserts that `promise` rejects with a CofferError of `status` and exactly `message`. */
export async function assertRejects(promise: Promise<unknown>, status: number, message: string, code?: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isCofferError(err), `expected a CofferError, got ${String(err)}`);
    assert.equal(err.message, message);
    assert.equal(err.status, status);
    if (code !== undefined) assert.equal(err.code, code);
    return true;
  });
}

/** Asserts that a request is rejected with a 400 and `message`, and that storage did not change. */
export async function assertRejectedUnchanged(harness: Harness, request: () => Promise<unknown>, message: string): Promise<void> {
  const before = await harness.snapshot();
  await assertRejects(request(), 400, message);
  assert.deepEqual(await harness.snapshot(), before);
}

/** Returns the login of a response, failing when there is none. */
export function authOf(response: Response | null): NonNullable<Response['auth']> {
  assert.ok(response?.auth !== undefined, 'expected a login response');
  return response.auth;
}
