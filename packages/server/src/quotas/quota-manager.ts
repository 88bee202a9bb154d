/**
 * The rate limit quotas of `sys/quotas/rate-limit` and the settings of
 * `sys/quotas/config`, stored through the barrier at Vault's keys, loaded
 * when a node becomes active and dropped when it seals or steps down. The
 * HTTP layer calls {@link QuotaManager.check} on each request.
 *
 * The quota that applies to a request is the most specific one, as in
 * Vault: a quota on the exact path inside the mount, then the longest
 * matching prefix quota (a path ending in `*`), then the mount's quota,
 * then the global quota.
 */
import { CofferError, type Logger, type Storage } from '@coffer/sdk';
import { PathMatcher } from '../router/router.js';
import { RateLimiter, type RateLimitDecision, type RateLimitQuota } from './rate-limiter.js';

/** Storage key of the quota settings below the barrier, the key Vault uses. */
export const QUOTA_CONFIG_KEY = 'sys/quotas/config';
/** Storage prefix of the rate limit quotas, by name, as in Vault. */
export const RATE_LIMIT_PREFIX = 'sys/quotas/rate-limit/';

/** Paths no rate limit quota applies to until `rate_limit_exempt_paths` is written, Vault's list. */
export const DEFAULT_EXEMPT_PATHS: readonly string[] = [
  'sys/generate-recovery-token/attempt',
  'sys/generate-recovery-token/update',
  'sys/generate-root/attempt',
  'sys/generate-root/update',
  'sys/health',
  'sys/seal-status',
  'sys/unseal',
];

/** How often the per-client windows that have ended are dropped, in milliseconds. */
const SWEEP_INTERVAL_MS = 10_000;

/** The settings of `sys/quotas/config`. */
export interface QuotaConfig {
  rateLimitExemptPaths: string[];
  enableRateLimitAuditLogging: boolean;
  enableRateLimitResponseHeaders: boolean;
}

/** The result of a request that a quota applies to. */
export interface QuotaCheck {
  /** Name of the quota that counted the request. */
  quotaName: string;
  decision: RateLimitDecision;
  /** True when the response carries the `X-Ratelimit-*` headers. */
  responseHeaders: boolean;
  /** True when a rejected request is written to the audit log. */
  auditRejections: boolean;
}

/** The quotas on one mount. */
interface MountQuotas {
  /** The quota on the whole mount. */
  mount: RateLimiter | undefined;
  /** Quotas on one path, by path below the mount. */
  exact: Map<string, RateLimiter>;
  /** Quotas on a path prefix, longest prefix first. */
  prefixes: Array<{ prefix: string; limiter: RateLimiter }>;
}

