/**
 * Test fixtures: an LDAP engine on real in-memory storage, and helpers that
 * reach the test directory (`@coffer/auth-ldap/testing`, a private slapd)
 * directly, as its root DN, to add accounts and check binds.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isCofferError, silentLogger, StorageView, type Backend, type LeasedSecret, type Operation, type Response, type SystemView } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { DIRECTORY, type TestDirectory } from '@coffer/auth-ldap/testing';
import { Client, InvalidCredentialsError, NoSuchObjectError } from 'ldapts';
import { createBackend } from './backend.js';

export { DIRECTORY, slapdSkipReason, startTestDirectory, type TestDirectory } from '@coffer/auth-ldap/testing';

export const DEFAULT_LEASE_TTL = 3600;
export const MAX_LEASE_TTL = 7200;

const MOUNT_PREFIX = 'logical/ldap/';

export interface Harness {
  backend: Backend;
  storage: InmemStorage;
  send(operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>, secret?: LeasedSecret): Promise<Response | null>;
  /** Sends a request as the holder of another (salted) client token. */
  sendAs(clientToken: string, operation: Exclude<Operation, 'help'>, path: string, data?: Record<string, unknown>): Promise<Response | null>;
  /** Returns every stored key and value, to show that a rejected request changed nothing. */
  snapshot(): Promise<Map<string, string>>;
  /** Builds a second engine over the same storage, as after a server restart. */
  restart(): Harness;
}

/** Mounts an LDAP engine on fresh in-memory storage, or on `storage` to model a restart. */
export function createHarness(system: Partial<SystemView> = {}, storage = new InmemStorage()): Harness {
  const view = new StorageView(storage, MOUNT_PREFIX);
  const backend = createBackend({
    storage: view,
    logger: silentLogger,
    system: { defaultLeaseTtl: () => DEFAULT_LEASE_TTL, maxLeaseTtl: () => MAX_LEASE_TTL, ...system },
    options: {},
    mountPoint: 'ldap/',
  });
  const send = (clientToken: string, operation: Exclude<Operation, 'help'>, path: string, data: Record<string, unknown> = {}, secret?: LeasedSecret) =>
    backend.handleRequest({
      id: 'req-1',
      operation,
      path,
      data,
      storage: view,
      mountPoint: 'ldap/',
      mountType: 'ldap',
      clientToken,
      displayName: 'token',
      headers: {},
      ...(secret === undefined ? {} : { secret }),
    });
  return {
    backend,
    storage,
    send: (operation, path, data, secret) => send('salted', operation, path, data, secret),
    sendAs: (clientToken, operation, path, data) => send(clientToken, operation, path, data),
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
    restart: () => createHarness(system, storage),
  };
}

/** Returns config fields that bind as the test directory's manager account. */
export function managerConfig(directory: TestDirectory): Record<string, unknown> {
  return { binddn: DIRECTORY.managerDn, bindpass: DIRECTORY.managerPassword, url: directory.url, userdn: DIRECTORY.peopleDn };
}

/** Builds the lease the server would pass back to renew or revoke a leased response. */
export function leaseOf(response: Response | null, options: { increment?: number; issuedSecondsAgo?: number } = {}): LeasedSecret {
  assert.ok(response?.secret !== undefined, 'expected a leased response');
  return {
    leaseId: 'ldap/creds/x/1',
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

/** Returns `prefix` with a random hex suffix, so names differ between tests. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Runs `task` on a connection bound as the directory's root DN, which bypasses access control. */
export async function asRoot<T>(directory: TestDirectory, task: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ url: directory.url, timeout: 10_000 });
  try {
    await client.bind(DIRECTORY.rootDn, DIRECTORY.rootPassword);
    return await task(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Adds an inetOrgPerson `cn=<name>` under ou=people with `password`, and returns its DN. */
export async function addPerson(directory: TestDirectory, name: string, password: string): Promise<string> {
  const dn = `cn=${name},${DIRECTORY.peopleDn}`;
  await asRoot(directory, (client) => client.add(dn, { objectClass: ['inetOrgPerson'], cn: name, sn: name, userPassword: password }));
  return dn;
}

/** Adds a service account `cn=manager-<suffix>` that may write every entry, and returns its DN. */
export async function addManager(directory: TestDirectory, suffix: string, password: string): Promise<string> {
  const dn = `cn=manager-${suffix},ou=services,${DIRECTORY.baseDn}`;
  await asRoot(directory, (client) => client.add(dn, { objectClass: ['person'], cn: `manager-${suffix}`, sn: 'Manager', userPassword: password }));
  return dn;
}

/** Returns true when `dn` binds with `password`, false when the directory rejects the credentials. */
export async function binds(directory: TestDirectory, dn: string, password: string): Promise<boolean> {
  const client = new Client({ url: directory.url, timeout: 10_000 });
  try {
    await client.bind(dn, password);
    return true;
  } catch (err) {
    if (err instanceof InvalidCredentialsError) return false;
    throw err;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Returns the entry's attributes as the root DN reads them, or null when it does not exist. */
export async function readEntry(directory: TestDirectory, dn: string): Promise<Record<string, unknown> | null> {
  return asRoot(directory, async (client) => {
    try {
      const result = await client.search(dn, { scope: 'base', attributes: ['*'] });
      return result.searchEntries[0] ?? null;
    } catch (err) {
      if (err instanceof NoSuchObjectError) return null;
      throw err;
    }
  });
}
