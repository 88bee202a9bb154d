/**
 * The logical request pipeline: resolve the route, tell create from update,
 * authenticate the token, check its policies, call the backend, register
 * any lease, wrap the response when asked, and spend a limited-use token.
 */
import { randomUUID } from 'node:crypto';
import {
  CofferError,
  INVALID_CREDENTIALS_CODE,
  parseJson,
  permissionDenied,
  StorageView,
  type LogicalBackend,
  type Operation,
  type Request,
  type RequestConnection,
  type Response,
  type Storage,
} from '@coffer/sdk';
import { auditTokenFields, type AuditInput, type AuditResponseData, type AuditResponseInput } from './audit/index.js';
import type { Core } from './core.js';
import { cubbyholePrefix } from './cubbyhole/backend.js';
import { gateLogin } from './identity/mfa/index.js';
import { normalizePolicyName, type ACL, type AclRequest } from './policy/index.js';
import { PathMatcher, type Route } from './router/router.js';
import { mountPathServing, TOKEN_MOUNT_ACCESSOR } from './system/path-mounts.js';
import { loginAlias } from './lockout/user-lockout.js';
import { issueLoginToken } from './token/login.js';
import type { CallerContext } from './token/caller.js';
import { hasIssuedToken, type ResolvedToken } from './token/token-entry.js';
import { isWrappingToken, type WrapInfo } from './wrapping/wrapping.js';

/** A request as the HTTP layer hands it to the pipeline. */
export interface LogicalRequest {
  id: string;
  operation: Operation;
  /** Path below `/v1/`, without a leading slash. */
  path: string;
  data: Record<string, unknown>;
  token: string;
  /** Seconds, from `X-Vault-Wrap-TTL`; 0 when the client did not ask for wrapping. */
  wrapTtl: number;
  remoteAddress?: string;
  /**
   * The request's headers as received, name and value alternating, one pair
   * per header line (Node's `rawHeaders`), for the audited request headers.
   */
  rawHeaders?: readonly string[];
  /**
   * Returns the client's TLS connection. The pipeline calls it only for auth
   * method logins and token renewals, which may read the client certificates.
   */
  connection?: () => RequestConnection | undefined;
}

export interface LogicalResult {
  response: Response | null;
  mountType: string;
  /** Set when a lease was registered for the response's secret. */
  lease?: { leaseId: string; ttl: number; renewable: boolean };
  /** Set when the response was wrapped; the client then receives only this, not `response`. */
  wrapInfo?: WrapInfo;
}

/** The server's own backends that live outside the mount table. */
export interface SystemBackends {
  sys: LogicalBackend;
  token: LogicalBackend;
  cubbyhole: LogicalBackend;
  identity: LogicalBackend;
}

/** Vault's default TTL for sys/wrapping/wrap when the client sets none: 5 minutes. */
const DEFAULT_WRAP_TTL = 300;

/** Paths a wrapping token may use; its policy reaches nothing else. */
const WRAPPING_TOKEN_PATHS = new Set(['sys/wrapping/unwrap', 'sys/wrapping/lookup', 'sys/wrapping/rewrap']);

export function newRequestId(): string {
  return randomUUID();
}

interface Target {
  backend: LogicalBackend;
  path: string;
  storage: Storage;
  mountPoint: string;
  mountType: string;
  rootPaths: PathMatcher;
  unauthenticatedPaths: PathMatcher;
  isSystem: boolean;
  /** The mount-table route, for mounted backends. */
  route?: Route;
}