export class QuotaManager {
  /**
   * True while at least one quota exists. The HTTP layer reads only this on
   * a request when none does, so an unused feature costs one check.
   */
  active = false;
  private config: QuotaConfig = defaultConfig();
  private exempt = new PathMatcher(DEFAULT_EXEMPT_PATHS);
  private readonly limiters = new Map<string, RateLimiter>();
  private global: RateLimiter | undefined;
  private mounts = new Map<string, MountQuotas>();
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Changes run one at a time, in call order, so that none is lost to a concurrent one. */
  private changes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly storage: Storage,
    private readonly logger: Logger,
  ) {}

  /**
   * Loads the settings and every quota when the node becomes active.
   * @throws CofferError (500) when a stored entry is malformed.
   */
  async load(): Promise<void> {
    const stored = await this.storage.get(QUOTA_CONFIG_KEY);
    const config = stored === null ? defaultConfig() : parseStoredConfig(stored.value.toString('utf8'));
    const quotas: RateLimitQuota[] = [];
    for (const name of await this.storage.list(RATE_LIMIT_PREFIX)) {
      const entry = await this.storage.get(RATE_LIMIT_PREFIX + name);
      if (entry !== null) quotas.push(parseStoredQuota(name, entry.value.toString('utf8')));
    }
    this.applyConfig(config);
    this.limiters.clear();
    for (const quota of quotas) this.limiters.set(quota.name, new RateLimiter(quota));
    this.reindex();
    if (quotas.length > 0) this.logger.info({ quotas: quotas.length }, 'rate limit quotas loaded');
  }

  /** Drops every quota, every client count and the settings, at seal or step-down. */
  clear(): void {
    this.limiters.clear();
    this.applyConfig(defaultConfig());
    this.reindex();
  }

  /** Returns the settings in force. */
  get settings(): QuotaConfig {
    return this.config;
  }

  /** Returns the names of the quotas, sorted. */
  names(): string[] {
    return [...this.limiters.keys()].sort();
  }

  /** Returns the quota named `name`, or undefined. */
  get(name: string): RateLimitQuota | undefined {
    return this.limiters.get(name)?.quota;
  }

  /**
   * Stores and applies a quota, replacing the one of the same name and its
   * client counts.
   * @throws CofferError (400) when another quota has the same path, as in Vault.
   */
  put(quota: RateLimitQuota): Promise<void> {
    return this.serialize(async () => {
      for (const other of this.limiters.values()) {
        const same = other.quota.mountPath === quota.mountPath && other.quota.pathSuffix === quota.pathSuffix;
        if (same && other.quota.name !== quota.name) {
          throw new CofferError(
            'COFFER_ERR_INVALID_REQUEST',
            400,
            `quota rule with similar properties exists under the name "${other.quota.name}": it has the same path; update or delete that quota instead`,
          );
        }
      }
      await this.storage.put({ key: RATE_LIMIT_PREFIX + quota.name, value: Buffer.from(JSON.stringify(toStoredQuota(quota))) });
      this.limiters.set(quota.name, new RateLimiter(quota));
      this.reindex();
      this.logger.info({ quota: quota.name, path: quota.mountPath + quota.pathSuffix }, 'rate limit quota written');
    });
  }

  /** Deletes a quota; deleting one that does not exist succeeds. */
  delete(name: string): Promise<void> {
    return this.serialize(async () => {
      await this.storage.delete(RATE_LIMIT_PREFIX + name);
      if (this.limiters.delete(name)) {
        this.reindex();
        this.logger.info({ quota: name }, 'rate limit quota deleted');
      }
    });
  }

  /** Deletes the quotas on a mount and on paths inside it, after the mount was disabled. */
  deleteMountQuotas(mountPath: string): Promise<void> {
    return this.serialize(async () => {
      for (const limiter of [...this.limiters.values()]) {
        if (limiter.quota.mountPath !== mountPath) continue;
        await this.storage.delete(RATE_LIMIT_PREFIX + limiter.quota.name);
        this.limiters.delete(limiter.quota.name);
        this.logger.info({ quota: limiter.quota.name, mount: mountPath }, 'rate limit quota deleted with its mount');
      }
      this.reindex();
    });
  }

  /** Moves the quotas on a mount and on paths inside it to the mount's new path, with fresh client counts. */
  moveMountQuotas(from: string, to: string): Promise<void> {
    return this.serialize(async () => {
      for (const limiter of [...this.limiters.values()]) {
        if (limiter.quota.mountPath !== from) continue;
        const moved: RateLimitQuota = { ...limiter.quota, mountPath: to };
        await this.storage.put({ key: RATE_LIMIT_PREFIX + moved.name, value: Buffer.from(JSON.stringify(toStoredQuota(moved))) });
        this.limiters.set(moved.name, new RateLimiter(moved));
        this.logger.info({ quota: moved.name, from, to }, 'rate limit quota moved with its mount');
      }
      this.reindex();
    });
  }

  /** Stores and applies new settings. */
  writeConfig(next: QuotaConfig): Promise<void> {
    return this.serialize(async () => {
      await this.storage.put({ key: QUOTA_CONFIG_KEY, value: Buffer.from(JSON.stringify(toStoredConfig(next))) });
      this.applyConfig(next);
    });
  }

  /**
   * Counts a request to `path` (below `/v1/`) from `address` against the
   * quota that applies to it. Returns undefined when the path is exempt or
   * no quota applies.
   */
  check(path: string, address: string | undefined, now = Date.now()): QuotaCheck | undefined {
    if (this.exempt.matches(path)) return undefined;
    const limiter = this.find(path);
    if (limiter === undefined) return undefined;
    const decision = limiter.take(clientKey(address), now);
    return {
      quotaName: limiter.quota.name,
      decision,
      responseHeaders: this.config.enableRateLimitResponseHeaders,
      auditRejections: this.config.enableRateLimitAuditLogging,
    };
  }

  /** Drops the client windows that have ended. Runs every SWEEP_INTERVAL_MS while a quota exists. */
  sweep(now = Date.now()): number {
    let dropped = 0;
    for (const limiter of this.limiters.values()) dropped += limiter.sweep(now);
    return dropped;
  }

  /** Counts the client addresses tracked by all quotas. */
  clientCount(): number {
    let count = 0;
    for (const limiter of this.limiters.values()) count += limiter.clientCount;
    return count;
  }

  private find(path: string): RateLimiter | undefined {
    for (const [mountPath, quotas] of this.mounts) {
      let suffix: string;
      if (path.startsWith(mountPath)) suffix = path.slice(mountPath.length);
      else if (path.length + 1 === mountPath.length && mountPath.startsWith(path)) suffix = '';
      else continue;
      if (suffix.endsWith('/')) suffix = suffix.slice(0, -1);

      const exact = quotas.exact.get(suffix);
      if (exact !== undefined) return exact;
      for (const { prefix, limiter } of quotas.prefixes) {
        if (suffix.startsWith(prefix)) return limiter;
      }
      if (quotas.mount !== undefined) return quotas.mount;
      // Mounts do not nest, so no other mount serves this path.
      break;
    }
    return this.global;
  }

  /** Rebuilds the lookup tables after the set of quotas changed. */
  private reindex(): void {
    this.global = undefined;
    const mounts = new Map<string, MountQuotas>();
    for (const limiter of this.limiters.values()) {
      const { mountPath, pathSuffix } = limiter.quota;
      if (mountPath === '') {
        this.global = limiter;
        continue;
      }
      let quotas = mounts.get(mountPath);
      if (quotas === undefined) {
        quotas = { mount: undefined, exact: new Map(), prefixes: [] };
        mounts.set(mountPath, quotas);
      }
      if (pathSuffix === '') quotas.mount = limiter;
      else if (pathSuffix.endsWith('*')) quotas.prefixes.push({ prefix: pathSuffix.slice(0, -1), limiter });
      else quotas.exact.set(pathSuffix, limiter);
    }
    for (const quotas of mounts.values()) quotas.prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
    this.mounts = mounts;
    this.active = this.limiters.size > 0;

    if (this.active && this.sweepTimer === undefined) {
      this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
      this.sweepTimer.unref();
    } else if (!this.active && this.sweepTimer !== undefined) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  private applyConfig(config: QuotaConfig): void {
    this.config = config;
    this.exempt = new PathMatcher(config.rateLimitExemptPaths);
  }

  private serialize(work: () => Promise<void>): Promise<void> {
    const change = this.changes.then(work);
    this.changes = change.catch(() => undefined);
    return change;
  }
}

