/**
 * Test helpers for the expiration manager: a manual clock that also serves
 * as the schedule's timers, a logger that records entries, and a real SDK
 * backend with secret types whose handlers record what they were asked.
 */
import { randomBytes } from 'node:crypto';
import { InmemStorage } from '@coffer/storage-inmem';
import {
  Backend,
  definePath,
  defineSecret,
  nameSegment,
  secretResponse,
  StorageView,
  type Logger,
  type Request,
  type SystemView,
} from '@coffer/sdk';
import { Barrier } from '../barrier/barrier.js';
import type { LeaseTarget } from './backend-request.js';
import { ExpirationManager, type ExpirationDeps } from './expiration-manager.js';
import type { TimerApi } from './expiry-schedule.js';

/** A clock that moves only when a test advances it, firing the timers that fall due on the way. */
export class ManualClock implements TimerApi {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, { dueAt: number; callback: () => void }>();

  constructor(start: number) {
    this.current = start;
  }

  readonly now = (): number => this.current;

  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { dueAt: this.current + delayMs, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** The number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward without firing timers, as when the event loop runs late. */
  skip(ms: number): void {
    this.current += ms;
  }

  /** Moves time forward by `ms`, firing each timer at its due time, earliest first. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let earliest: [number, { dueAt: number; callback: () => void }] | undefined;
      for (const timer of this.timers) {
        if (timer[1].dueAt <= target && (earliest === undefined || timer[1].dueAt < earliest[1].dueAt)) earliest = timer;
      }
      if (earliest === undefined) break;
      this.timers.delete(earliest[0]);
      this.current = Math.max(this.current, earliest[1].dueAt);
      earliest[1].callback();
    }
    this.current = target;
  }
}

export interface LogRecord {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that keeps every entry, to check what was logged. */
export class RecordingLogger implements Logger {
  constructor(readonly records: LogRecord[] = []) {}

  trace(fields: object, message: string): void {
    this.records.push({ level: 'trace', fields: fields as Record<string, unknown>, message });
  }

  debug(fields: object, message: string): void {
    this.records.push({ level: 'debug', fields: fields as Record<string, unknown>, message });
  }

  info(fields: object, message: string): void {
    this.records.push({ level: 'info', fields: fields as Record<string, unknown>, message });
  }

  warn(fields: object, message: string): void {
    this.records.push({ level: 'warn', fields: fields as Record<string, unknown>, message });
  }

  error(fields: object, message: string): void {
    this.records.push({ level: 'error', fields: fields as Record<string, unknown>, message });
  }

  child(): Logger {
    return this;
  }

  withMessage(message: string): LogRecord[] {
    return this.records.filter((record) => record.message === message);
  }
}

/** Records of the test backend's handler calls, and settings for how the handlers behave. */
export interface BackendLog {
  /** Usernames whose secrets were revoked, in order. */
  revoked: string[];
  /** Renew requests received. */
  renewals: Array<{ leaseId: string; increment: number; ttl: number; lastRenewalTime?: string }>;
  /** Failures still to come from the `flaky` type's revoke handler. */
  flakyFailuresLeft: number;
  /** When set, the `creds` renew handler returns these TTLs; otherwise it keeps the lease's. */
  renewWith?: { ttl: number; maxTtl: number };
}

/**
 * Creates a real framework backend with three secret types: `creds` (renewable,
 * revoke records the username), `flaky` (revoke fails `flakyFailuresLeft`
 * times first) and `cert` (no renew handler). A read of
 * `<type>/<name>?ttl=&max_ttl=` issues a secret of that type.
 */
export function createTestBackend(log: BackendLog): Backend {
  const userField = { username: { type: 'string', description: 'The user the secret belongs to.' } } as const;
  const creds = defineSecret({
    type: 'creds',
    fields: userField,
    async renew(request) {
      const secret = request.secret!;
      log.renewals.push({ leaseId: secret.leaseId, increment: secret.increment, ttl: secret.ttl, ...(secret.lastRenewalTime !== undefined ? { lastRenewalTime: secret.lastRenewalTime } : {}) });
      if (log.renewWith === undefined) return null;
      return { secret: { ...log.renewWith, renewable: true, internalData: secret.internalData } };
    },
    async revoke(_request, fields) {
      log.revoked.push(fields.get('username'));
      return null;
    },
  });
  const flaky = defineSecret({
    type: 'flaky',
    fields: userField,
    async revoke(_request, fields) {
      if (log.flakyFailuresLeft > 0) {
        log.flakyFailuresLeft -= 1;
        throw new Error('connection to the database was refused');
      }
      log.revoked.push(fields.get('username'));
      return null;
    },
  });
  const cert = defineSecret({
    type: 'cert',
    fields: userField,
    async revoke(_request, fields) {
      log.revoked.push(fields.get('username'));
      return null;
    },
  });
  const types = { creds, flaky, cert };

  return new Backend({
    backendType: 'logical',
    help: 'Issues leased test secrets.',
    secrets: [creds, flaky, cert],
    paths: [
      definePath({
        pattern: `(?<kind>creds|flaky|cert)/${nameSegment('name')}`,
        fields: {
          kind: { type: 'string', description: 'The secret type.' },
          name: { type: 'string', description: 'The user name.' },
          ttl: { type: 'int', description: 'Seconds; 0 takes the mount default.' },
          max_ttl: { type: 'int', description: 'Seconds; 0 leaves the mount max.' },
        },
        operations: {
          async read(_request, fields) {
            const name = fields.get('name');
            const type = types[fields.get('kind') as keyof typeof types];
            return secretResponse(type, { username: name, password: `pw-${name}` }, { username: name }, { ttl: fields.get('ttl'), maxTtl: fields.get('max_ttl') });
          },
        },
        helpSynopsis: 'Issue a secret.',
        helpDescription: 'Issues a leased secret of the type in the path.',
      }),
    ],
  });
}

/** The mount's tunables, changed by tests; 0 takes the server's value. */
export interface MountTune {
  defaultTtl: number;
  maxTtl: number;
}

export const SERVER_DEFAULT_TTL = 3600;
export const SERVER_MAX_TTL = 86400;
/** 2024-05-01T00:00:00Z, a whole second, so the tests' TTL arithmetic is exact. */
export const START_TIME = Date.UTC(2024, 4, 1);

export interface LeaseEnvironment {
  manager: ExpirationManager;
  barrier: Barrier;
  physical: InmemStorage;
  clock: ManualClock;
  logger: RecordingLogger;
  backend: Backend;
  log: BackendLog;
  tune: MountTune;
  /** Mount points by path; delete one to simulate an unmount. */
  mounts: Map<string, LeaseTarget>;
  revokedTokens: string[];
  /** Builds a manager over the same storage, as a restart does. */
  restart(): ExpirationManager;
  /** Issues a secret through the backend mounted at `db/` and registers its lease. */
  issue(path: string, options?: { token?: string; ttl?: number; maxTtl?: number }): Promise<{ leaseId: string; ttl: number; renewable: boolean }>;
}

/**
 * Builds a manager over a real barrier on inmem storage, with the test
 * backend mounted at `db/`, a manual clock, and a retry policy of 1 s, 2 s,
 * 4 s without jitter and 4 attempts.
 */
export async function leaseEnvironment(overrides: Partial<ExpirationDeps> = {}): Promise<LeaseEnvironment> {
  const physical = new InmemStorage();
  const barrier = new Barrier(physical);
  const rootKey = randomBytes(32);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);

  const log: BackendLog = { revoked: [], renewals: [], flakyFailuresLeft: 0 };
  const backend = createTestBackend(log);
  const tune: MountTune = { defaultTtl: 0, maxTtl: 0 };
  const system: SystemView = { defaultLeaseTtl: () => tune.defaultTtl, maxLeaseTtl: () => tune.maxTtl };
  const mounts = new Map<string, LeaseTarget>([
    ['db/', { backend, storage: new StorageView(barrier, 'logical/db-uuid/'), mountPoint: 'db/', mountType: 'test', system, mountAccessor: 'test_1a2b3c4d' }],
  ]);
  const clock = new ManualClock(START_TIME);
  const logger = new RecordingLogger();
  const revokedTokens: string[] = [];

  const build = (): ExpirationManager =>
    new ExpirationManager({
      storage: barrier,
      logger,
      resolve: (path) => [...mounts.values()].find((target) => path.startsWith(target.mountPoint)),
      revokeToken: async (saltedTokenId) => {
        revokedTokens.push(saltedTokenId);
      },
      defaultLeaseTtl: SERVER_DEFAULT_TTL,
      maxLeaseTtl: SERVER_MAX_TTL,
      now: clock.now,
      timers: clock,
      retry: { baseDelayMs: 1000, maxDelayMs: 4000, maxAttempts: 4, jitter: 0 },
      ...overrides,
    });
  const manager = build();
  await manager.setup();

  return {
    manager,
    barrier,
    physical,
    clock,
    logger,
    backend,
    log,
    tune,
    mounts,
    revokedTokens,
    restart: build,
    async issue(path, options = {}) {
      const response = await backend.handleRequest(readRequest(path.slice('db/'.length), barrier, options));
      return manager.register({ path, clientTokenId: options.token ?? '' }, response!.secret!, response!.data ?? undefined);
    },
  };
}

function readRequest(path: string, barrier: Barrier, options: { ttl?: number; maxTtl?: number }): Request {
  return {
    id: 'issue-request',
    operation: 'read',
    path,
    data: { ttl: options.ttl ?? 0, max_ttl: options.maxTtl ?? 0 },
    storage: new StorageView(barrier, 'logical/db-uuid/'),
    mountPoint: 'db/',
    mountType: 'test',
    clientToken: '',
    headers: {},
  };
}

/** Sends a request to a backend built from `leasePaths`, as the sys backend would. */
export function sysRequest(operation: Request['operation'], path: string, data: Record<string, unknown>, barrier: Barrier): Request {
  return { id: 'sys-request', operation, path, data, storage: barrier, mountPoint: 'sys/', mountType: 'system', clientToken: '', headers: {} };
}