export async function handleLogicalRequest(core: Core, system: SystemBackends, request: LogicalRequest): Promise<LogicalResult> {
  const audit: AuditInput = {
    requestId: request.id,
    operation: request.operation,
    path: request.path,
    data: request.data,
    token: request.token,
    wrapTtl: request.wrapTtl,
    ...(request.remoteAddress !== undefined ? { remoteAddress: request.remoteAddress } : {}),
  };
  // This runs on every request, so with no audited header configured it costs one check.
  const auditedHeaders = core.audit.requestHeaders;
  if (auditedHeaders.configured && request.rawHeaders !== undefined && core.audit.enabled) {
    const headers = auditedHeaders.pick(request.rawHeaders);
    if (headers !== undefined) audit.headers = headers;
  }
  const target = resolveTarget(core, system, request.path);
  if (target === undefined) {
    const message = `no handler for route "${request.path}". route entry not found.`;
    await core.audit.logRequest({ ...audit, error: message });
    throw new CofferError('COFFER_ERR_NO_ROUTE', 404, message);
  }
  describeMountForAudit(core, audit, target);

  const backendRequest: Request = {
    id: request.id,
    operation: request.operation,
    path: target.path,
    data: request.data,
    storage: target.storage,
    mountPoint: target.mountPoint,
    mountType: target.mountType,
    clientToken: '',
    headers: {},
    ...(request.remoteAddress !== undefined ? { remoteAddress: request.remoteAddress } : {}),
  };
  // Resolve the token before the existence check, as Vault does, so the
  // check reads the caller's own view (its cubbyhole, not the storage root).
  const authenticated = !target.unauthenticatedPaths.matches(target.path);
  // A mount's tuned passthrough_request_headers reach its backend; most mounts have none, so this costs one check.
  const passthrough = target.route?.mount.config.passthroughRequestHeaders;
  if (passthrough !== undefined && passthrough.length > 0 && request.rawHeaders !== undefined) {
    backendRequest.headers = passedHeaders(request.rawHeaders, passthrough);
  }
  if (request.connection !== undefined && needsConnection(target, authenticated)) {
    const connection = request.connection();
    if (connection !== undefined) backendRequest.connection = connection;
  }
  const tokenOptional = !authenticated && request.token !== '' && TOKEN_OPTIONAL_PATHS.has(request.path);
  let checked: Authorized | undefined;
  try {
    const resolved = authenticated || tokenOptional ? await core.tokens.lookup(request.token) : null;
    if ((authenticated || tokenOptional) && resolved === null) throw permissionDenied();
    if (resolved !== null && target.mountType === 'cubbyhole') backendRequest.storage = cubbyholeStorage(core, resolved);

    if (backendRequest.operation === 'update') {
      const existence = await target.backend.handleExistenceCheck(backendRequest);
      if (existence.checkFound && !existence.exists) backendRequest.operation = 'create';
    }
    audit.operation = backendRequest.operation;
    if (resolved !== null) checked = await authorize(core, target, backendRequest.operation, request, resolved, tokenOptional);
  } catch (err) {
    await core.audit.logRequest({ ...audit, error: errorText(err) });
    throw err;
  }
  // Built only when a device will record it: this runs on every request.
  if (checked !== undefined && core.audit.enabled) audit.tokenEntry = auditTokenFields(checked.resolved.entry);
  // The request entry is written before anything changes, so a request no
  // audit device can record fails with no effect.
  await core.audit.logRequest(audit);

  // The response entry goes out with the same input object, so that devices
  // can reuse what they serialized from it for the request entry.
  const outcome: AuditResponseInput = audit;
  let result: LogicalResult;
  try {
    result = await execute(core, target, request, backendRequest, checked);
  } catch (err) {
    // The client gets the backend's error only once its entry is durable.
    // When no device recorded it, the audit failure (500) replaces it.
    outcome.error = errorText(err);
    await core.audit.logResponse(outcome);
    throw err;
  }
  outcome.response = auditResponse(result);
  await core.audit.logResponse(outcome);
  return result;
}

/**
 * Runs an authorized request with its token use, lease and wrapping. The
 * only check left is the token's use count, which is reread when spent.
 */
