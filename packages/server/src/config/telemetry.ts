/**
 * Decoding of the `telemetry` stanza, and of the `telemetry` block inside a
 * listener. Coffer serves its metrics at `sys/metrics` and reads the
 * settings that shape them. Vault's settings for pushing metrics to a sink
 * (statsd, Circonus, Datadog, Stackdriver) and its metric filters are
 * accepted, type-checked as far as Vault documents their types, and
 * ignored, because Coffer has no sinks to push to.
 */
import { readUnlabeledBlocks } from './blocks.js';
import type { Scope } from './scope.js';
import { unknownSetting } from './suggest.js';
import type { TelemetryConfig } from './types.js';
import { ownEntry, readBoolean, readDuration, readString } from './values.js';

type TelemetrySetter = (scope: Scope, key: string, value: unknown, config: TelemetryConfig) => void;

const TELEMETRY_SETTINGS: Record<string, TelemetrySetter> = {
  prometheus_retention_time: (scope, key, value, config) => {
    config.prometheusRetentionSeconds = readDuration(scope, key, value);
  },
  usage_gauge_period: (scope, key, value, config) => {
    // Vault takes "none" to turn the usage gauges off.
    config.usageGaugePeriodSeconds = value === 'none' ? 0 : readDuration(scope, key, value);
  },
  disable_hostname: (scope, key, value, config) => {
    config.disableHostname = readBoolean(scope, key, value);
  },
  metrics_prefix: (scope, key, value, config) => {
    const prefix = readString(scope, key, value);
    if (!/^[a-zA-Z_][a-zA-Z0-9_.]*$/.test(prefix)) {
      throw scope.fail(key, `invalid metrics_prefix "${prefix}": use letters, digits, "_" and ".", starting with a letter or "_"`);
    }
    config.metricsPrefix = prefix;
  },
};

const anyValue = (): void => undefined;

/** Vault's sink and filter settings, which Coffer accepts and ignores. */
const IGNORED_TELEMETRY_SETTINGS: Record<string, (scope: Scope, key: string, value: unknown) => unknown> = {
  statsite_address: readString,
  statsd_address: readString,
  dogstatsd_addr: readString,
  dogstatsd_tags: anyValue,
  circonus_api_token: readString,
  circonus_api_app: readString,
  circonus_api_url: readString,
  circonus_submission_interval: readString,
  circonus_submission_url: readString,
  circonus_check_id: readString,
  circonus_check_force_metric_activation: anyValue,
  circonus_check_instance_id: readString,
  circonus_check_search_tag: readString,
  circonus_check_display_name: readString,
  circonus_check_tags: readString,
  circonus_broker_id: readString,
  circonus_broker_select_tag: readString,
  stackdriver_project_id: readString,
  stackdriver_location: readString,
  stackdriver_namespace: readString,
  stackdriver_debug_logs: readBoolean,
  enable_hostname_label: readBoolean,
  maximum_gauge_cardinality: anyValue,
  lease_metrics_epsilon: readDuration,
  num_lease_metrics_buckets: anyValue,
  add_lease_metrics_namespace_labels: readBoolean,
  add_mount_point_rollback_metrics: readBoolean,
  filter_default: readBoolean,
  prefix_filter: anyValue,
};

const KNOWN_TELEMETRY_SETTINGS = [...Object.keys(TELEMETRY_SETTINGS), ...Object.keys(IGNORED_TELEMETRY_SETTINGS)];

/**
 * Decodes the top-level `telemetry` stanza into `config`. Records the
 * ignored settings it met in `ignored` as `telemetry.<name>`.
 * @throws ConfigError for a second stanza, an unknown or ill-typed setting.
 */
export function decodeTelemetry(scope: Scope, key: string, value: unknown, config: TelemetryConfig, ignored: Set<string>): void {
  const bodies = readUnlabeledBlocks(scope, key, value);
  if (bodies.length > 1) {
    throw scope.fail(key, `found ${bodies.length} telemetry stanzas, but only one is allowed. Merge them into one.`);
  }
  const blockScope = scope.block(key, '', scope.locate(key));
  for (const [setting, settingValue] of Object.entries(bodies[0])) {
    const setter = ownEntry(TELEMETRY_SETTINGS, setting);
    if (setter !== undefined) {
      setter(blockScope, setting, settingValue, config);
      continue;
    }
    const ignoredReader = ownEntry(IGNORED_TELEMETRY_SETTINGS, setting);
    if (ignoredReader !== undefined) {
      ignoredReader(blockScope, setting, settingValue);
      ignored.add(blockScope.settingName(setting));
      continue;
    }
    throw unknownSetting(blockScope, setting, KNOWN_TELEMETRY_SETTINGS);
  }
}

/**
 * Decodes a listener's `telemetry` block and returns its
 * `unauthenticated_metrics_access`, false when unset.
 * @throws ConfigError for an unknown or ill-typed setting.
 */
export function decodeListenerTelemetry(scope: Scope, key: string, value: unknown): boolean {
  let unauthenticated = false;
  for (const body of readUnlabeledBlocks(scope, key, value)) {
    for (const [setting, settingValue] of Object.entries(body)) {
      if (setting !== 'unauthenticated_metrics_access') throw unknownSetting(scope, `${key}.${setting}`, ['telemetry.unauthenticated_metrics_access']);
      unauthenticated = readBoolean(scope, `${key}.${setting}`, settingValue);
    }
  }
  return unauthenticated;
}
