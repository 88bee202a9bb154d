/**
 * The core: storage, barrier, seal, token store, policies, leases and
 * router, and the transitions between sealed and unsealed.
 */
import { BlockList, isIPv6 } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { badRequest, isHaStorage, StorageView, type Auth, type ClosableStorage, type Database, type Logger, type Seal } from '@coffer/sdk';
import { KEY_BYTES } from './barrier/aead.js';
import { AuditBroker } from './audit/index.js';
import { Barrier, KEYRING_PATH, SEAL_CONFIG_PATH, WRAPPED_ROOT_KEY_PATH } from './barrier/barrier.js';
import { PhysicalCache } from './barrier/physical-cache.js';
import { cubbyholePrefix } from './cubbyhole/backend.js';
import { ExpirationManager } from './expiration/index.js';
import { LEASE_PREFIX } from './expiration/lease-store.js';
import { HaNode, type HaOptions } from './ha/ha-node.js';
import { NODES_PREFIX } from './ha/node-registry.js';
import { entityInfo, groupsForEntity, IdentityStore, OIDC_UNAUTHENTICATED_PATHS, OidcStore, renderIdentityTemplate, type MountInfo } from './identity/index.js';
import { LoginMfa, MfaStore } from './identity/mfa/index.js';
import { PolicyStore } from './policy/index.js';
import { PasswordPolicyStore, policyPasswordGenerator } from './password-policy/index.js';
import { ExternalPlugins } from './plugin/external-plugins.js';
import { builtinAuthMethods, builtinDatabasePlugins, builtinSecretsEngines } from './plugins.js';
import { DEFAULT_CACHE_SIZE, type UserLockoutConfig } from './config/index.js';
import { UserLockout } from './lockout/user-lockout.js';
import { PeriodicRunner } from './rollback/periodic-runner.js';
import { MountManager } from './router/mount-manager.js';
import { PathMatcher, Router } from './router/router.js';
import { AutoSeal, RECOVERY_KEY_PATH } from './seal/auto-seal.js';
import { AutoUnseal, type RetryDelays } from './seal/auto-unseal.js';
import type { CoreSeal } from './seal/core-seal.js';
import { RECOVERY_SHARE_FIELDS, validateShareCounts } from './seal/key-shares.js';
import { SealMigration } from './seal/seal-migration.js';
import { ShamirSeal } from './seal/shamir-seal.js';
import { deleteTree } from './storage-tree.js';
import { CallerRegistry } from './token/caller.js';
import { TokenMountConfig } from './token/mount-settings.js';
import { TokenRoles } from './token/roles.js';
import type { LoginIdentity } from './token/login.js';
import type { TokenEntry } from './token/token-entry.js';
import { TokenStore } from './token/token-store.js';
import { ResponseWrapper } from './wrapping/wrapping.js';
import { CorsSettings } from './http/cors.js';
import { QuotaManager } from './quotas/index.js';
import { CoreGauges } from './telemetry/core-metrics.js';
import { DEFAULT_TELEMETRY, MetricsRegistry, type TelemetrySettings } from './telemetry/registry.js';
import { recordVersion } from './system/version-history.js';
import { InFlightRequests, type InFlightEntry } from './system/path-in-flight-req.js';
import type { LoggerLevels } from './logging/levels.js';
import type { LogMonitor } from './logging/monitor.js';
import { COFFER_VERSION } from './version.js';