async function execute(
  core: Core,
  target: Target,
  request: LogicalRequest,
  backendRequest: Request,
  checked: Authorized | undefined,
): Promise<LogicalResult> {
  const caller = checked?.caller;
  let exhausted = false;
  if (checked !== undefined && !checked.optional) {
    const tokenUse = await core.tokens.use(checked.resolved.entry);
    // A concurrent request spent the last use after this one was checked.
    if (tokenUse === 'exhausted') throw permissionDenied();
    exhausted = tokenUse === 'last';
    backendRequest.clientToken = core.tokens.clientTokenFor(request.token, target.mountPoint);
    backendRequest.displayName = checked.resolved.entry.displayName;
    if (checked.resolved.entry.entityId !== '') backendRequest.entityId = checked.resolved.entry.entityId;
  }

  try {
    let response = await callLogin(core, target, backendRequest, caller);
    if (response?.auth !== undefined) response = await issueLogin(core, target, request, response);
    const result: LogicalResult = { response, mountType: target.mountType };
    const secret = response?.secret;
    if (secret?.leaseId !== undefined) {
      // A renewal returns the lease it renewed, so there is nothing new to register.
      result.lease = { leaseId: secret.leaseId, ttl: secret.ttl, renewable: secret.renewable };
    } else if (secret !== undefined && secret.passthrough !== true) {
      const lease = await core.expiration.register({ path: request.path, clientTokenId: caller?.entry?.saltedId ?? '' }, secret, response?.data ?? undefined);
      result.lease = { leaseId: lease.leaseId, ttl: lease.ttl, renewable: lease.renewable };
      const capped = lease.warnings ?? [];
      // As in Vault, the client learns that its lease ends earlier than the backend asked.
      if (capped.length > 0 && response !== null) {
        response = { ...response, warnings: [...(response.warnings ?? []), ...capped] };
        result.response = response;
      }
    }
    let wrapTtl = request.wrapTtl;
    if (wrapTtl === 0 && request.path === 'sys/wrapping/wrap') wrapTtl = DEFAULT_WRAP_TTL;
    if (wrapTtl > 0 && response !== null) {
      const body = wrappedBody(request.id, result);
      if (body !== undefined) {
        const auth = body.auth as { accessor?: string } | null;
        result.wrapInfo = await core.wrapper.wrap(body, wrapTtl, request.path, auth?.accessor);
      }
    }
    return result;
  } finally {
    if (exhausted && caller?.entry !== undefined) await core.tokens.revokeTree(caller.entry.saltedId);
  }
}

/** The header that carries the client token, which never reaches a backend, as in Vault. */
const TOKEN_HEADER = 'x-vault-token';

/**
 * Returns the request headers named in `allowed`, by lowercased name, with
 * repeated headers joined by ", ". `rawHeaders` alternates names and values.
 */
export function passedHeaders(rawHeaders: readonly string[], allowed: readonly string[]): Record<string, string> {
  const names = new Set(allowed.map((name) => name.toLowerCase()));
  names.delete(TOKEN_HEADER);
  const headers: Record<string, string> = {};
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index].toLowerCase();
    if (!names.has(name)) continue;
    const value = Object.hasOwn(headers, name) ? `${headers[name]}, ${rawHeaders[index + 1]}` : rawHeaders[index + 1];
    // Defined rather than assigned, so that a header named __proto__ stays an ordinary member.
    Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return headers;
}

/**
 * Returns true for the requests that get the client's certificates: an auth
 * method's unauthenticated (login) paths, and the token renewals that the
 * token store hands to the method that issued the token. Vault's cert
 * method checks the certificate on renewal too.
 */
function needsConnection(target: Target, authenticated: boolean): boolean {
  if (target.isSystem) return target.mountType === 'token' && target.path.startsWith('renew');
  return !authenticated && target.route?.mount.path.startsWith('auth/') === true;
}

function describeMountForAudit(core: Core, audit: AuditInput, target: Target): void {
  audit.mountPoint = target.mountPoint;
  audit.mountType = target.mountType;
  const mount = target.route?.mount ?? (target.mountPoint === 'auth/token/' ? { accessor: TOKEN_MOUNT_ACCESSOR, config: core.tokenMount.settings.config } : undefined);
  if (mount === undefined) return;
  audit.mountAccessor = mount.accessor;
  audit.nonHmacRequestKeys = mount.config.auditNonHmacRequestKeys;
  audit.nonHmacResponseKeys = mount.config.auditNonHmacResponseKeys;
}

