/**
 * Requests, responses and the backend contract shared by secrets engines and
 * auth methods. The shapes follow Vault's `logical` package so that the
 * plugin wire protocol can carry them field for field.
 */
import type { Auth } from './auth.js';
import type { Database } from './database.js';
import type { Logger } from './logger.js';
import type { Storage } from './storage.js';

/**
 * The operation of a request; `help` serves `?help=1`. `renew` and `revoke`
 * act on a leased secret. Only the server sends them, never an HTTP client,
 * and such a request carries {@link Request.secret}.
 */
export type Operation = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'help' | 'renew' | 'revoke';

/** The operations the server sends to renew or revoke a leased secret. */
export type SecretOperation = 'renew' | 'revoke';

/** The operations a path may declare a handler for. */
export type PathOperation = Exclude<Operation, 'help' | SecretOperation>;

/** Every operation a path may declare a handler for. */
export const OPERATIONS: readonly Operation[] = ['create', 'read', 'update', 'patch', 'delete', 'list', 'help'];

/** A request as a backend receives it, built by the server for that backend alone. */
export interface Request {
  /** Unique id, also written to the audit log. */
  id: string;
  operation: Operation;
  /** Path relative to the mount point, without a leading `/`. */
  path: string;
  /** Body fields merged with query parameters for reads and lists. */
  data: Record<string, unknown>;
  /** The mount's own storage view. */
  storage: Storage;
  /** Mount point with a trailing `/`, e.g. `secret/`. */
  mountPoint: string;
  mountType: string;
  /**
   * The caller's token, salted per mount. A backend can tell callers apart
   * but can never replay the real token.
   */
  clientToken: string;
  /**
   * The display name of the caller's token, such as `token` or
   * `userpass-alice`; absent on unauthenticated requests. The database
   * engine puts it into usernames.
   */
  displayName?: string;
  /**
   * The identity entity of the caller's token, as Vault's `EntityID`; absent
   * on unauthenticated requests and for tokens without an entity, such as
   * the root token.
   */
  entityId?: string;
  /** Remote address of the HTTP connection, when there is one. */
  remoteAddress?: string;
  /**
   * The client's TLS connection. The server sets it only on requests to an
   * auth method's login paths (those it lists as unauthenticated) and on
   * token renewals handed to `authRenew`, and only when the request came
   * over TLS. It is absent on plain HTTP and on every other request.
   */
  connection?: RequestConnection;
  /**
   * The request headers the mount's `passthrough_request_headers` tune
   * setting lists, by lowercased name, repeated ones joined by ", ".
   * `X-Vault-Token` is never among them. Empty for most mounts.
   */
  headers: Record<string, string>;
  /**
   * The lease being renewed or revoked. Set on `renew` and `revoke`
   * requests only; `data` then holds the response data stored with the lease.
   */
  secret?: LeasedSecret;
  /**
   * The login being renewed. Set on `renew` requests for a token that this
   * auth method issued, which reach its `authRenew` handler.
   */
  auth?: RenewingLogin;
}

/** The TLS connection a request came over, as the server passes it to an auth method. */
export interface RequestConnection {
  /**
   * DER of the certificates the client sent, leaf first; empty when the
   * client sent none. The server has not verified them: the listener may
   * accept any certificate, so an auth method must verify the chain itself.
   */
  peerCertificates: Buffer[];
}

/**
 * A token an auth method issued, as the server hands it back to that
 * method when the token is renewed.
 */
export interface RenewingLogin {
  /** The token's policies as issued, `default` included unless left out. */
  policies: string[];
  /** The token's metadata from {@link Auth.metadata}. */
  metadata: Record<string, string>;
  /** The backend's own data from {@link Auth.internalData} at login. */
  internalData: Record<string, unknown>;
  displayName: string;
  /** The TTL in seconds granted at login or at the last renewal. */
  ttl: number;
  /** Seconds; 0 when the token is not periodic. */
  period: number;
  /** Seconds; 0 when the token has no explicit max TTL. */
  explicitMaxTtl: number;
  /** When the token was issued, as an RFC 3339 timestamp. */
  issueTime: string;
  /** The TTL in seconds the client requested on renewal, 0 when it set none. */
  increment: number;
  /** The token's entity; empty without one. */
  entityId: string;
}