/**
 * Returns the key of a client's window: its address, with an IPv4 address
 * that a dual-stack listener reports in IPv6 form (`::ffff:10.0.0.1`) in its
 * plain form, so that one client has one window.
 */
function clientKey(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function defaultConfig(): QuotaConfig {
  return { rateLimitExemptPaths: [...DEFAULT_EXEMPT_PATHS], enableRateLimitAuditLogging: false, enableRateLimitResponseHeaders: false };
}

/** The stored settings, with Vault's field names. */
interface StoredConfig {
  rate_limit_exempt_paths: string[];
  enable_rate_limit_audit_logging: boolean;
  enable_rate_limit_response_headers: boolean;
}

function toStoredConfig(config: QuotaConfig): StoredConfig {
  return {
    rate_limit_exempt_paths: config.rateLimitExemptPaths,
    enable_rate_limit_audit_logging: config.enableRateLimitAuditLogging,
    enable_rate_limit_response_headers: config.enableRateLimitResponseHeaders,
  };
}

function parseStoredConfig(text: string): QuotaConfig {
  const parsed = parseStoredJson(text, QUOTA_CONFIG_KEY) as Partial<StoredConfig>;
  const paths = parsed.rate_limit_exempt_paths;
  if (
    !Array.isArray(paths) ||
    !paths.every((path) => typeof path === 'string') ||
    typeof parsed.enable_rate_limit_audit_logging !== 'boolean' ||
    typeof parsed.enable_rate_limit_response_headers !== 'boolean'
  ) {
    throw malformed(QUOTA_CONFIG_KEY);
  }
  return {
    rateLimitExemptPaths: paths,
    enableRateLimitAuditLogging: parsed.enable_rate_limit_audit_logging,
    enableRateLimitResponseHeaders: parsed.enable_rate_limit_response_headers,
  };
}

/** The stored form of a quota. */
interface StoredQuota {
  name: string;
  mount_path: string;
  path_suffix: string;
  rate: number;
  interval: number;
  block_interval: number;
  inheritable: boolean;
}

function toStoredQuota(quota: RateLimitQuota): StoredQuota {
  return {
    name: quota.name,
    mount_path: quota.mountPath,
    path_suffix: quota.pathSuffix,
    rate: quota.rate,
    interval: quota.interval,
    block_interval: quota.blockInterval,
    inheritable: quota.inheritable,
  };
}

function parseStoredQuota(name: string, text: string): RateLimitQuota {
  const key = RATE_LIMIT_PREFIX + name;
  const parsed = parseStoredJson(text, key) as Partial<StoredQuota>;
  const strings = [parsed.name, parsed.mount_path, parsed.path_suffix].every((value) => typeof value === 'string');
  const numbers = [parsed.rate, parsed.interval, parsed.block_interval].every((value) => typeof value === 'number' && Number.isFinite(value));
  if (!strings || !numbers || typeof parsed.inheritable !== 'boolean' || parsed.name !== name) throw malformed(key);
  return {
    name,
    mountPath: parsed.mount_path!,
    pathSuffix: parsed.path_suffix!,
    rate: parsed.rate!,
    interval: parsed.interval!,
    blockInterval: parsed.block_interval!,
    inheritable: parsed.inheritable,
  };
}

function parseStoredJson(text: string, key: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CofferError('COFFER_ERR_QUOTA_STORAGE', 500, `stored quota entry at "${key}" is not JSON`);
  }
}

function malformed(key: string): CofferError {
  return new CofferError('COFFER_ERR_QUOTA_STORAGE', 500, `stored quota entry at "${key}" is malformed`);
}