/** Builds the response as the client receives it, for the audit log. */
function auditResponse(result: LogicalResult): AuditResponseData {
  if (result.wrapInfo !== undefined) return { wrapInfo: result.wrapInfo };
  const response = result.response;
  if (response === null) return {};
  // Vault records a raw response's status, type and body, a binary body in base64 as its JSON has it.
  if (response.raw !== undefined) {
    const { status, contentType, body } = response.raw;
    const text = typeof body === 'string' ? body : body.toString('base64');
    return { data: { http_content_type: contentType, http_raw_body: text, http_status_code: status } };
  }
  return {
    data: response.data ?? null,
    ...(result.lease !== undefined ? { leaseId: result.lease.leaseId } : {}),
    ...(hasIssuedToken(response) ? { auth: response.issued } : {}),
    ...(response.warnings !== undefined ? { warnings: response.warnings } : {}),
  };
}

function errorText(err: unknown): string {
  return err instanceof CofferError ? err.message : 'internal error';
}

/**
 * Calls the backend, applying user lockout to logins of the methods that
 * support it: a locked user is refused before any credential check, a
 * login rejected for invalid credentials counts, and a successful one resets
 * the count.
 */
async function callLogin(core: Core, target: Target, request: Request, caller: CallerContext | undefined): Promise<Response | null> {
  const mount = target.route?.mount;
  const alias = mount !== undefined && core.lockout.applies(mount.type) ? loginAlias(mount.type, request.path, request.data) : undefined;
  if (mount === undefined || alias === undefined) return callBackend(core, target, request, caller);

  if (await core.lockout.isLocked(mount.accessor, alias)) throw permissionDenied();
  try {
    const response = await callBackend(core, target, request, caller);
    if (response?.auth !== undefined) core.lockout.recordSuccess(mount.accessor, alias);
    return response;
  } catch (err) {
    if (err instanceof CofferError && err.code === INVALID_CREDENTIALS_CODE) {
      await core.lockout.recordFailure(mount.accessor, mount.type, alias);
    }
    throw err;
  }
}

/**
 * Issues the token for a login response from an auth method mount, once
 * login MFA lets it: a login that matches a login enforcement gets an MFA
 * requirement in place of a token until its passcodes are validated.
 */
async function issueLogin(core: Core, target: Target, request: LogicalRequest, response: Response): Promise<Response> {
  const route = target.route;
  if (route === undefined || !route.mount.path.startsWith('auth/')) {
    throw new CofferError('COFFER_ERR_INTERNAL', 500, 'a backend that is not an auth method returned a login');
  }
  const system = core.authMounts.systemView(route.mount);
  const requestPath = request.path;
  const issue = () =>
    issueLoginToken(
      {
        mountPath: route.mount.path,
        mountAccessor: route.mount.accessor,
        mountType: route.mount.type,
        mountTokenType: route.mount.config.tokenType ?? '',
        requestPath,
        defaultTtl: system.defaultLeaseTtl(),
        maxTtl: system.maxLeaseTtl(),
        tokens: core.tokens,
        resolveIdentity: (auth) => core.resolveLoginIdentity(route.mount.accessor, route.mount.type, auth),
        onCreated: (entry) => core.scheduleTokenExpiry(entry),
      },
      response.auth!,
      response.data ?? null,
      response.warnings ?? [],
    );
  const accepted = { mountAccessor: route.mount.accessor, mountType: route.mount.type, auth: response.auth!, rawHeaders: request.rawHeaders };
  return gateLogin(core.mfa, accepted, issue);
}

async function callBackend(core: Core, target: Target, request: Request, caller: CallerContext | undefined): Promise<Response | null> {
  if (!target.isSystem || caller === undefined) return target.backend.handleRequest(request);
  core.callers.set(request.id, caller);
  try {
    return await target.backend.handleRequest(request);
  } finally {
    core.callers.delete(request.id);
  }
}