/** A lease as the server hands it to the backend that issued it. */
export interface LeasedSecret {
  /** The lease ID, e.g. `db/creds/readonly/<random>`. */
  leaseId: string;
  /** The backend's own data from {@link SecretLease.internalData}, including `secret_type`. */
  internalData: Record<string, unknown>;
  /** The TTL in seconds granted at issue or at the last renewal. */
  ttl: number;
  /** When the lease was issued, as an RFC 3339 timestamp. */
  issueTime: string;
  /** When the lease was last renewed, as an RFC 3339 timestamp; absent before the first renewal. */
  lastRenewalTime?: string;
  /**
   * The TTL in seconds the client requested on renewal, 0 when it set none.
   * The server caps whatever the backend grants at the lease's max TTL.
   */
  increment: number;
}

/** A lease attached to a response, for secrets with a lifetime. */
export interface SecretLease {
  /** The TTL in seconds the backend requests; 0 takes the mount's default lease TTL. */
  ttl: number;
  /**
   * The maximum lifetime in seconds, counted from issue time, that renewals
   * may reach; 0 leaves only the mount's max lease TTL. The server caps at the lower of the two.
   */
  maxTtl: number;
  /** Whether the client may renew the lease. */
  renewable: boolean;
  /** Data the backend needs later to renew or revoke; never returned to the client. */
  internalData: Record<string, unknown>;
  /**
   * When true, no lease is created: the TTL is only reported to the client as
   * `lease_duration`, as Vault does for KV secrets.
   */
  passthrough?: boolean;
  /**
   * The ID of the existing lease this response reports on, set by the server
   * in its response to a renewal. Backends leave it unset, and the server
   * registers no new lease for a response that has it.
   */
  leaseId?: string;
}

/** The result a backend returns. A `null` response means 204 No Content. */
export interface Response {
  data?: Record<string, unknown> | null;
  secret?: SecretLease;
  /** A successful login, from an auth method; the server issues the token. */
  auth?: Auth;
  warnings?: string[];
  /**
   * A raw HTTP response, for endpoints such as a CA certificate download that
   * are not JSON. When present the envelope is not used.
   */
  raw?: { status: number; contentType: string; body: Buffer | string };
}

/** Result of an existence check: whether the path has one, and what it found. */
export interface ExistenceResult {
  checkFound: boolean;
  exists: boolean;
}

/**
 * Paths with special handling, as glob-like patterns relative to the mount:
 * a trailing `*` matches any suffix.
 */
export interface SpecialPaths {
  /** Paths that need `sudo` in addition to the operation's capability. */
  root: string[];
  /** Paths reachable without a token, such as a login endpoint. */
  unauthenticated: string[];
}

/**
 * An identity entity as the system view reports it to a backend, following
 * Vault's `logical.Entity`: the facts a backend may act on, never the
 * entity's policies, tokens or timestamps.
 */
export interface IdentityEntity {
  id: string;
  name: string;
  /** Every alias of the entity, in the order the identity store keeps them. */
  aliases: IdentityEntityAlias[];
  metadata: Record<string, string>;
  /** Tokens of a disabled entity are denied; a backend may refuse it as well. */
  disabled: boolean;
}

/** One login identity of an entity: a user or role name within one auth mount. */
export interface IdentityEntityAlias {
  id: string;
  mountAccessor: string;
  /** Type of the alias's mount, e.g. `userpass`; empty when that mount is gone. */
  mountType: string;
  name: string;
  /** Set by the auth method at each login. */
  metadata: Record<string, string>;
  /** Set through the `identity/entity-alias` API only. */
  customMetadata: Record<string, string>;
}

/** An identity group as the system view reports it, following Vault's `logical.Group`. */
export interface IdentityGroup {
  id: string;
  name: string;
  metadata: Record<string, string>;
}

