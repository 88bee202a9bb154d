/**
 * The logical request pipeline: authenticate, authorize, route, tell create
 * from update, and call the backend. The HTTP layer turns the result into
 * Vault's envelope.
 */
import { randomUUID } from 'node:crypto';
import {
  CofferError,
  permissionDenied,
  type LogicalBackend,
  type Operation,
  type Request,
  type Response,
  type Storage,
} from '@coffer/sdk';
import type { Core } from './core.js';
import type { ResolvedToken } from './token/token-store.js';

/** A request as the HTTP layer hands it to the pipeline. */
export interface LogicalRequest {
  id: string;
  operation: Operation;
  /** Path below `/v1/`, without a leading slash. */
  path: string;
  data: Record<string, unknown>;
  token: string;
  remoteAddress?: string;
}

export interface LogicalResult {
  response: Response | null;
  mountType: string;
}

/** The server's own backends that live outside the mount table. */
export interface SystemBackends {
  /** `sys/`, with root paths that need sudo. */
  sys: LogicalBackend;
  /** `auth/token/`. */
  token: LogicalBackend;
  /**
   * The real token of each request in flight to `auth/token/`, by request
   * id, because backends otherwise see only a salted token.
   */
  callerTokens: Map<string, string>;
}

export function newRequestId(): string {
  return randomUUID();
}

export async function handleLogicalRequest(core: Core, system: SystemBackends, request: LogicalRequest): Promise<LogicalResult> {
  const target = resolveTarget(core, system, request.path);
  if (target === undefined) {
    throw new CofferError('COFFER_ERR_NO_ROUTE', 404, `no handler for route "${request.path}". route entry not found.`);
  }

  const isUnauthenticated = target.backend.specialPaths().unauthenticated.includes(target.path);
  if (!isUnauthenticated) await authorize(core, request.token);

  const backendRequest: Request = {
    id: request.id,
    operation: request.operation,
    path: target.path,
    data: request.data,
    storage: target.storage,
    mountPoint: target.mountPoint,
    mountType: target.mountType,
    clientToken: request.token === '' ? '' : core.tokens.saltedId(`${target.mountPoint}:${request.token}`),
    headers: {},
    ...(request.remoteAddress !== undefined ? { remoteAddress: request.remoteAddress } : {}),
  };

  if (backendRequest.operation === 'update') {
    const existence = await target.backend.handleExistenceCheck(backendRequest);
    if (existence.checkFound && !existence.exists) backendRequest.operation = 'create';
  }

  if (target.backend !== system.token) {
    return { response: await target.backend.handleRequest(backendRequest), mountType: target.mountType };
  }
  system.callerTokens.set(request.id, request.token);
  try {
    return { response: await target.backend.handleRequest(backendRequest), mountType: target.mountType };
  } finally {
    system.callerTokens.delete(request.id);
  }
}

interface Target {
  backend: LogicalBackend;
  path: string;
  storage: Storage;
  mountPoint: string;
  mountType: string;
}

function resolveTarget(core: Core, system: SystemBackends, path: string): Target | undefined {
  if (path.startsWith('sys/') || path === 'sys') {
    return { backend: system.sys, path: path.slice(4), storage: core.barrier, mountPoint: 'sys/', mountType: 'system' };
  }
  if (path.startsWith('auth/token/')) {
    return { backend: system.token, path: path.slice(11), storage: core.barrier, mountPoint: 'auth/token/', mountType: 'token' };
  }
  const match = core.router.match(path);
  if (match === undefined) return undefined;
  return {
    backend: match.route.backend,
    path: match.path,
    storage: match.route.storage,
    mountPoint: match.route.mount.path,
    mountType: match.route.mount.type,
  };
}

/**
 * Checks the caller's token. Until ACL policies exist, only a root token is
 * authorized, and any other token is denied.
 */
async function authorize(core: Core, token: string): Promise<ResolvedToken> {
  const resolved = await core.tokens.lookup(token);
  if (resolved === null) throw permissionDenied();
  // TODO: evaluate ACL policies here once tokens other than root exist.
  if (!resolved.entry.policies.includes('root')) throw permissionDenied();
  return resolved;
}
