/**
 * sys/config/state/sanitized: the server configuration as loaded, with
 * every value that may be a secret left out, in the shape of Vault's
 * endpoint. Sanitizing works by allowlist: storage and seal stanzas report
 * only their type (and `disabled` for seals), never a setting, because their
 * settings hold passwords, tokens and KMS credentials. Listeners report the
 * paths of their certificate and key files, never the files' contents.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { ListenerConfig, SealConfig, ServerConfig } from '../config/index.js';

/** Nanoseconds per second: Vault reports durations here as Go's time.Duration, in nanoseconds. */
const NANOSECONDS = 1e9;

/** Builds the sanitized view of `config`. */
export function sanitizeConfig(config: ServerConfig): Record<string, unknown> {
  const seals: SealConfig[] = [config.seal, config.sealMigrationSource].filter((seal): seal is SealConfig => seal !== undefined);
  return {
    api_addr: config.apiAddr ?? '',
    cache_size: config.cacheSize,
    cluster_addr: config.clusterAddr ?? '',
    cluster_cipher_suites: '',
    cluster_name: '',
    default_lease_ttl: config.defaultLeaseTtl * NANOSECONDS,
    default_max_request_duration: 0,
    disable_cache: config.disableCache,
    disable_clustering: config.disableClustering,
    disable_indexing: false,
    disable_mlock: config.disableMlock,
    disable_performance_standby: false,
    disable_printable_check: false,
    disable_sealwrap: false,
    enable_ui: config.ui,
    listeners: config.listeners.map(sanitizeListener),
    log_format: config.logFormat ?? '',
    log_level: config.logLevel,
    max_lease_ttl: config.maxLeaseTtl * NANOSECONDS,
    pid_file: '',
    plugin_directory: config.pluginDirectory ?? '',
    raw_storage_endpoint: false,
    // Vault lists the Shamir seal when the files have no seal stanza.
    seals: seals.length === 0 ? [{ disabled: false, type: 'shamir' }] : seals.map((seal) => ({ disabled: seal.disabled, type: seal.type })),
    storage:
      config.storage === undefined
        ? null
        : {
            cluster_addr: config.clusterAddr ?? '',
            disable_clustering: config.disableClustering,
            redirect_addr: config.apiAddr ?? '',
            type: config.storage.type,
          },
    ...(config.telemetry !== undefined ? { telemetry: sanitizeTelemetry(config) } : {}),
  };
}

function sanitizeListener(listener: ListenerConfig): Record<string, unknown> {
  const settings: Record<string, unknown> = {
    address: listener.address,
    tls_disable: listener.tlsDisable,
    tls_require_and_verify_client_cert: listener.tlsRequireAndVerifyClientCert,
    tls_disable_client_certs: listener.tlsDisableClientCerts,
  };
  // File paths only: the server reads the files, and their contents never reach this view.
  if (listener.tlsCertFile !== undefined) settings.tls_cert_file = listener.tlsCertFile;
  if (listener.tlsKeyFile !== undefined) settings.tls_key_file = listener.tlsKeyFile;
  if (listener.tlsClientCaFile !== undefined) settings.tls_client_ca_file = listener.tlsClientCaFile;
  if (listener.unauthenticatedMetricsAccess !== undefined) settings.telemetry = { unauthenticated_metrics_access: listener.unauthenticatedMetricsAccess };
  return { config: settings, type: listener.type };
}

function sanitizeTelemetry(config: ServerConfig): Record<string, unknown> {
  const telemetry = config.telemetry ?? {};
  return {
    disable_hostname: telemetry.disableHostname ?? false,
    metrics_prefix: telemetry.metricsPrefix ?? '',
    prometheus_retention_time: (telemetry.prometheusRetentionSeconds ?? 0) * NANOSECONDS,
    usage_gauge_period: (telemetry.usageGaugePeriodSeconds ?? 0) * NANOSECONDS,
  };
}

export function configStatePaths(sanitized: Record<string, unknown> | undefined): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'config/state/sanitized',
      fields: {},
      operations: {
        async read() {
          if (sanitized === undefined) throw badRequest('this server was started without a configuration to report');
          return { data: sanitized };
        },
      },
      helpSynopsis: 'Return the loaded server configuration with secrets left out.',
      helpDescription:
        'Returns the merged configuration files. Storage and seal stanzas show only their type, and listeners show certificate and key file paths, never key material.',
    }),
  ];
}
