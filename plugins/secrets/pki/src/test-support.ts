/**
 * Test fixtures: a PKI backend on real in-memory storage, assertions for
 * CofferErrors and raw responses, and the openssl command on files in a
 * temporary folder, so certificates are checked by an independent tool.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isCofferError, silentLogger, StorageView, type Backend, type ExistenceResult, type Operation, type Response } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { createBackend } from './backend.js';
import type { Clock } from './context.js';

const run = promisify(execFile);

/** Mount default and maximum lease TTLs of the test mount: 32 days and 10 years, in seconds. */
export const DEFAULT_TTL = 2_764_800;
export const MAX_TTL = 315_360_000;

export interface Harness {
  backend: Backend;
  storage: InmemStorage;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>): Promise<Response | null>;
  exists(operation: 'create' | 'update', path: string, data?: Record<string, unknown>): Promise<ExistenceResult>;
  /** Returns every stored key and value, to show that a rejected request changed nothing. */
  snapshot(): Promise<Map<string, Buffer>>;
}

/** A clock that moves only when the test advances it. */
export class ManualClock implements Clock {
  constructor(private current = Date.now()) {}

  now(): Date {
    return new Date(this.current);
  }

  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}

/** Caller details the server passes to the backend with each request. */
export interface CallerSettings {
  /** The display name of the caller's token; absent as on an unauthenticated request. */
  displayName?: string;
}

/** Mounts a PKI backend on fresh in-memory storage under `mountPoint`, on the real clock unless one is given. */
export function createHarness(mountPoint = 'pki/', clock?: Clock, caller: CallerSettings = {}): Harness {
  const storage = new InmemStorage();
  const view = new StorageView(storage, 'logical/0a1b2c3d/');
  const backend = createBackend(
    {
      storage: view,
      logger: silentLogger,
      system: { defaultLeaseTtl: () => DEFAULT_TTL, maxLeaseTtl: () => MAX_TTL },
      options: {},
      mountPoint,
    },
    clock === undefined ? {} : { clock },
  );
  const request = (operation: Operation, path: string, data: Record<string, unknown>) => ({
    id: 'req-0001',
    operation,
    path,
    data,
    storage: view,
    mountPoint,
    mountType: 'pki',
    clientToken: 'salted-token',
    headers: {},
    ...(caller.displayName !== undefined ? { displayName: caller.displayName } : {}),
  });
  return {
    backend,
    storage,
    send: (operation, path, data = {}) => backend.handleRequest(request(operation, path, data)),
    exists: (operation, path, data = {}) => backend.handleExistenceCheck(request(operation, path, data)),
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
  assert.equal(response.raw, undefined, 'expected a response with data, got a raw response');
  assert.ok(response.data !== undefined, 'expected response data');
  assert.ok(response.data !== null, 'expected response data, got null');
  return response.data;
}

/** Returns the status, content type and body text of a raw response. */
export function rawOf(response: Response | null): { status: number; contentType: string; body: Buffer } {
  assert.ok(response?.raw !== undefined, 'expected a raw response');
  const body = typeof response.raw.body === 'string' ? Buffer.from(response.raw.body) : response.raw.body;
  return { status: response.raw.status, contentType: response.raw.contentType, body };
}

/** Generates an internal EC root, which is fast, and returns the response data. */
export async function generateRoot(harness: Harness, settings: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return dataOf(await harness.send('update', 'root/generate/internal', { common_name: 'Example Root', key_type: 'ec', ttl: '87600h', ...settings }));
}

/** Tools for one test: files in a temporary folder and the openssl command run there. */
export interface OpensslRun {
  dir: string;
  /** Writes a file into the folder and returns its path. */
  file(name: string, content: string | Buffer): Promise<string>;
  /** Runs openssl and returns its exit code and output. */
  openssl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Runs `task` with a fresh temporary folder, removed afterwards. */
export async function withOpenssl<T>(task: (tools: OpensslRun) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-pki-'));
  try {
    return await task({
      dir,
      file: async (name, content) => {
        const path = join(dir, name);
        await writeFile(path, content);
        return path;
      },
      openssl: async (args) => {
        try {
          const { stdout, stderr } = await run('openssl', args, { cwd: dir });
          return { code: 0, stdout, stderr };
        } catch (err) {
          const failure = err as { code?: number; stdout?: string; stderr?: string };
          return { code: typeof failure.code === 'number' ? failure.code : -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
        }
      },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `openssl x509 -noout -text` on a PEM certificate and returns the text. */
export async function certificateText(pem: string): Promise<string> {
  return withOpenssl(async (tools) => {
    const path = await tools.file('cert.pem', pem);
    const result = await tools.openssl(['x509', '-noout', '-text', '-in', path]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  });
}