/** The token, caller and check mode of a request that passed {@link authorize}. */
interface Authorized {
  resolved: ResolvedToken;
  caller: CallerContext;
  /** The path is open to all, so the token neither needs a policy for it nor spends a use. */
  optional: boolean;
}

/**
 * Unauthenticated paths whose response depends on a token when one is sent:
 * Vault lists a token's holder the mounts its policies reach on top of those
 * whose `listing_visibility` is "unauth".
 */
const TOKEN_OPTIONAL_PATHS = new Set(['sys/internal/ui/mounts']);

/**
 * Checks the caller's token and policies. With `optional`, the policies are
 * only resolved for the backend and not checked against the path.
 * @throws CofferError (403) with Vault's "permission denied" text.
 */
async function authorize(
  core: Core,
  target: Target,
  operation: Operation,
  request: LogicalRequest,
  resolved: ResolvedToken,
  optional: boolean,
): Promise<Authorized> {
  const entry = resolved.entry;

  if (isWrappingToken(entry) && !WRAPPING_TOKEN_PATHS.has(request.path)) throw permissionDenied();
  if (entry.boundCidrs.length > 0 && !core.cidrAllowed(entry.boundCidrs, request.remoteAddress)) throw permissionDenied();

  // Identity policies are looked up at each request, so group changes apply at once, as in Vault.
  const identity = entry.entityId === '' ? undefined : await core.identity.policiesFor(entry.entityId);
  if (identity !== undefined && (!identity.found || identity.disabled)) {
    core.logger.warn({ entityId: entry.entityId }, identity.found ? 'permission denied as the entity on the token is disabled' : 'permission denied as the entity on the token is invalid');
    throw permissionDenied();
  }
  const acl = identity === undefined ? await core.policies.acl(entry.policies) : await core.policies.acl([...entry.policies, ...identity.identityPolicies], identity.context);
  const aclRequest: AclRequest = {
    operation: operation === 'help' ? 'read' : operation,
    path: request.path,
    data: request.data,
    ...(request.wrapTtl > 0 ? { wrapTtl: request.wrapTtl } : {}),
  };
  const checked = isWrappingToken(entry) ? { allowed: true, sudo: false } : acl.check(aclRequest);
  if (!optional && !checked.allowed && !canLookUpMount(core, acl, aclRequest)) throw permissionDenied();
  // The backend folds the name, so the stored name's path must be allowed too.
  const folded = isWrappingToken(entry) ? undefined : foldedNamePath(request.path);
  if (folded !== undefined && !acl.check({ ...aclRequest, path: folded }).allowed) throw permissionDenied();
  if (target.rootPaths.matches(target.path) && !checked.sudo && !acl.isRoot) throw permissionDenied();

  return {
    resolved,
    optional,
    caller: {
      token: request.token,
      entry,
      acl,
      isRoot: acl.isRoot,
      hasSudo: checked.sudo || acl.isRoot,
      ...(request.remoteAddress !== undefined ? { remoteAddress: request.remoteAddress } : {}),
    },
  };
}

const UI_MOUNTS_PREFIX = 'sys/internal/ui/mounts/';

/**
 * Returns true for a read of `sys/internal/ui/mounts/<path>` by a token that
 * can use the mount serving `<path>`. Vault's CLI looks up a KV mount's
 * version there first, so a token with rules on that mount only, and none
 * on `sys/`, must still get the mount.
 */
function canLookUpMount(core: Core, acl: ACL, request: AclRequest): boolean {
  if (request.operation !== 'read' || !request.path.startsWith(UI_MOUNTS_PREFIX)) return false;
  const mountPath = mountPathServing(core, request.path.slice(UI_MOUNTS_PREFIX.length));
  return mountPath !== undefined && acl.hasAccessUnder(mountPath);
}

/** Prefixes of paths ending in a policy or token role name, which the backends lower-case. */
const FOLDED_NAME_PREFIXES = ['sys/policy/', 'sys/policies/acl/', 'auth/token/roles/', 'auth/token/create/'];

