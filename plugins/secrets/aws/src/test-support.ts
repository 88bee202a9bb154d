/**
 * Test fixtures: an AWS engine on real in-memory storage, talking through
 * the real AWS SDK clients to the IAM and STS stand-in on a loopback port.
 * The AWS environment variables are set to dummies so that nothing reads
 * real credentials, shared files or instance metadata.
 */
import assert from 'node:assert/strict';
import { isCofferError, silentLogger, StorageView, type Backend, type LeasedSecret, type Logger, type Operation, type Response, type SystemView } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { createBackend } from './backend.js';
import type { AwsDouble } from './testing/index.js';

process.env.AWS_ACCESS_KEY_ID = 'AKIAENVIRONMENTDUMMY';
process.env.AWS_SECRET_ACCESS_KEY = 'environment-dummy-secret';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
process.env.AWS_CONFIG_FILE = '/nonexistent/config';

export const DEFAULT_LEASE_TTL = 3600;
export const MAX_LEASE_TTL = 7200;

const MOUNT_PREFIX = 'logical/aws/';

export interface Harness {
  backend: Backend;
  storage: InmemStorage;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>, secret?: LeasedSecret): Promise<Response | null>;
  /** Returns every stored key and value, to show that a rejected request changed nothing. */
  snapshot(): Promise<Map<string, string>>;
}

/** Mounts an AWS engine on fresh in-memory storage; `displayName` is the caller's token display name. */
export function createHarness(displayName = 'token', system: Partial<SystemView> = {}, logger: Logger = silentLogger): Harness {
  const storage = new InmemStorage();
  const view = new StorageView(storage, MOUNT_PREFIX);
  const backend = createBackend({
    storage: view,
    logger,
    system: { defaultLeaseTtl: () => DEFAULT_LEASE_TTL, maxLeaseTtl: () => MAX_LEASE_TTL, ...system },
    options: {},
    mountPoint: 'aws/',
  });
  return {
    backend,
    storage,
    send: (operation, path, data = {}, secret) =>
      backend.handleRequest({
        id: 'req-1',
        operation,
        path,
        data,
        storage: view,
        mountPoint: 'aws/',
        mountType: 'aws',
        clientToken: 'salted',
        displayName,
        headers: {},
        ...(secret === undefined ? {} : { secret }),
      }),
    snapshot: async () => {
      const entries = new Map<string, string>();
      const walk = async (prefix: string): Promise<void> => {
        for (const name of await storage.list(prefix)) {
          if (name.endsWith('/')) await walk(prefix + name);
          else entries.set(prefix + name, (await storage.get(prefix + name))?.value.toString('utf8') ?? '');
        }
      };
      await walk('');
      return entries;
    },
  };
}

/** Returns config/root fields that point the engine at the stand-in as its admin user. */
export function rootConfig(aws: AwsDouble): Record<string, unknown> {
  return {
    access_key: aws.admin.accessKeyId,
    secret_key: aws.admin.secretAccessKey,
    region: aws.region,
    iam_endpoint: aws.endpoint,
    sts_endpoint: aws.endpoint,
    max_retries: 0,
  };
}

/** Builds the lease the server would pass back to renew or revoke a `creds` response. */
export function leaseOf(response: Response | null, options: { increment?: number; issuedSecondsAgo?: number } = {}): LeasedSecret {
  assert.ok(response?.secret !== undefined, 'expected a leased response');
  return {
    leaseId: 'aws/creds/x/1',
    internalData: response.secret.internalData,
    ttl: response.secret.ttl,
    issueTime: new Date(Date.now() - (options.issuedSecondsAgo ?? 0) * 1000).toISOString(),
    increment: options.increment ?? 0,
  };
}

/** Asserts that `request` fails with `status` and exactly `message`, and that storage did not change. */
export async function assertRejectedUnchanged(harness: Harness, request: () => Promise<unknown>, message: string, status = 400): Promise<void> {
  const before = await harness.snapshot();
  await assert.rejects(request(), (err: unknown) => {
    assert.ok(isCofferError(err), `expected a CofferError, got ${String(err)}`);
    assert.equal(err.message, message);
    assert.equal(err.status, status);
    return true;
  });
  assert.deepEqual(await harness.snapshot(), before);
}

/** Returns `response.data`, failing when there is none. */
export function dataOf(response: Response | null): Record<string, any> {
  assert.notEqual(response, null, 'expected a response');
  assert.notEqual(response!.data, undefined, 'expected response data');
  assert.notEqual(response!.data, null, 'expected response data');
  return response!.data as Record<string, any>;
}

/** Returns a logger that keeps every entry as one JSON line, so tests can search what was logged. */
export function recordingLogger(lines: string[]): Logger {
  const record = (level: string) => (fields: object, message: string) => {
    lines.push(JSON.stringify({ level, message, ...fields }));
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