export interface CoreOptions {
  physical: ClosableStorage;
  storageType: string;
  logger: Logger;
  /** The levels of `logger` and its children, for `sys/loggers`; without it those paths report that levels cannot change. */
  logLevels?: LoggerLevels;
  /** The streams of the server log for `sys/monitor`; without it that path reports that it cannot stream. */
  logMonitor?: LogMonitor;
  /** Seconds. */
  defaultLeaseTtl: number;
  /** Seconds. */
  maxLeaseTtl: number;
  clusterName?: string;
  /** `user_lockout` stanzas from the config, by label. */
  userLockout?: Record<string, UserLockoutConfig>;
  /** The folder external plugin commands run from; without it no external plugin can be registered or started. */
  pluginDirectory?: string;
  /** How long an external plugin may take to start, in milliseconds; 30 s by default. */
  pluginStartTimeoutMs?: number;
  /** The `telemetry` stanza's settings; Vault's defaults when absent. */
  telemetry?: TelemetrySettings;
  /** An auto-unseal seal from the config's `seal` stanza; the Shamir seal when absent. */
  seal?: Seal;
  /** Waits between auto-unseal attempts while the seal is unreachable. */
  autoUnsealRetry?: RetryDelays;
  /** The maximum number of entries in the physical read cache. Vault's default, 131072, when absent. */
  cacheSize?: number;
  /** True to read every entry from the storage backend, with no physical read cache (`disable_cache`). */
  disableCache?: boolean;
  /** HA settings; used only when the storage offers a lock and its stanza sets `ha_enabled`. */
  ha?: HaOptions;
  /**
   * The old seal of a seal migration, from the stanza marked `disabled = true`:
   * `from` is the old auto seal, or undefined when the old seal is Shamir.
   */
  sealMigration?: { from: Seal | undefined };
  /** The clock of the barrier's key install times and rotation interval, in milliseconds; `Date.now` when absent. Tests set it. */
  clock?: () => number;
  /** The loaded configuration with secrets left out, for sys/config/state/sanitized. */
  sanitizedConfig?: Record<string, unknown>;
}

export interface InitResult {
  /** Unseal key shares; empty with an auto seal. */
  keys: string[];
  keys_base64: string[];
  /** Recovery key shares; only with an auto seal. */
  recovery_keys?: string[];
  recovery_keys_base64?: string[];
  root_token: string;
}

const CLUSTER_ID_PATH = 'core/cluster-id';
/** How long a seal waits for the requests in flight before it stops the backends anyway. */
const SEAL_DRAIN_TIMEOUT_MS = 10_000;

/**
 * Keys the physical read cache never contains. The seal entries and the
 * keyring are written by the seal and by seal migration straight to
 * storage, past the cache. Standbys write their heartbeats under
 * NODES_PREFIX, and the active node must see each new one. Leases are left
 * out as Vault leaves out `sys/expire/`: unseal reads every lease once,
 * which would otherwise push the hot entries out of the cache.
 */
const UNCACHED_KEYS = [KEYRING_PATH, SEAL_CONFIG_PATH, WRAPPED_ROOT_KEY_PATH, RECOVERY_KEY_PATH, NODES_PREFIX, LEASE_PREFIX];

/** Paths below `sys/` that need sudo, as Vault marks them. */
const SYS_ROOT_PATHS = [
  'auth/*',
  'remount',
  'audit',
  'audit/*',
  'raw',
  'raw/*',
  'rotate',
  'seal',
  'step-down',
  'config/auditing/*',
  'config/cors',
  'quotas/*',
  'plugins/catalog/*',
  'revoke-prefix/*',
  'revoke-force/*',
  'leases/revoke-prefix/*',
  'leases/revoke-force/*',
  'leases/lookup/*',
  // The irrevocable lease list is also served with a trailing slash.
  'leases',
  'leases/',
];