/**
 * Returns the path with its name trimmed and lower-cased, or `undefined` when
 * that changes nothing, so a deny on `sys/policies/acl/admin` also covers `ADMIN`.
 */
function foldedNamePath(path: string): string | undefined {
  for (const prefix of FOLDED_NAME_PREFIXES) {
    if (!path.startsWith(prefix) || path.length === prefix.length) continue;
    const folded = prefix + normalizePolicyName(path.slice(prefix.length));
    return folded === path ? undefined : folded;
  }
  return undefined;
}

function cubbyholeStorage(core: Core, resolved: ResolvedToken): Storage {
  if (resolved.entry.type !== 'service') {
    throw new CofferError('COFFER_ERR_INVALID_REQUEST', 400, 'cubbyhole operations are only supported by "service" type tokens');
  }
  return new StorageView(core.barrier, cubbyholePrefix(resolved.entry.cubbyholeId));
}

/**
 * Builds the body the client would have received, as stored for a later
 * unwrap. Returns `undefined` for a raw response that is not JSON or has an
 * error status, because such a response is not wrapped.
 */
function wrappedBody(requestId: string, result: LogicalResult): Record<string, unknown> | undefined {
  const response = result.response!;
  if (response.raw !== undefined) {
    const text = response.raw.body.toString();
    // An error status with a body, such as KV v2's 404 for a deleted version,
    // goes to the client as is, so that the status is not lost in a 200 wrap.
    const isSuccess = response.raw.status >= 200 && response.raw.status < 300;
    if (!isSuccess || response.raw.contentType !== 'application/json' || text === '') return undefined;
    return parseJson(text) as Record<string, unknown>;
  }
  return {
    request_id: requestId,
    lease_id: result.lease?.leaseId ?? '',
    renewable: result.lease?.renewable ?? false,
    lease_duration: result.lease?.ttl ?? response.secret?.ttl ?? 0,
    data: response.data ?? null,
    wrap_info: null,
    warnings: response.warnings !== undefined && response.warnings.length > 0 ? response.warnings : null,
    auth: hasIssuedToken(response) ? response.issued : null,
    mount_type: result.mountType,
  };
}

const NO_PATHS = new PathMatcher([]);

function resolveTarget(core: Core, system: SystemBackends, path: string): Target | undefined {
  if (path.startsWith('sys/') || path === 'sys') {
    return systemTarget(core, system.sys, path.slice(4), 'sys/', 'system', core.sysRootPaths, core.sysUnauthenticatedPaths);
  }
  if (path.startsWith('auth/token/')) {
    return systemTarget(core, system.token, path.slice(11), 'auth/token/', 'token', core.tokenRootPaths, NO_PATHS);
  }
  if (path.startsWith('cubbyhole/') || path === 'cubbyhole') {
    return systemTarget(core, system.cubbyhole, path.slice(10), 'cubbyhole/', 'cubbyhole', NO_PATHS, NO_PATHS);
  }
  if (path.startsWith('identity/') || path === 'identity') {
    return systemTarget(core, system.identity, path.slice(9), 'identity/', 'identity', NO_PATHS, core.identityUnauthenticatedPaths);
  }
  const match = core.router.match(path);
  if (match === undefined) return undefined;
  return {
    backend: match.route.backend,
    path: match.path,
    storage: match.route.storage,
    mountPoint: match.route.mount.path,
    mountType: match.route.mount.type,
    rootPaths: match.route.rootPaths,
    unauthenticatedPaths: match.route.unauthenticatedPaths,
    isSystem: false,
    route: match.route,
  };
}

function systemTarget(
  core: Core,
  backend: LogicalBackend,
  path: string,
  mountPoint: string,
  mountType: string,
  rootPaths: PathMatcher,
  unauthenticatedPaths: PathMatcher,
): Target {
  return { backend, path, storage: core.barrier, mountPoint, mountType, rootPaths, unauthenticatedPaths, isSystem: true };
}
