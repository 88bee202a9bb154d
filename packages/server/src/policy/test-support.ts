/**
 * Helpers for the policy tests: a policy store on an unsealed barrier over
 * in-memory storage, the policy paths mounted in a framework backend, and a
 * small token table standing in for the token store, whose API is changing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Backend, silentLogger, type Operation, type Response } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { Barrier } from '../barrier/barrier.js';
import { policyPaths } from './index.js';
import type { EntityPolicies, TokenLookup, TokenPolicies } from './path-capabilities.js';
import { PolicyStore } from './store.js';

/** Tokens by ID and by accessor, returned in the two shapes the token store uses. */
export class TokenTable implements TokenLookup {
  private readonly byToken = new Map<string, string[]>();
  private readonly byAccessor = new Map<string, string[]>();

  add(token: string, accessor: string, policies: string[]): void {
    this.byToken.set(token, policies);
    this.byAccessor.set(accessor, policies);
  }

  async lookup(token: string): Promise<TokenPolicies | null> {
    const policies = this.byToken.get(token);
    return policies === undefined ? null : { entry: { policies } };
  }

  async lookupByAccessor(accessor: string): Promise<TokenPolicies | null> {
    const policies = this.byAccessor.get(accessor);
    return policies === undefined ? null : { policies };
  }
}

/** The entity lookup result of the fixture, never used because its tokens have no entity. */
const NO_ENTITY: EntityPolicies = { identityPolicies: [], context: undefined, disabled: false, found: false };

export interface PolicyBackendFixture {
  backend: Backend;
  store: PolicyStore;
  barrier: Barrier;
  tokens: TokenTable;
  /** The caller token of each request ID, as the pipeline would record it. */
  callers: Map<string, string>;
  /** Sends one request to the backend at a path relative to `sys/`. */
  call(operation: Operation, path: string, data?: Record<string, unknown>, id?: string): Promise<Response | null>;
}

export async function policyBackend(): Promise<PolicyBackendFixture> {
  const barrier = new Barrier(new InmemStorage());
  const rootKey = randomBytes(32);
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  const store = new PolicyStore(barrier, silentLogger);
  await store.setup();

  const tokens = new TokenTable();
  const callers = new Map<string, string>();
  const backend = new Backend({
    backendType: 'logical',
    help: 'Policy paths under test.',
    paths: policyPaths({ store, tokens, callerToken: (id) => callers.get(id), entityPolicies: async () => NO_ENTITY }),
  });

  const call = (operation: Operation, path: string, data: Record<string, unknown> = {}, id = randomUUID()) =>
    backend.handleRequest({
      id,
      operation,
      path,
      data,
      storage: barrier,
      mountPoint: 'sys/',
      mountType: 'system',
      clientToken: '',
      headers: {},
    });
  return { backend, store, barrier, tokens, callers, call };
}

/** Returns the JSON body of a raw response, failing when the response is not one. */
export function rawBody(response: Response | null): Record<string, unknown> {
  if (response?.raw === undefined) throw new Error(`expected a raw response, got ${JSON.stringify(response)}`);
  if (response.raw.status !== 200) throw new Error(`expected status 200, got ${response.raw.status}`);
  return JSON.parse(String(response.raw.body)) as Record<string, unknown>;
}