/** Read-only facts about the server that a backend may ask for. */
export interface SystemView {
  /** Default lease TTL in seconds for this mount. */
  defaultLeaseTtl(): number;
  /** Maximum lease TTL in seconds for this mount. */
  maxLeaseTtl(): number;
  /**
   * Opens a connection object of the database plugin `name`: a built-in
   * plugin, or one registered under `sys/plugins/catalog/database/`, which
   * the server starts in its own process. With `version` set, only that
   * catalog version is used. The caller must `close()` what it opened.
   * Present on the server's system view; absent where no database plugins
   * can be reached, such as in a plugin process.
   * @throws CofferError (400) when no plugin of that name and version exists,
   *   and (500) when its process cannot be started.
   */
  openDatabase?(name: string, version?: string): Promise<Database>;
  /**
   * Generates a password from the password policy `policyName`, one written
   * under `sys/policies/password/`. Present on the server's system view and
   * in plugin processes. An engine without it, or without a policy name,
   * falls back to `generatePassword`, which follows Vault's default policy.
   * @throws CofferError (400) when the name is empty or no such policy
   *   exists, and (500) when the policy cannot generate a password in time.
   */
  generatePasswordFromPolicy?(policyName: string): Promise<string>;
  /**
   * Renders a Vault identity template, such as
   * `{{identity.entity.aliases.<mount accessor>.name}}.example.com`, with the
   * facts of the entity `entityId`, usually the request's
   * {@link Request.entityId}. It takes the parameters of Vault's templated
   * ACL policies: the entity's `id`, `name` and `metadata.<key>`, an alias's
   * `id`, `name`, `metadata.<key>` and `custom_metadata.<key>` by mount
   * accessor, and a group's `id`, `name` and `metadata.<key>` by group ID or
   * name. Text outside `{{...}}` is copied as is. Present on the server's
   * system view and in plugin processes. With an empty `entityId` it only
   * checks the template, so an engine can validate a role when it is written.
   *
   * The server renders and the plugin gets only the resulting string, so a
   * backend that only fills in templates needs no {@link entityInfo} or
   * {@link groupsForEntity} call of its own.
   *
   * @returns The rendered text, or `undefined` when the template cannot be
   *   rendered for this entity. That happens when the ID is empty, names no
   *   entity or a disabled one, when the named alias, group or metadata key
   *   is missing, when an ID or name is empty, and when a value contains
   *   `*` or `+`. A caller then skips the templated value, as Vault's PKI
   *   engine does, or rejects the request, as its SSH engine does, and never
   *   matches against an empty or partly rendered string.
   * @throws CofferError (400) when the template has unbalanced braces or an
   *   unknown parameter, with a message listing the parameters.
   */
  renderIdentityTemplate?(template: string, entityId: string): Promise<string | undefined>;
  /**
   * Returns the identity entity `entityId`, usually the request's
   * {@link Request.entityId}, with its aliases and metadata, as Vault's
   * `EntityInfo` does. A disabled entity is returned with `disabled` set.
   * An ID of an entity merged into another returns that other entity, as
   * the merged entity's tokens resolve to it. Present on the server's
   * system view and in plugin processes.
   * @returns The entity, or `undefined` when the ID is empty or names no
   *   entity, as Vault returns for an unknown ID.
   * @throws CofferError (500) when the server cannot answer, for example a
   *   host that predates the call.
   */
  entityInfo?(entityId: string): Promise<IdentityEntity | undefined>;
  /**
   * Returns the groups the entity `entityId` belongs to, as Vault's
   * `GroupsForEntity` does: first the groups that list it as a member, then
   * every group above those through member groups, each once and each list
   * sorted by group ID. Internal and external groups are both included.
   * The ID of an entity merged into another returns that other entity.
   * Present on the server's system view and in plugin processes.
   * @returns The groups; empty when the ID is empty, names no entity, or
   *   the entity is in no group.
   * @throws CofferError (500) when the server cannot answer.
   */
  groupsForEntity?(entityId: string): Promise<IdentityGroup[]>;
}

/** Everything a backend factory receives. */
export interface BackendConfig {
  storage: Storage;
  logger: Logger;
  system: SystemView;
  /** Mount options, such as `version` for KV. */
  options: Record<string, string>;
  mountPoint: string;
}

/** A mounted secrets engine or auth method. */
export interface LogicalBackend {
  readonly backendType: 'logical' | 'credential';
  handleRequest(request: Request): Promise<Response | null>;
  handleExistenceCheck(request: Request): Promise<ExistenceResult>;
  specialPaths(): SpecialPaths;
  /** Runs once after mounting and at every unseal. */
  initialize?(): Promise<void>;
  /** Runs before unmounting and at seal. */
  cleanup?(): Promise<void>;
  /** Drops any cache of the storage key, which another node changed. */
  invalidate?(key: string): void;
  /** Runs about once a minute while mounted: write-ahead log rollback and the backend's own periodic work. */
  periodic?(): Promise<void>;
}
