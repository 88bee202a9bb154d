/**
 * Test fixtures: an ssh backend on real in-memory storage with a clock the
 * test sets, assertions for CofferErrors, and the real OpenSSH tools
 * (ssh-keygen) run on files in a temporary folder.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isCofferError, silentLogger, StorageView, type Backend, type Operation, type Response } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { createBackend } from './backend.js';
import type { Clock } from './context.js';

export const run = promisify(execFile);

/** A clock that moves only when the test sets or advances it. */
export class ManualClock implements Clock {
  constructor(public current = Date.now()) {}

  now(): number {
    return this.current;
  }

  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}

/** Default and maximum lease TTL of the test mount, in seconds. */
export const MOUNT_DEFAULT_TTL = 3600;
export const MOUNT_MAX_TTL = 86_400;

export const MOUNT_PREFIX = 'logical/55aa66bb/';

export interface Harness {
  backend: Backend;
  storage: InmemStorage;
  clock: ManualClock;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>, displayName?: string): Promise<Response | null>;
  snapshot(): Promise<Map<string, Buffer>>;
}

/** Mounts an ssh backend on fresh in-memory storage. */
export function createHarness(clock = new ManualClock()): Harness {
  const storage = new InmemStorage();
  const view = new StorageView(storage, MOUNT_PREFIX);
  const backend = createBackend(
    {
      storage: view,
      logger: silentLogger,
      system: { defaultLeaseTtl: () => MOUNT_DEFAULT_TTL, maxLeaseTtl: () => MOUNT_MAX_TTL },
      options: {},
      mountPoint: 'ssh/',
    },
    { clock },
  );
  return {
    backend,
    storage,
    clock,
    send: (operation, path, data = {}, displayName) =>
      backend.handleRequest({
        id: 'req-0001',
        operation,
        path,
        data,
        storage: view,
        mountPoint: 'ssh/',
        mountType: 'ssh',
        clientToken: 'salted-token',
        headers: {},
        ...(displayName !== undefined ? { displayName } : {}),
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
  const data = response.data;
  assert.notEqual(data, undefined, 'expected response data');
  assert.notEqual(data, null, 'expected response data');
  return data as Record<string, unknown>;
}

/** A temporary folder for key and certificate files, removed by `close`. */
export interface Workdir {
  path: string;
  file(name: string): string;
  close(): Promise<void>;
}

export async function createWorkdir(): Promise<Workdir> {
  const path = await mkdtemp(join(tmpdir(), 'coffer-ssh-'));
  return { path, file: (name) => join(path, name), close: () => rm(path, { recursive: true, force: true }) };
}

/** Generates a key with `ssh-keygen -t <type>` and returns its private key file path and its public key line. */
export async function sshKeygen(workdir: Workdir, name: string, type: string, bits?: number): Promise<{ keyFile: string; publicKey: string }> {
  const keyFile = workdir.file(name);
  const args = ['-q', '-t', type, '-N', '', '-C', `${name}@test`, '-f', keyFile, ...(bits !== undefined ? ['-b', String(bits)] : [])];
  await run('ssh-keygen', args);
  return { keyFile, publicKey: await readFile(`${keyFile}.pub`, 'utf8') };
}

/** Writes a certificate line to a file and returns `ssh-keygen -L -f` of it, which also verifies the CA signature. */
export async function describeCertificate(workdir: Workdir, name: string, line: string): Promise<string> {
  const file = workdir.file(name);
  await writeFile(file, line);
  const { stdout } = await run('ssh-keygen', ['-L', '-f', file], { env: { ...process.env, TZ: 'UTC' } });
  return stdout;
}

/** Returns the SHA256 fingerprint of a public key line, as `ssh-keygen -l` prints it. */
export async function fingerprintOf(workdir: Workdir, name: string, publicKey: string): Promise<string> {
  const file = workdir.file(name);
  await writeFile(file, publicKey);
  const { stdout } = await run('ssh-keygen', ['-l', '-f', file]);
  return stdout.split(' ')[1]!;
}

/** Formats seconds since the epoch the way `ssh-keygen -L` prints validity bounds with TZ=UTC. */
export function keygenTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19);
}

/** Generates a CA on the harness (ssh-ed25519 unless `settings` set another key_type) and returns its public key line. */
export async function configureCa(harness: Harness, settings: Record<string, unknown> = { key_type: 'ssh-ed25519' }): Promise<string> {
  return String(dataOf(await harness.send('update', 'config/ca', settings)).public_key);
}

/** The fields of an `ssh-keygen -L` listing, with the lists under Principals, Critical Options and Extensions. */
export interface CertificateListing {
  fields: Record<string, string>;
  principals: string[];
  criticalOptions: string[];
  extensions: string[];
}

/** Parses the output of `ssh-keygen -L`. */
export function parseListing(output: string): CertificateListing {
  const listing: CertificateListing = { fields: {}, principals: [], criticalOptions: [], extensions: [] };
  const lists: Record<string, string[]> = { Principals: listing.principals, 'Critical Options': listing.criticalOptions, Extensions: listing.extensions };
  let current: string[] | undefined;
  for (const line of output.split('\n').slice(1)) {
    const item = /^ {16}(.*)$/.exec(line);
    if (item !== null && current !== undefined) {
      current.push(item[1]!);
      continue;
    }
    const field = /^ {8}([^:]+): ?(.*)$/.exec(line);
    if (field === null) continue;
    listing.fields[field[1]!] = field[2]!;
    current = lists[field[1]!];
  }
  return listing;
}
