/** The listener address Vault uses when a `listener "tcp"` stanza sets none. */
export const DEFAULT_LISTENER_ADDRESS = '127.0.0.1:8200';

/** Vault's default for both `default_lease_ttl` and `max_lease_ttl`: 768h (32 days), in seconds. */
export const DEFAULT_LEASE_TTL_SECONDS = 768 * 3600;

/** Vault's default `cache_size`: 131072 entries (Vault's `physical.DefaultCacheSize`). */
export const DEFAULT_CACHE_SIZE = 128 * 1024;

/** The log levels Coffer's logger takes, after Vault's spellings are mapped onto them. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** One `listener "tcp"` stanza. */
export interface ListenerConfig {
  type: 'tcp';
  /** `host:port` to listen on. Default `127.0.0.1:8200`. */
  address: string;
  /**
   * True when the listener serves plain HTTP. Vault's default is false (TLS
   * on), so a listener without `tls_disable` must name a certificate and key.
   */
  tlsDisable: boolean;
  /** PEM certificate chain, server certificate first. Set whenever TLS is on. */
  tlsCertFile?: string;
  /** PEM private key of the certificate. Set whenever TLS is on. */
  tlsKeyFile?: string;
  /** PEM CA bundle that client certificates are verified against. */
  tlsClientCaFile?: string;
  /** True to reject a TLS client that presents no certificate or one that does not verify. */
  tlsRequireAndVerifyClientCert: boolean;
  /**
   * True to request no certificate from TLS clients. When this and
   * `tlsRequireAndVerifyClientCert` are both false, the listener requests a
   * client certificate but accepts a connection without one, as Vault does.
   */
  tlsDisableClientCerts: boolean;
  /** True to serve `sys/metrics` on this listener without a token (`telemetry { unauthenticated_metrics_access }`). */
  unauthenticatedMetricsAccess?: boolean;
}

/** The settings of the `telemetry` stanza that Coffer applies; each undefined where unset. */
export interface TelemetryConfig {
  /** Seconds; 0 turns the Prometheus format of `sys/metrics` off. */
  prometheusRetentionSeconds?: number;
  /** Seconds between computations of the token and lease count gauges; 0 turns them off. */
  usageGaugePeriodSeconds?: number;
  disableHostname?: boolean;
  metricsPrefix?: string;
}

/** The `storage` stanza, or the older `backend` name for it. */
export interface StorageConfig {
  /** The stanza's label, lower-cased, e.g. `sqlite` or `file`. */
  type: string;
  /**
   * The stanza's settings as strings, as Vault passes storage settings on:
   * numbers and booleans become their text, lists and nested blocks become
   * JSON text.
   */
  settings: Record<string, string>;
}

/** One `seal` stanza. */
export interface SealConfig {
  /** The stanza's label, lower-cased, e.g. `shamir`, `pkcs11` or `transit`. */
  type: string;
  /** True for the seal being migrated away from (`disabled = true`). */
  disabled: boolean;
  /** The settings other than `disabled`, as strings like storage settings. */
  settings: Record<string, string>;
}

/** One `user_lockout` stanza; unset fields fall back to the `all` stanza, then Vault's defaults. */
export interface UserLockoutConfig {
  lockoutThreshold?: number;
  /** Seconds. */
  lockoutDuration?: number;
  /** Seconds. */
  lockoutCounterReset?: number;
  disableLockout?: boolean;
}

/** The server configuration after every file is read, checked and merged. */
export interface ServerConfig {
  /** The `telemetry` stanza's settings, merged across files. */
  telemetry?: TelemetryConfig;
  /** Absent when no file has a storage stanza, and then the server picks its default. */
  storage?: StorageConfig;
  /** Every listener of every file, in file order. May be empty. */
  listeners: ListenerConfig[];
  /** The address clients are redirected to, e.g. `https://coffer.example.com:8200`. */
  apiAddr?: string;
  /** The address other servers of an HA cluster reach this one at; `sys/leader` reports it. */
  clusterAddr?: string;
  /**
   * Vault's switch for its server-to-server cluster port. Coffer has no such
   * port; when set, HA standbys redirect clients with 307 instead of
   * forwarding their requests, as Vault's do without a cluster port.
   */
  disableClustering: boolean;
  /** Seconds. Vault's default is 768h. */
  defaultLeaseTtl: number;
  /** Seconds. Vault's default is 768h. */
  maxLeaseTtl: number;
  logLevel: LogLevel;
  /** `standard` or `json`, lower-cased, when a file sets `log_format`. */
  logFormat?: string;
  /** Serve the web UI at `/ui`. */
  ui: boolean;
  /**
   * Vault's switch for mlock(2). Accepted for compatibility: Node.js cannot
   * lock its memory either way, and the server logs that at start-up.
   */
  disableMlock: boolean;
  /**
   * The maximum number of entries in the physical read cache, which contains
   * encrypted storage entries on the active node. Vault's default is 131072,
   * and `cache_size = 0` also means the default, as in Vault.
   */
  cacheSize: number;
  /** True when any file sets `disable_cache`: storage reads then always go to the backend. */
  disableCache: boolean;
  pluginDirectory?: string;
  /**
   * The seal in use. During a seal migration this is the new seal, and the
   * seal being migrated away from is `sealMigrationSource`. A single seal with
   * `disabled = true` (migrating from an auto seal back to Shamir) is here.
   */
  seal?: SealConfig;
  /** The stanza marked `disabled = true` when the files have two seal stanzas. */
  sealMigrationSource?: SealConfig;
  /**
   * Settings Vault has that Coffer accepts but does nothing with, dotted for
   * nested ones (e.g. `telemetry`, `listener.cluster_address`), so the server
   * can log them. Each appears once.
   */
  ignoredSettings: string[];
  /** `user_lockout` stanzas by label (`all`, `userpass`, `ldap`, `approle`). */
  userLockout: Record<string, UserLockoutConfig>;
  /** Every file read, in the order it was merged. */
  sourceFiles: string[];
}
