/**
 * Helpers for the identity tests: an identity store on an unsealed barrier
 * over in-memory storage with login and group helpers for the store-level
 * tests, and request helpers for the tests over HTTP.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { silentLogger, type Auth } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { Barrier } from '../barrier/barrier.js';
import { api, type ApiResponse } from '../testing/api-client.js';
import { timestamp, type Group } from './model.js';
import { IdentityStore, type MountInfo } from './store.js';

/** Mounts the store fixtures know, by accessor. */
export const TEST_MOUNTS: Record<string, MountInfo> = {
  auth_userpass_1: { path: 'auth/userpass/', type: 'userpass' },
  auth_ldap_1: { path: 'auth/ldap/', type: 'ldap' },
};

export interface StoreFixture {
  store: IdentityStore;
  barrier: Barrier;
  physical: InmemStorage;
  /** Opens a second store on the same storage, as the next unseal would. */
  reopen(): Promise<IdentityStore>;
}

export async function openStore(): Promise<StoreFixture> {
  const physical = new InmemStorage();
  const barrier = new Barrier(physical);
  const rootKey = randomBytes(32);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  const create = (): IdentityStore => new IdentityStore(barrier, silentLogger, (accessor) => TEST_MOUNTS[accessor]);
  const store = create();
  await store.setup();
  return {
    store,
    barrier,
    physical,
    async reopen() {
      const reopened = create();
      await reopened.setup();
      return reopened;
    },
  };
}

/** Returns a login's `Auth` with an alias and, when given, group aliases. */
export function loginAuth(name: string, options: { metadata?: Record<string, string>; groups?: string[] } = {}): Auth {
  return {
    policies: ['default'],
    alias: { name, ...(options.metadata !== undefined ? { metadata: options.metadata } : {}) },
    ...(options.groups !== undefined ? { groupAliases: options.groups.map((group) => ({ name: group })) } : {}),
  };
}

/** Returns a group record with defaults for the fields a test leaves out. */
export function makeGroup(fields: Partial<Group> & { name: string }): Group {
  const now = timestamp();
  return {
    id: randomUUID(),
    type: 'internal',
    policies: [],
    metadata: {},
    memberEntityIds: [],
    memberGroupIds: [],
    alias: null,
    modifyIndex: 1,
    creationTime: now,
    lastUpdateTime: now,
    ...fields,
  };
}

/** Stores groups as they are, without the API's checks. */
export async function putGroups(store: IdentityStore, ...groups: Group[]): Promise<void> {
  await store.write(() => ({ changes: { putGroups: groups }, result: undefined }));
}

export const ROOT_TOKEN = 'root-test-token';

export type Caller = (method: string, path: string, body?: unknown) => Promise<ApiResponse>;

/** Returns a function that sends requests to `server` with `token`, the root token by default. */
export function callerFor(server: { address: string }, token = ROOT_TOKEN): Caller {
  return (method, path, body) => api(server, method, path, { token, ...(body !== undefined ? { body } : {}) });
}

/** Asserts a status, naming the request and the body when it differs. */
export function expectStatus(response: ApiResponse, status: number, what: string): void {
  assert.equal(response.status, status, `${what}: ${JSON.stringify(response.body)}`);
}

/** Creates an entity through the API and returns its ID. */
export async function createEntity(call: Caller, body: Record<string, unknown>): Promise<string> {
  const response = await call('POST', 'identity/entity', body);
  expectStatus(response, 200, 'create entity');
  return response.body.data.id as string;
}

/** Enables an auth method through the API and returns the mount's accessor. */
export async function enableAuth(call: Caller, path: string, type: string): Promise<string> {
  expectStatus(await call('POST', `sys/auth/${path}`, { type }), 204, `enable ${type} at ${path}`);
  const mounts = await call('GET', 'sys/auth');
  return mounts.body.data[`${path}/`].accessor as string;
}
