/**
 * Test fixtures: a cert auth backend on real in-memory storage, and
 * requests that carry a client certificate chain as the server passes it.
 */
import assert from 'node:assert/strict';
import {
  isCofferError,
  silentLogger,
  StorageView,
  type Backend,
  type ExistenceResult,
  type Operation,
  type RenewingLogin,
  type Request,
  type RequestConnection,
  type Response,
} from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { createBackend } from './backend.js';
import { pemBlocks } from './x509.js';

export interface Harness {
  backend: Backend;
  storage: InmemStorage;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>): Promise<Response | null>;
  exists(path: string): Promise<ExistenceResult>;
  /** Sends `login` over a connection that presents `pems` (leaf first); no argument means plain HTTP. */
  login(pems?: string[], data?: Record<string, unknown>, remoteAddress?: string): Promise<Response | null>;
  /** Renews `login` over a connection that presents `pems`; no argument means plain HTTP. */
  renew(login: RenewingLogin, pems?: string[]): Promise<Response | null>;
  /** Returns every stored key and value, to show that a rejected request changed nothing. */
  snapshot(): Promise<Map<string, Buffer>>;
}

const MOUNT_PREFIX = 'auth/7c2d9e41/';

/** Returns the connection of a TLS client that sent the certificates in `pems`. */
export function connectionOf(pems: string[]): RequestConnection {
  return { peerCertificates: pems.flatMap((pem) => pemBlocks(pem, 'CERTIFICATE')) };
}

/** Mounts a cert backend on fresh in-memory storage; `now` sets the clock its validity checks use. */
export function createHarness(now: () => Date = () => new Date()): Harness {
  const storage = new InmemStorage();
  const view = new StorageView(storage, MOUNT_PREFIX);
  const backend = createBackend(
    { storage: view, logger: silentLogger, system: { defaultLeaseTtl: () => 3600, maxLeaseTtl: () => 7200 }, options: {}, mountPoint: 'auth/cert/' },
    now,
  );
  const request = (operation: Operation, path: string, data: Record<string, unknown>): Request => ({
    id: 'req-0001',
    operation,
    path,
    data,
    storage: view,
    mountPoint: 'auth/cert/',
    mountType: 'cert',
    clientToken: '',
    remoteAddress: '127.0.0.1',
    headers: {},
  });
  const withConnection = (base: Request, pems: string[] | undefined, remoteAddress = '127.0.0.1'): Request =>
    pems === undefined ? { ...base, remoteAddress } : { ...base, remoteAddress, connection: connectionOf(pems) };

  return {
    backend,
    storage,
    send: (operation, path, data = {}) => backend.handleRequest(request(operation, path, data)),
    exists: (path) => backend.handleExistenceCheck(request('update', path, {})),
    login: (pems, data = {}, remoteAddress) => backend.handleRequest(withConnection(request('update', 'login', data), pems, remoteAddress)),
    renew: (login, pems) => backend.handleRequest({ ...withConnection(request('renew', 'login', {}), pems), auth: login }),
    snapshot: async () => storage.snapshot(),
  };
}

/** Returns the login the server would hand back on renewal of the token from `response`. */
export function renewingLoginOf(response: Response | null): RenewingLogin {
  const auth = response?.auth;
  assert.ok(auth !== undefined, 'expected a login response');
  return {
    policies: auth.policies,
    metadata: auth.metadata ?? {},
    internalData: auth.internalData ?? {},
    displayName: auth.displayName ?? '',
    ttl: auth.ttl ?? 0,
    period: 0,
    explicitMaxTtl: 0,
    issueTime: new Date().toISOString(),
    increment: 0,
    entityId: '',
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
  assert.ok(response.data !== undefined, 'expected response data');
  assert.ok(response.data !== null, 'expected response data, got null');
  return response.data;
}