export class Core {
  readonly barrier: Barrier;
  /**
   * The read cache of encrypted entries below the barrier; undefined with
   * `disable_cache`. Enabled only while this node is active.
   */
  readonly physicalCache: PhysicalCache | undefined;
  readonly seal: CoreSeal;
  /** Retries unsealing with an auto seal; undefined with the Shamir seal. */
  readonly autoUnseal: AutoUnseal | undefined;
  /** The seal migration that the config sets up; `active` until it is done. */
  readonly migration: SealMigration | undefined;
  readonly tokens: TokenStore;
  readonly roles: TokenRoles;
  /** Tunable settings of the built-in `auth/token/` mount. */
  readonly tokenMount: TokenMountConfig;
  readonly policies: PolicyStore;
  readonly passwordPolicies: PasswordPolicyStore;
  readonly identity: IdentityStore;
  /** Login MFA: TOTP methods, login enforcements and logins waiting for their passcodes. */
  readonly mfa: LoginMfa;
  /** Identity token keys, roles and issuer configuration. */
  readonly oidc: OidcStore;
  readonly audit: AuditBroker;
  /** The CORS configuration of `sys/config/cors`, which the HTTP layer applies. */
  readonly cors: CorsSettings;
  /** The rate limit quotas of `sys/quotas`, which the HTTP layer applies. */
  readonly quotas: QuotaManager;
  /** The metrics `sys/metrics` serves. */
  readonly metrics: MetricsRegistry;
  readonly gauges: CoreGauges;
  readonly expiration: ExpirationManager;
  readonly wrapper: ResponseWrapper;
  readonly callers = new CallerRegistry();
  /** The logical requests being served, for sys/in-flight-req. */
  readonly inFlight = new InFlightRequests();
  readonly lockout: UserLockout;
  readonly periodic: PeriodicRunner;
  readonly router = new Router();
  /** Secrets engine mounts. */
  readonly mounts: MountManager;
  /** Auth method mounts, routed under `auth/`. */
  readonly authMounts: MountManager;
  /** The external plugin catalog and the plugin processes. */
  readonly plugins: ExternalPlugins;
  /** Leader election on an HA storage; undefined when the server runs alone. */
  readonly ha: HaNode | undefined;
  readonly logger: Logger;
  readonly clusterName: string;
  /** Random ID stored at initialization; empty while sealed. */
  clusterId = '';
  readonly sysRootPaths = new PathMatcher(SYS_ROOT_PATHS);
  readonly sysUnauthenticatedPaths = new PathMatcher(['wrapping/lookup', 'internal/ui/mounts', 'mfa/validate']);
  /** Paths below `identity/` served without a token: the identity token discovery documents. */
  readonly identityUnauthenticatedPaths = new PathMatcher(OIDC_UNAUTHENTICATED_PATHS);
  /**
   * The URL clients reach this server at: `api_addr`, or the first
   * listener's URL once the listeners are bound. The default issuer of
   * identity tokens.
   */
  apiAddress = '';
  readonly tokenRootPaths = new PathMatcher(['revoke-orphan', 'accessors/']);
  /** Callbacks that discard key shares held outside the seal, such as a rekey's, when the server seals. */
  readonly sealHooks: Array<() => void> = [];
  private unsealed = false;
  private initialized = false;
  /** The number of logical requests past the sealed check whose response is not yet built, which a seal waits for. */
  private requestsInFlight = 0;
  /** Called when requestsInFlight drops to the number a seal in progress waits for. */
  private onRequestsDrained: { remaining: number; done: () => void } | undefined;

