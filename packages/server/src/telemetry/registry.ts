/**
 * The server's metrics, with Vault's names, kinds and units, for
 * `sys/metrics`: counters, gauges read when the metrics are, and summaries
 * of timings in milliseconds. Names are dotted lists of parts, such as
 * `core.handle_request`, under the configured prefix (`vault` by default,
 * so dashboards made for Vault work unchanged).
 *
 * Recording is cheap on purpose: a counter adds to a number and a summary
 * writes into a fixed ring, so the request path pays well under a
 * microsecond. Quantiles are worked out only when the metrics are read.
 */
import { hostname } from 'node:os';

export interface TelemetrySettings {
  /** First part of every name, Vault's `metrics_prefix`. */
  prefix: string;
  /** Seconds a metric that stopped changing stays in the Prometheus output; 0 turns that format off. */
  prometheusRetentionSeconds: number;
  /** Seconds between two computations of the costly gauges, such as the token count. */
  usageGaugePeriodSeconds: number;
  /** False puts the host name after the prefix in gauge names, as Vault does by default. */
  disableHostname: boolean;
}

export const DEFAULT_TELEMETRY: TelemetrySettings = {
  prefix: 'vault',
  prometheusRetentionSeconds: 24 * 3600,
  usageGaugePeriodSeconds: 600,
  disableHostname: false,
};

/** Metric labels by name. */
export type Labels = Readonly<Record<string, string>>;

/** Seconds of samples that summary quantiles and the JSON statistics cover, as in Vault's sinks. */
const WINDOW_SECONDS = 10;
/** Samples each summary keeps for its quantiles; older ones are overwritten. */
const RING_SIZE = 4096;
const QUANTILES = [0.5, 0.9, 0.99];

/** A summary of timings: totals since start, and recent samples for quantiles. */
class Summary {
  count = 0;
  sum = 0;
  updated = 0;
  private readonly values = new Float64Array(RING_SIZE);
  private readonly times = new Float64Array(RING_SIZE);
  private next = 0;

  observe(value: number, now: number): void {
    this.count += 1;
    this.sum += value;
    this.updated = now;
    this.values[this.next] = value;
    this.times[this.next] = now;
    this.next = (this.next + 1) % RING_SIZE;
  }

  /** Returns the samples of the last window, sorted. */
  recent(now: number): number[] {
    const since = now - WINDOW_SECONDS * 1000;
    const recentValues: number[] = [];
    const filled = Math.min(this.count, RING_SIZE);
    for (let index = 0; index < filled; index += 1) {
      if (this.times[index] >= since) recentValues.push(this.values[index]);
    }
    return recentValues.sort((left, right) => left - right);
  }
}

interface Series<T> {
  name: string;
  labels: Labels;
  value: T;
}

/** One counter series: its total and when it last changed, in epoch milliseconds. */
interface CounterValue {
  total: number;
  updated: number;
}

/** The metrics of one server. */
export class MetricsRegistry {
  private readonly counters = new Map<string, Series<CounterValue>>();
  private readonly summaries = new Map<string, Series<Summary>>();
  private readonly gauges = new Map<string, { name: string; read: () => number | undefined }>();
  private readonly host = hostname();

