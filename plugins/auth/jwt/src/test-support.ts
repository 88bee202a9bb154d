/**
 * Test fixtures: a JWT backend on real in-memory storage with a clock the
 * test can move, signing keys made per test, and a JWKS server on
 * 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { isCofferError, silentLogger, StorageView, type Backend, type ExistenceResult, type Logger, type Operation, type Response } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { createJwtBackend } from './backend.js';
import type { JwtContext } from './context.js';
import type { KeyCacheTiming } from './keys.js';

export interface Harness {
  backend: Backend;
  context: JwtContext;
  storage: InmemStorage;
  /** The backend's clock in milliseconds; tests move it. */
  clock: { ms: number };
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>, remoteAddress?: string): Promise<Response | null>;
  exists(path: string): Promise<ExistenceResult>;
  /** Sends the renewal of a token issued with `policies` and the login's internal data. */
  renew(policies: string[], internalData: Record<string, unknown>): Promise<Response | null>;
  /** Returns every stored key and value, to show that a rejected request changed nothing. */
  snapshot(): Promise<Map<string, Buffer>>;
}

export const MOUNT_PREFIX = 'auth/0b7c1d9e/';

/** Mounts a JWT backend on fresh in-memory storage. */
export async function createHarness(keyCacheTiming?: KeyCacheTiming, logger: Logger = silentLogger): Promise<Harness> {
  const storage = new InmemStorage();
  const view = new StorageView(storage, MOUNT_PREFIX);
  const clock = { ms: Date.now() };
  const { backend, context } = createJwtBackend(
    {
      storage: view,
      logger,
      system: { defaultLeaseTtl: () => 3600, maxLeaseTtl: () => 7200 },
      options: {},
      mountPoint: 'auth/jwt/',
    },
    { now: () => clock.ms, ...(keyCacheTiming === undefined ? {} : { keyCacheTiming }) },
  );
  await backend.initialize();

  const request = (operation: Operation, path: string, data: Record<string, unknown>, remoteAddress = '127.0.0.1') => ({
    id: 'req-0001',
    operation,
    path,
    data,
    storage: view,
    mountPoint: 'auth/jwt/',
    mountType: 'jwt',
    clientToken: '',
    remoteAddress,
    headers: {},
  });

  return {
    backend,
    context,
    storage,
    clock,
    send: (operation, path, data = {}, remoteAddress) => backend.handleRequest(request(operation, path, data, remoteAddress)),
    exists: (path) => backend.handleExistenceCheck(request('update', path, {})),
    renew: (policies, internalData) =>
      backend.handleRequest({
        ...request('renew', 'login', {}),
        auth: { policies, metadata: {}, internalData, displayName: 'jwt-alice', ttl: 60, period: 0, explicitMaxTtl: 0, issueTime: new Date().toISOString(), increment: 0, entityId: '' },
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
  assert.ok(data !== undefined, 'expected response data, got none');
  assert.ok(data !== null, 'expected response data, got null');
  return data;
}

/** One call of a logger from {@link recordingLogger}. */
export interface LogEntry {
  level: string;
  fields: object;
  message: string;
}

/** Returns a logger that keeps every entry, for tests of what is logged. */
export function recordingLogger(entries: LogEntry[]): Logger {
  const record = (level: string) => (fields: object, message: string) => {
    entries.push({ level, fields, message });
  };
  const logger: Logger = {
    trace: record('trace'),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    child: () => logger,
  };
  return logger;
}

/** A signing key made for one test, with its public forms. */
export interface TestKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  /** SPKI PEM of the public key. */
  publicPem: string;
  /** Public JWK with `kid`, `alg` and `use`. */
  publicJwk: JWK;
}

/** Generates a key pair for `alg`. */
export async function makeKey(alg: string, kid = `${alg.toLowerCase()}-key`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicPem: await exportSPKI(publicKey), publicJwk };
}

/** Signs `claims` with the key, naming its `kid` unless `kid` is null. */
export async function signToken(key: TestKey, claims: JWTPayload, kid: string | null = key.kid): Promise<string> {
  const header = kid === null ? { alg: key.alg } : { alg: key.alg, kid };
  return new SignJWT(claims).setProtectedHeader(header).sign(key.privateKey);
}

/** Returns the current time of the harness clock in seconds. */
export function nowSeconds(harness: Harness): number {
  return Math.floor(harness.clock.ms / 1000);
}

/** A JWKS endpoint on 127.0.0.1 whose keys the test can replace. */
export interface JwksServer {
  url: string;
  keys: JWK[];
  /** Number of requests served. */
  requests: number;
  /** Status of the next responses; 200 unless a test sets another. */
  status: number;
  close(): Promise<void>;
}

/** Starts a JWKS server on a free loopback port. */
export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  const jwks: JwksServer = { url: '', keys, requests: 0, status: 200, close: async () => {} };
  const server = createServer((_request, response) => {
    jwks.requests += 1;
    response.writeHead(jwks.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: jwks.keys }));
  });
  const address = await listen(server);
  jwks.url = `http://127.0.0.1:${address.port}/keys`;
  jwks.close = () => closeServer(server);
  return jwks;
}

/** Listens on a free port of 127.0.0.1. */
export function listen(server: Server): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo));
  });
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Returns a loopback URL on which nothing listens: a port that was free a moment ago. */
export async function unusedUrl(path = '/'): Promise<string> {
  const server = createServer();
  const { port } = await listen(server);
  await closeServer(server);
  return `http://127.0.0.1:${port}${path}`;
}