  constructor(readonly options: CoreOptions) {
    this.logger = options.logger;
    this.physicalCache =
      options.disableCache === true
        ? undefined
        : new PhysicalCache(options.physical, { maxEntries: options.cacheSize ?? DEFAULT_CACHE_SIZE, uncached: UNCACHED_KEYS });
    this.barrier = new Barrier(this.physicalCache ?? options.physical, options.seal, options.clock);
    this.seal = options.seal === undefined ? new ShamirSeal(options.physical) : new AutoSeal(options.physical, options.seal);
    this.autoUnseal =
      options.seal === undefined
        ? undefined
        : new AutoUnseal(() => this.unsealWithSeal(), this.logger.child({ component: 'auto-unseal' }), options.autoUnsealRetry);
    this.migration =
      options.sealMigration === undefined
        ? undefined
        : new SealMigration(options.physical, options.sealMigration.from, options.seal, this.logger.child({ component: 'seal-migration' }));

    this.tokens = new TokenStore(this.barrier, this.logger.child({ component: 'token' }));
    this.tokenMount = new TokenMountConfig(this.barrier, this.logger.child({ component: 'token' }));
    this.roles = new TokenRoles(this.barrier);
    this.periodic = new PeriodicRunner(this.router, this.logger.child({ component: 'periodic' }));
    this.lockout = new UserLockout(this.barrier, options.userLockout ?? {}, this.logger.child({ component: 'lockout' }));
    this.audit = new AuditBroker(this.barrier, this.logger.child({ component: 'audit' }));
    this.cors = new CorsSettings(this.barrier);
    this.quotas = new QuotaManager(this.barrier, this.logger.child({ component: 'quotas' }));
    this.metrics = new MetricsRegistry(options.telemetry ?? DEFAULT_TELEMETRY);
    this.audit.useMetrics(this.metrics);
    this.gauges = new CoreGauges(this.metrics, {
      sealed: () => this.sealed,
      active: () => !this.sealed && (this.ha === undefined || this.ha.isActive),
      countTokens: async () => (await this.tokens.listAccessors()).length,
      countLeases: () => this.expiration.count(),
    });
    this.policies = new PolicyStore(this.barrier, this.logger.child({ component: 'policy' }));
    this.passwordPolicies = new PasswordPolicyStore(this.barrier, this.logger.child({ component: 'password-policy' }));
    const generatePasswordFromPolicy = policyPasswordGenerator(this.passwordPolicies);
    this.identity = new IdentityStore(this.barrier, this.logger.child({ component: 'identity' }), (accessor) => this.mountByAccessor(accessor));
    this.mfa = new LoginMfa(new MfaStore(this.barrier, this.logger.child({ component: 'login-mfa' }), this.identity));
    const identity = this.identity;
    const renderTemplate = (template: string, entityId: string) => renderIdentityTemplate(identity, template, entityId);
    const identityLookups = {
      entityInfo: async (entityId: string) => entityInfo(identity, entityId),
      groupsForEntity: async (entityId: string) => groupsForEntity(identity, entityId),
    };
    this.oidc = new OidcStore(this.barrier, this.logger.child({ component: 'identity-oidc' }), () => this.apiAddress);

    this.plugins = new ExternalPlugins({
      storage: this.barrier,
      logger: this.logger,
      pluginDirectory: options.pluginDirectory,
      startTimeoutMs: options.pluginStartTimeoutMs,
      clusterInfo: () => ({ name: this.clusterName, id: this.clusterId }),
    });
    this.audit.useExternalDevices(this.plugins);

    this.mounts = new MountManager(
      {
        tablePath: 'core/mounts',
        routePrefix: '',
        storagePrefix: 'logical/',
        reserved: ['sys/', 'auth/', 'cubbyhole/', 'identity/'],
        plugins: builtinSecretsEngines,
        external: (entry, loading) => this.plugins.resolve('secret', entry, loading),
        openDatabase: (name, version) => this.openDatabase(name, version),
        generatePasswordFromPolicy,
        renderIdentityTemplate: renderTemplate,
        ...identityLookups,
      },
      this.barrier,
      this.router,
      this.logger,
      options,
    );
    this.authMounts = new MountManager(
      {
        tablePath: 'core/auth',
        routePrefix: 'auth/',
        storagePrefix: 'auth/',
        reserved: ['token/'],
        plugins: builtinAuthMethods,
        external: (entry, loading) => this.plugins.resolve('auth', entry, loading),
        generatePasswordFromPolicy,
        renderIdentityTemplate: renderTemplate,
        ...identityLookups,
      },
      this.barrier,
      this.router,
      this.logger,
      options,
    );

    this.expiration = new ExpirationManager({
      storage: this.barrier,
      logger: this.logger.child({ component: 'expiration' }),
      resolve: (path) => {
        const match = this.router.match(path);
        if (match === undefined) return undefined;
        return {
          backend: match.route.backend,
          storage: match.route.storage,
          mountPoint: match.route.mount.path,
          mountType: match.route.mount.type,
          system: (match.route.mount.path.startsWith('auth/') ? this.authMounts : this.mounts).systemView(match.route.mount),
        };
      },
      revokeToken: (saltedId) => this.tokens.revokeTree(saltedId),
    });

    this.mounts.revokeLeases = (mountPath) => this.expiration.revokePrefix(mountPath, false);
    this.authMounts.revokeLeases = (mountPath) => this.expiration.revokePrefix(mountPath, false);
    // A mount's quotas go and move with it, as in Vault.
    for (const manager of [this.mounts, this.authMounts]) {
      manager.onDisabled = (mountPath) => this.quotas.deleteMountQuotas(mountPath);
      manager.onMoved = (from, to) => this.quotas.moveMountQuotas(from, to);
    }
    this.tokens.setHooks({
      revokeLeases: (saltedId) => this.expiration.revokeByToken(saltedId),
      destroyCubbyhole: (cubbyholeId) => deleteTree(new StorageView(this.barrier, cubbyholePrefix(cubbyholeId)), ''),
    });

    this.wrapper = new ResponseWrapper(this.tokens, this.barrier, (entry) => this.scheduleTokenExpiry(entry), this.logger.child({ component: 'wrapping' }));
    this.clusterName = options.clusterName ?? 'coffer-cluster';
    this.ha = isHaStorage(options.physical) ? new HaNode(this, options.physical, options.ha ?? {}, this.logger.child({ component: 'ha' })) : undefined;
  }

