/**
 * Helpers for the audit tests: a broker on an unsealed barrier over
 * in-memory storage, the sys/audit paths in a framework backend, and
 * readers for the entries a file device wrote.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Backend, silentLogger, type Operation, type Response } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { Barrier } from '../barrier/barrier.js';
import { AuditBroker } from './broker.js';
import type { AuditResponseInput } from './input.js';
import { auditPaths } from './path-audit.js';

export interface AuditFixture {
  barrier: Barrier;
  broker: AuditBroker;
  backend: Backend;
  /** Sends one request to the sys/audit paths, relative to `sys/`. */
  call(operation: Operation, path: string, data?: Record<string, unknown>): Promise<Response | null>;
}

export async function unsealedBarrier(): Promise<Barrier> {
  const barrier = new Barrier(new InmemStorage());
  const rootKey = randomBytes(32);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  return barrier;
}

/** Creates a set-up broker on a fresh barrier, or on `barrier` to share its storage. */
export async function auditFixture(barrier?: Barrier): Promise<AuditFixture> {
  const storage = barrier ?? (await unsealedBarrier());
  const broker = new AuditBroker(storage, silentLogger);
  await broker.setup();
  const backend = new Backend({ backendType: 'logical', help: 'Audit paths under test.', paths: auditPaths(broker) });
  let requests = 0;
  return {
    barrier: storage,
    broker,
    backend,
    call(operation, path, data = {}) {
      requests += 1;
      return backend.handleRequest({
        id: `request-${requests}`,
        operation,
        path,
        data,
        storage,
        mountPoint: 'sys/',
        mountType: 'system',
        clientToken: '',
        headers: {},
      });
    },
  };
}

/** Reads a JSON-lines audit log. */
export async function readEntries(path: string): Promise<any[]> {
  return parseEntries(await readFile(path, 'utf8'));
}

/** Parses audit entries written as JSON lines. */
export function parseEntries(text: string): any[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

/** Builds a request with secrets at several depths and a caller token, as the pipeline would pass it. */
export function sampleInput(overrides: Partial<AuditResponseInput> = {}): AuditResponseInput {
  return {
    requestId: 'b5c6f1e2-0000-4000-8000-000000000001',
    operation: 'update',
    path: 'secret/data/app',
    mountPoint: 'secret/',
    mountType: 'kv',
    mountAccessor: 'kv_1a2b3c4d',
    data: {
      data: { password: 'top-secret-password', nested: { apiKey: 'deep-secret-key', list: ['listed-secret', { inner: 'inner-secret' }] } },
      options: { cas: 2 },
      enabled: true,
      nothing: null,
    },
    remoteAddress: '127.0.0.1',
    remotePort: 51234,
    wrapTtl: 0,
    token: 'hvs.caller-token-value',
    tokenEntry: {
      accessor: 'caller-accessor-value',
      policies: ['default', 'app'],
      displayName: 'token-app',
      metadata: { team: 'payments' },
      type: 'service',
      entityId: '',
      ttl: 3600,
      issueTime: '2024-01-15T10:30:45Z',
    },
    ...overrides,
  };
}
