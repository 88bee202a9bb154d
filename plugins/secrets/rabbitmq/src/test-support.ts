/**
 * Test fixtures: a RabbitMQ engine on real in-memory storage, and helpers
 * that reach the machine's RabbitMQ directly, over the management API as
 * its `guest` administrator and over AMQP as an issued user. Each test file
 * makes its own vhost with a random name and deletes it, and the users it
 * issued, afterwards, so runs can go side by side.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isCofferError, silentLogger, StorageView, type Backend, type LeasedSecret, type Operation, type Response, type SystemView } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import amqp from 'amqplib';
import { createBackend } from './backend.js';

export const MANAGEMENT_URI = 'http://127.0.0.1:15672';
export const AMQP_HOST = '127.0.0.1:5672';
/** RabbitMQ's default administrator, which it accepts only from loopback. */
export const ADMIN = { username: 'guest', password: 'guest' };
export const CONNECTION = { connection_uri: MANAGEMENT_URI, ...ADMIN };

export const DEFAULT_LEASE_TTL = 3600;
export const MAX_LEASE_TTL = 7200;

const MOUNT_PREFIX = 'logical/rabbit/';

export interface Harness {
  backend: Backend;
  storage: InmemStorage;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>, secret?: LeasedSecret): Promise<Response | null>;
  /** Returns every stored key and value, to show that a rejected request changed nothing. */
  snapshot(): Promise<Map<string, string>>;
}

/** Mounts a RabbitMQ engine on fresh in-memory storage; `displayName` is the caller's token display name. */
export function createHarness(displayName: string, system: Partial<SystemView> = {}): Harness {
  const storage = new InmemStorage();
  const view = new StorageView(storage, MOUNT_PREFIX);
  const backend = createBackend({
    storage: view,
    logger: silentLogger,
    system: { defaultLeaseTtl: () => DEFAULT_LEASE_TTL, maxLeaseTtl: () => MAX_LEASE_TTL, ...system },
    options: {},
    mountPoint: 'rabbitmq/',
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
        mountPoint: 'rabbitmq/',
        mountType: 'rabbitmq',
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

/** Builds the lease the server would pass back to renew or revoke a `creds` response. */
export function leaseOf(response: Response | null, options: { increment?: number; issuedSecondsAgo?: number } = {}): LeasedSecret {
  assert.ok(response?.secret !== undefined, 'expected a leased response');
  return {
    leaseId: 'rabbitmq/creds/x/1',
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
export function dataOf(response: Response | null): Record<string, unknown> {
  assert.notEqual(response, null, 'expected a response');
  assert.notEqual(response!.data, undefined, 'expected response data');
  assert.notEqual(response!.data, null, 'expected response data');
  return response!.data as Record<string, unknown>;
}

/** Returns `prefix` with a random hex suffix, so names differ between runs. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Calls the management API as the administrator; returns the status and the parsed body, or null for none. */
export async function adminApi(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${MANAGEMENT_URI}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

/** Creates a vhost with a unique name and returns the name. */
export async function createVhost(): Promise<string> {
  const vhost = uniqueName('coffer-test');
  assert.equal((await adminApi('PUT', `/api/vhosts/${encodeURIComponent(vhost)}`)).status, 201);
  return vhost;
}

/** Deletes a vhost, with its queues and exchanges. */
export async function deleteVhost(vhost: string): Promise<void> {
  await adminApi('DELETE', `/api/vhosts/${encodeURIComponent(vhost)}`);
}

/** Returns the names of RabbitMQ users that start with `prefix`. */
export async function usersWithPrefix(prefix: string): Promise<string[]> {
  const { body } = await adminApi('GET', '/api/users');
  return (body as { name: string }[]).map((user) => user.name).filter((name) => name.startsWith(prefix)).sort();
}

/** Deletes every RabbitMQ user whose name starts with `prefix`. */
export async function deleteUsersWithPrefix(prefix: string): Promise<void> {
  for (const name of await usersWithPrefix(prefix)) await adminApi('DELETE', `/api/users/${encodeURIComponent(name)}`);
}

/**
 * Opens an AMQP connection to `vhost` as `username`, runs `use` with a
 * confirm channel, and closes the connection. Errors from the connection,
 * such as a refused login, reject.
 */
export async function withAmqp<T>(username: string, password: string, vhost: string, use: (channel: amqp.ConfirmChannel) => Promise<T>): Promise<T> {
  const url = `amqp://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${AMQP_HOST}/${encodeURIComponent(vhost)}`;
  const connection = await amqp.connect(url);
  // A channel error also arrives as a connection event; the failing call rejects with it already.
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    return await use(channel);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Publishes one message on a confirm channel and waits until RabbitMQ confirms it; rejects when the channel is closed on it. */
export async function publishConfirmed(channel: amqp.ConfirmChannel, exchange: string, routingKey: string, content: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    channel.once('close', () => reject(new Error('channel closed before the publish was confirmed')));
    channel.once('error', reject);
    channel.publish(exchange, routingKey, Buffer.from(content), {}, (err) => (err === null || err === undefined ? resolve() : reject(err)));
  });
}