  /**
   * Opens a database plugin for the database engine: the built-in plugin of
   * that name unless a version is pinned, else the catalog's entry, started
   * in its own process, as Vault looks database plugins up.
   * @throws CofferError (400) when neither exists.
   */
  async openDatabase(name: string, version?: string): Promise<Database> {
    const builtin = version === undefined || version === '' ? builtinDatabasePlugins.get(name) : undefined;
    if (builtin !== undefined) return builtin.create();
    const external = await this.plugins.openDatabase(name, version ?? '');
    if (external !== undefined) return external;
    const pinned = version === undefined || version === '' ? '' : ` version ${version}`;
    throw badRequest(`no database plugin named "${name}"${pinned}; use a built-in plugin or register one under sys/plugins/catalog/database/${name}`);
  }

  get sealed(): boolean {
    return !this.unsealed;
  }

  get isInitialized(): boolean {
    return this.initialized;
  }

  /** Reads the seal configuration; call once before serving. */
  async load(): Promise<void> {
    const stored = await this.seal.load();
    const migrating = stored !== null && this.migration !== undefined && this.migration.begin(stored);
    if (stored !== null && stored.type !== this.seal.type && !migrating) {
      throw new Error(
        `storage was initialized with the "${stored.type}" seal, but the config has the "${this.seal.type}" seal: ` +
          'configure the original seal, or migrate between them',
      );
    }
    this.initialized = stored !== null && (await this.barrier.isInitialized());
  }

  /**
   * Reads the seal configuration again while this node has not seen an
   * initialized storage, since another server sharing the storage may have
   * initialized it since {@link load}.
   */
  async refreshInitialized(): Promise<void> {
    if (!this.initialized) await this.load();
  }