  constructor(
    readonly settings: TelemetrySettings,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Adds `amount` to a counter. */
  increment(name: string, amount = 1, labels: Labels = {}): void {
    const key = seriesKey(name, labels);
    let series = this.counters.get(key);
    if (series === undefined) {
      series = { name, labels, value: { total: 0, updated: 0 } };
      this.counters.set(key, series);
    }
    series.value.total += amount;
    series.value.updated = this.clock();
  }

  /** Records a timing in milliseconds. */
  observe(name: string, milliseconds: number, labels: Labels = {}): void {
    const key = seriesKey(name, labels);
    let series = this.summaries.get(key);
    if (series === undefined) {
      series = { name, labels, value: new Summary() };
      this.summaries.set(key, series);
    }
    series.value.observe(milliseconds, this.clock());
  }

  /** Records the milliseconds since `startedAt`, a `performance.now()` reading. */
  measureSince(name: string, startedAt: number, labels: Labels = {}): void {
    this.observe(name, performance.now() - startedAt, labels);
  }

  /** Adds a gauge whose value `read` gives when the metrics are read; undefined leaves it out. */
  gauge(name: string, read: () => number | undefined): void {
    this.gauges.set(name, { name, read });
  }

  /** Returns the metrics in the JSON shape of Vault's in-memory sink. */
  toJson(): Record<string, unknown> {
    const now = this.clock();
    const gauges = this.readGauges().map(({ name, value }) => ({ Name: this.dotted(name, true), Value: value, Labels: {} }));
    const counters = [...this.counters.values()].map((series) => ({
      Name: this.dotted(series.name, false),
      Count: series.value.total,
      Sum: series.value.total,
      Labels: { ...series.labels },
    }));
    const samples = [...this.summaries.values()].map((series) => ({
      Name: this.dotted(series.name, false),
      ...statistics(series.value, now),
      Labels: { ...series.labels },
    }));
    return { Timestamp: new Date(now).toISOString(), Gauges: gauges, Points: [], Counters: counters, Samples: samples };
  }

  /**
   * Returns the metrics in Prometheus's text format, version 0.0.4. Series that
   * have not changed within the retention time are left out, as Vault's
   * Prometheus sink drops them.
   */
  toPrometheus(): string {
    const now = this.clock();
    const oldest = now - this.settings.prometheusRetentionSeconds * 1000;
    const lines: string[] = [];
    const typed = new Set<string>();
    const header = (name: string, type: string): void => {
      if (typed.has(name)) return;
      typed.add(name);
      lines.push(`# HELP ${name} ${name}`, `# TYPE ${name} ${type}`);
    };

    for (const { name, value } of this.readGauges()) {
      const flat = this.flat(name, true);
      header(flat, 'gauge');
      lines.push(`${flat} ${formatNumber(value)}`);
    }
    for (const { flat, series } of this.byFlatName(this.counters)) {
      if (series.value.updated < oldest) continue;
      header(flat, 'counter');
      lines.push(`${flat}${labelText(series.labels)} ${formatNumber(series.value.total)}`);
    }
    for (const { flat, series } of this.byFlatName(this.summaries)) {
      const summary = series.value;
      if (summary.updated < oldest) continue;
      header(flat, 'summary');
      const recent = summary.recent(now);
      for (const quantile of QUANTILES) {
        lines.push(`${flat}${labelText({ ...series.labels, quantile: String(quantile) })} ${formatNumber(quantileOf(recent, quantile))}`);
      }
      lines.push(`${flat}_sum${labelText(series.labels)} ${formatNumber(summary.sum)}`, `${flat}_count${labelText(series.labels)} ${summary.count}`);
    }
    return `${lines.join('\n')}\n`;
  }

  /**
   * Returns the series sorted by Prometheus name, then by labels, because the
   * text format needs every line of one name in a single group. Sorting by
   * dotted name would split `route.a` from `route.a{mount=...}` whenever a
   * name such as `route.a.b` falls between them.
   */
  private byFlatName<T>(map: Map<string, Series<T>>): Array<{ flat: string; series: Series<T> }> {
    const entries = [...map.entries()].map(([key, series]) => ({ key, flat: this.flat(series.name, false), series }));
    entries.sort((left, right) => compareText(left.flat, right.flat) || compareText(left.key, right.key));
    return entries.map(({ flat, series }) => ({ flat, series }));
  }

  private readGauges(): Array<{ name: string; value: number }> {
    const values: Array<{ name: string; value: number }> = [];
    for (const gauge of [...this.gauges.values()].sort((left, right) => left.name.localeCompare(right.name))) {
      const value = gauge.read();
      if (value !== undefined) values.push({ name: gauge.name, value });
    }
    return values;
  }

  /** Returns the full dotted name: prefix, the host name for gauges unless disabled, then the name. */
  private dotted(name: string, isGauge: boolean): string {
    const withHost = isGauge && !this.settings.disableHostname;
    return [this.settings.prefix, ...(withHost ? [this.host] : []), name].join('.');
  }

  /** Returns the Prometheus name: the dotted name with every other character turned into `_`. */
  private flat(name: string, isGauge: boolean): string {
    return this.dotted(name, isGauge).replace(/[^a-zA-Z0-9_:]/g, '_');
  }
}

function seriesKey(name: string, labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return name;
  return `${name}|${names.sort().map((label) => `${label}=${labels[label]}`).join(',')}`;
}

/** Compares by UTF-16 code units, so the order does not depend on the locale. */
function compareText(left: string, right: string): number {
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

/** Returns the statistics of the samples in the last window; Vault's in-memory sink reports one interval too. */
function statistics(summary: Summary, now: number): Record<string, number> {
  const recent = summary.recent(now);
  if (recent.length === 0) return { Count: 0, Rate: 0, Sum: 0, Min: 0, Max: 0, Mean: 0, Stddev: 0 };
  const total = recent.reduce((sum, value) => sum + value, 0);
  const mean = total / recent.length;
  const variance = recent.reduce((sum, value) => sum + (value - mean) ** 2, 0) / recent.length;
  return {
    Count: recent.length,
    Rate: total / WINDOW_SECONDS,
    Sum: total,
    Min: recent[0],
    Max: recent[recent.length - 1],
    Mean: mean,
    Stddev: Math.sqrt(variance),
  };
}

/** Returns the nearest-rank quantile of sorted values; NaN with none, as Prometheus shows an empty summary. */
function quantileOf(sorted: number[], quantile: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(quantile * sorted.length) - 1));
  return sorted[rank];
}

function labelText(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  const pairs = names.map((name) => `${name.replace(/[^a-zA-Z0-9_]/g, '_')}="${escapeLabel(labels[name])}"`);
  return `{${pairs.join(',')}}`;
}

/** Escapes a label value as the text format requires: backslash, double quote and line feed. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
