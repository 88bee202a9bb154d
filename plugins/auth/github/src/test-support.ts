/**
 * Test fixtures: a github auth backend on real in-memory storage, the
 * GitHub organizations, teams and users the stand-in serves, and
 * assertions for CofferErrors.
 */
import assert from 'node:assert/strict';
import { isCofferError, StorageView, type Backend, type Logger, type Operation, type RenewingLogin, type Request, type Response } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { createBackend } from './backend.js';
import type { GitHubState } from './testing/github-api.js';

export interface Harness {
  backend: Backend;
  storage: InmemStorage;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>, remoteAddress?: string): Promise<Response | null>;
  /** Sends the renewal of a token that a login issued, as the server does. */
  renew(login: RenewingLogin): Promise<Response | null>;
  /** Returns every stored key and value, to show that a rejected request changed nothing. */
  snapshot(): Promise<Map<string, Buffer>>;
}

/** Returns a logger that appends each entry, as JSON with its bindings, to `lines`. */
export function recordingLogger(lines: string[], bindings: object = {}): Logger {
  const record = (level: string) => (fields: object, message: string) => {
    lines.push(JSON.stringify({ level, ...bindings, ...fields, message }));
  };
  return {
    trace: record('trace'),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

/**
 * Mounts a github backend at `auth/github/` on fresh in-memory storage.
 * Its log entries go to `logLines`.
 */
export function createHarness(logLines: string[] = []): Harness {
  const storage = new InmemStorage();
  const view = new StorageView(storage, 'auth/3c8f1e07/');
  const backend = createBackend({
    storage: view,
    logger: recordingLogger(logLines),
    system: { defaultLeaseTtl: () => 3600, maxLeaseTtl: () => 7200 },
    options: {},
    mountPoint: 'auth/github/',
  });

  const buildRequest = (operation: Operation, path: string, data: Record<string, unknown>, remoteAddress: string | undefined): Request => ({
    id: 'req-0001',
    operation,
    path,
    data,
    storage: view,
    mountPoint: 'auth/github/',
    mountType: 'github',
    clientToken: '',
    headers: {},
    ...(remoteAddress !== undefined ? { remoteAddress } : {}),
  });

  return {
    backend,
    storage,
    send: (operation, path, data = {}, remoteAddress = '127.0.0.1') => backend.handleRequest(buildRequest(operation, path, data, remoteAddress)),
    renew: (login) => backend.handleRequest({ ...buildRequest('renew', 'login', {}, undefined), auth: login }),
    snapshot: async () => storage.snapshot(),
  };
}

export const ACME_ID = 4100;
export const OTHER_ID = 4200;

/** Personal access tokens of the fixture users. */
export const TOKENS = {
  alice: 'ghp_aliceToken0000000000000000000000000',
  bob: 'ghp_bobToken00000000000000000000000000000',
  carol: 'ghp_carolToken000000000000000000000000000',
} as const;

/**
 * Returns a fresh GitHub for a test to change. alice is in acme and other,
 * and in teams of both. bob is only in other. carol is in acme and in twelve
 * of its teams, which take more than one page when `maxPageSize` is small.
 */
export function gitHubState(): GitHubState {
  const carolTeams = Array.from({ length: 12 }, (_, index) => ({ id: 100 + index, name: `Squad ${index + 1}`, slug: `squad-${index + 1}`, organization: 'acme' }));
  return {
    organizations: [
      { id: ACME_ID, login: 'acme' },
      { id: OTHER_ID, login: 'other' },
    ],
    teams: [
      { id: 1, name: 'Developers', slug: 'developers', organization: 'acme' },
      { id: 2, name: 'Site Reliability', slug: 'site-reliability', organization: 'acme' },
      // Renamed after creation, so its slug no longer follows its name.
      { id: 3, name: 'platform', slug: 'infrastructure', organization: 'acme' },
      { id: 4, name: 'admins', slug: 'admins', organization: 'other' },
      ...carolTeams,
    ],
    users: [
      { id: 11, login: 'alice', organizations: ['acme', 'other'], teams: [1, 2, 3, 4] },
      { id: 12, login: 'bob', organizations: ['other'], teams: [4] },
      { id: 13, login: 'carol', organizations: ['acme'], teams: carolTeams.map((team) => team.id) },
    ],
    tokens: { [TOKENS.alice]: 'alice', [TOKENS.bob]: 'bob', [TOKENS.carol]: 'carol' },
    maxPageSize: 100,
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
export async function assertRejectedUnchanged(harness: Harness, request: () => Promise<unknown>, message: string, status = 400): Promise<void> {
  const before = await harness.snapshot();
  await assertRejects(request(), status, message);
  assert.deepEqual(await harness.snapshot(), before);
}

/** Returns the login of a response, failing when there is none. */
export function authOf(response: Response | null): NonNullable<Response['auth']> {
  assert.ok(response?.auth !== undefined, 'expected a login response');
  return response.auth;
}

/** Builds the login of `auth` as the server sends it back on renewal. */
export function renewing(auth: NonNullable<Response['auth']>): RenewingLogin {
  return {
    policies: ['default', ...auth.policies],
    metadata: auth.metadata ?? {},
    internalData: auth.internalData ?? {},
    displayName: auth.displayName ?? '',
    ttl: 3600,
    period: 0,
    explicitMaxTtl: 0,
    issueTime: '2026-01-01T00:00:00Z',
    increment: 0,
    entityId: '',
  };
}