  /**
   * Initializes storage: a root key, a keyring, key shares and a root token.
   * With the Shamir seal the shares are unseal keys and the server stays
   * sealed afterwards, as Vault's does. With an auto seal they are recovery
   * keys and the server unseals itself right away.
   */
  async initialize(secretShares: number, secretThreshold: number, rootTokenId?: string): Promise<InitResult> {
    if (this.initialized) throw badRequest('Vault is already initialized');
    // Validate before the first write, so a rejected init leaves storage empty.
    const recovery = this.seal.recoveryKeySupported;
    validateShareCounts(secretShares, secretThreshold, recovery ? RECOVERY_SHARE_FIELDS : undefined);

    // The seal goes first: an auto seal may fail to encrypt, and a keyring
    // without a seal configuration would block a second init.
    const rootKey = randomBytes(KEY_BYTES);
    const shares = await this.seal.initialize(rootKey, secretShares, secretThreshold);
    await this.barrier.initialize(rootKey);

    // The root token lives behind the barrier, so open it briefly.
    await this.barrier.unseal(rootKey);
    rootKey.fill(0);
    let rootToken: string;
    try {
      await this.tokens.setup();
      rootToken = await this.tokens.createRoot(rootTokenId);
      await this.mounts.createDefaultTable();
      await this.authMounts.createDefaultTable();
      // Automatic rotation is not running yet, so nothing has stored the count of these writes.
      await this.barrier.storeExactCount();
    } finally {
      this.tokens.teardown();
      this.barrier.seal();
    }
    this.initialized = true;
    this.logger.info({ sealType: this.seal.type, secretShares, secretThreshold }, 'core initialized');

    const hex = shares.map((share) => share.toString('hex'));
    const base64 = shares.map((share) => share.toString('base64'));
    if (!recovery) return { keys: hex, keys_base64: base64, root_token: rootToken };

    try {
      await this.unsealWithSeal();
    } catch (err) {
      this.logger.error({ err }, 'auto-unseal after init failed; retrying in the background');
      this.autoUnseal?.start();
    }
    return { keys: [], keys_base64: [], recovery_keys: hex, recovery_keys_base64: base64, root_token: rootToken };
  }

  /**
   * Unseals with an auto seal: the seal decrypts the stored root key. Does
   * nothing when sealed with Shamir, not initialized or already unsealed.
   * @throws Error when the seal cannot decrypt the root key.
   */
  async unsealWithSeal(): Promise<void> {
    if (!(this.seal instanceof AutoSeal) || !this.initialized || this.unsealed) return;
    const rootKey = await this.seal.unwrapRootKey();
    try {
      await this.barrier.unseal(rootKey);
    } finally {
      rootKey.fill(0);
    }
    await this.postUnseal();
  }

  /**
   * Adds one unseal key share and unseals once the threshold is reached.
   * While a seal migration is pending, the share is the old seal's and
   * `migrate` must be set. Returns true when the server is unsealed.
   */
  async submitUnsealKey(key: string, migrate = false): Promise<boolean> {
    if (!this.initialized) throw badRequest('Vault is not initialized');
    if (this.unsealed) return true;

    const migration = this.migration?.active === true ? this.migration : undefined;
    if (migrate && migration === undefined) throw badRequest('invalid "migrate": no seal migration is configured');
    const rootKey = migration !== undefined ? await migration.submitShare(key, migrate) : await this.seal.submitUnsealShare(key);
    if (rootKey === null) return false;
    // The migration rewrote the stored seal configuration.
    if (migration !== undefined) await this.seal.load();
    try {
      await this.barrier.unseal(rootKey);
    } finally {
      rootKey.fill(0);
    }
    await this.postUnseal();
    return true;
  }

  /**
   * Counts a logical request from the sealed check until its response, so a
   * seal can wait for it before it stops the backends. A backend stopped
   * mid-request could leave behind what it made, such as a database user
   * without a lease. With a `requestId` in `timing`, sys/in-flight-req
   * lists the request until its response is built.
   */
  async trackRequest<T>(work: Promise<T>, timing?: { metric: string; startedAt: number } | ({ metric: string } & InFlightEntry)): Promise<T> {
    this.requestsInFlight += 1;
    const listed = timing !== undefined && 'requestId' in timing ? timing : undefined;
    if (listed !== undefined) this.inFlight.add(listed);
    try {
      return await work;
    } finally {
      if (timing !== undefined) this.metrics.measureSince(timing.metric, timing.startedAt);
      if (listed !== undefined) this.inFlight.delete(listed);
      this.requestsInFlight -= 1;
      const waiting = this.onRequestsDrained;
      if (waiting !== undefined && this.requestsInFlight <= waiting.remaining) waiting.done();
    }
  }

  /**
   * Forgets every key and stops the mounted backends; an HA node also gives
   * up the lock. New requests get 503 at once, and the seal first waits, for
   * at most SEAL_DRAIN_TIMEOUT_MS, for the requests in flight to finish.
   * Set `fromRequest` when the caller is itself a request in flight, such
   * as `sys/seal`, which the seal must not wait for.
   */
  async sealServer(options: { fromRequest?: boolean } = {}): Promise<void> {
    if (!this.unsealed) return;
    this.unsealed = false;
    await this.drainRequests(options.fromRequest === true ? 1 : 0);
    // The HA node tears the active state down before it releases the lock.
    if (this.ha !== undefined) await this.ha.stop();
    else await this.teardownActive();
    this.barrier.seal();
    this.seal.resetUnseal();
    this.migration?.resetUnseal();
    for (const hook of this.sealHooks) hook();
    this.clusterId = '';
    this.logger.info({}, 'core sealed');
  }

  /** Waits until at most `remaining` requests are in flight, or SEAL_DRAIN_TIMEOUT_MS passes. */
  private async drainRequests(remaining: number): Promise<void> {
    if (this.requestsInFlight <= remaining) return;
    const started = this.requestsInFlight;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), SEAL_DRAIN_TIMEOUT_MS);
      this.onRequestsDrained = {
        remaining,
        done: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
    });
    this.onRequestsDrained = undefined;
    if (!drained) this.logger.warn({ inFlight: this.requestsInFlight - remaining, waitedFor: started - remaining }, 'sealing with requests still in flight after the drain timeout');
  }

  /** Schedules the revocation of a token at its expiry. */
  async scheduleTokenExpiry(entry: TokenEntry): Promise<void> {
    if (entry.type !== 'service' || entry.expireTime === 0) return;
    const ttl = Math.max(1, Math.ceil((entry.expireTime - Date.now()) / 1000));
    await this.expiration.registerAuth(entry.saltedId, entry.path, ttl);
  }

  /** Moves the scheduled revocation of a renewed token. */
  async rescheduleTokenExpiry(entry: TokenEntry): Promise<void> {
    if (entry.type !== 'service' || entry.expireTime === 0) return;
    const ttl = Math.max(1, Math.ceil((entry.expireTime - Date.now()) / 1000));
    await this.expiration.updateAuthExpiry(entry.saltedId, ttl);
  }

  /** Finds or creates the entity of a login's alias; a login without an alias gets none. */
  async resolveLoginIdentity(mountAccessor: string, mountType: string, auth: Auth): Promise<LoginIdentity | undefined> {
    return this.identity.resolveLogin(mountAccessor, mountType, auth);
  }

  /** Returns the path and type of the mount with `accessor`, for identity aliases. */
  mountByAccessor(accessor: string): MountInfo | undefined {
    if (accessor === 'auth_token') return { path: 'auth/token/', type: 'token' };
    const auth = this.authMounts.list().find((entry) => entry.accessor === accessor);
    if (auth !== undefined) return { path: `auth/${auth.path}`, type: auth.type };
    const secrets = this.mounts.list().find((entry) => entry.accessor === accessor);
    return secrets === undefined ? undefined : { path: secrets.path, type: secrets.type };
  }

  /** Returns true when `address` falls inside one of the CIDR blocks. */
  cidrAllowed(cidrs: string[], address: string | undefined): boolean {
    if (address === undefined) return false;
    const list = new BlockList();
    for (const cidr of cidrs) {
      const [network, prefix] = cidr.split('/');
      const type = isIPv6(network) ? 'ipv6' : 'ipv4';
      if (prefix === undefined) list.addAddress(network, type);
      else list.addSubnet(network, Number(prefix), type);
    }
    const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
    return list.check(plain, isIPv6(plain) ? 'ipv6' : 'ipv4');
  }

  private async loadClusterId(): Promise<string> {
    const stored = await this.barrier.get(CLUSTER_ID_PATH);
    if (stored !== null) return stored.value.toString('utf8');
    const id = randomUUID();
    await this.barrier.put({ key: CLUSTER_ID_PATH, value: Buffer.from(id) });
    return id;
  }

  /**
   * Seal-wraps a keyring stored plain with an auto seal, then loads what
   * only the active node holds: the cluster ID, tokens, policies,
   * mount tables, audit devices, identity, lockouts and leases, and starts
   * the periodic work. On failure, tears down what it set up and throws.
   *
   * Caches: the token, policy, identity and mount stores keep decrypted
   * entries in memory, and the physical cache keeps encrypted ones. All of
   * them are invalidated on this node's own writes, which is sound only
   * while this node is the sole writer. So the caches exist only between
   * this call and {@link teardownActive}: an HA standby has none, and a
   * standby that takes over fills them from storage here, never from state
   * it held before.
   */
  async setupActive(): Promise<void> {
    // Another node may have written anything since this one was last active.
    this.physicalCache?.enable();
    try {
      if (await this.barrier.wrapPlainKeyring()) this.logger.info({ sealType: this.seal.type }, 'stored keyring seal-wrapped');
      this.clusterId = await this.loadClusterId();
      await recordVersion(this.barrier, COFFER_VERSION);
      await this.tokens.setup();
      await this.tokenMount.setup();
      await this.policies.setup();
      await this.mounts.setup();
      await this.authMounts.setup();
      await this.audit.setup();
      await this.cors.load();
      await this.quotas.load();
      await this.identity.setup();
      await this.mfa.setup();
      await this.oidc.setup();
      await this.lockout.setup();
      await this.expiration.setup();
      this.periodic.start();
      this.barrier.startAutoRotation(this.logger.child({ component: 'barrier' }));
    } catch (err) {
      this.logger.error({ err }, 'post-unseal setup failed');
      await this.teardownActive();
      throw err;
    }
  }

  /** Stops the mounted backends and background work and drops every cache; the barrier stays unsealed. */
  async teardownActive(): Promise<void> {
    // First, so that nothing read from here on is served from this node's cache.
    this.physicalCache?.disable();
    // An HA node may have lost its lock, and then another node owns the keyring.
    await this.barrier.stopAutoRotation({ storeCount: this.ha === undefined });
    this.periodic.stop();
    this.expiration.teardown();
    await this.mounts.teardown();
    await this.authMounts.teardown();
    // Each mount's cleanup released its plugin process; stop any left over.
    await this.plugins.stopAll();
    this.lockout.teardown();
    this.identity.teardown();
    this.mfa.teardown();
    this.oidc.teardown();
    await this.audit.teardown();
    this.cors.clear();
    this.quotas.clear();
    this.gauges.forget();
    this.policies.teardown();
    this.tokenMount.teardown();
    this.tokens.teardown();
  }

  private async postUnseal(): Promise<void> {
    if (this.ha !== undefined) {
      // A standby keeps the barrier open, so it can take over without the key shares.
      this.unsealed = true;
      this.ha.start();
      this.logger.info({}, 'core unsealed as a standby');
      return;
    }
    try {
      await this.setupActive();
    } catch (err) {
      this.barrier.seal();
      throw err;
    }
    this.unsealed = true;
    this.logger.info({ mounts: this.router.all().length }, 'core unsealed');
  }
}
