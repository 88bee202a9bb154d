/**
 * The gauges of a core that dashboards made for Vault read: whether it is
 * unsealed and active, the Node.js heap and resident memory, and the token
 * and lease counts. The counts need a storage listing each, so they are
 * worked out at most once per `usage_gauge_period`, when the metrics are
 * read, and left out when that period is 0.
 */
import type { MetricsRegistry } from './registry.js';

/** The core's state that the gauges read. */
export interface GaugeSources {
  sealed(): boolean;
  /** True on the node that serves requests: the only node without HA, the leader with it. */
  active(): boolean;
  countTokens(): Promise<number>;
  countLeases(): Promise<number>;
}

export class CoreGauges {
  private tokens: number | undefined;
  private leases: number | undefined;
  private countedAt = Number.NEGATIVE_INFINITY;
  private counting: Promise<void> | undefined;

  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly sources: GaugeSources,
    private readonly clock: () => number = Date.now,
  ) {
    metrics.gauge('core.unsealed', () => (sources.sealed() ? 0 : 1));
    metrics.gauge('core.active', () => (sources.active() ? 1 : 0));
    metrics.gauge('runtime.alloc_bytes', () => process.memoryUsage().heapUsed);
    metrics.gauge('runtime.sys_bytes', () => process.memoryUsage().rss);
    metrics.gauge('token.count', () => this.tokens);
    metrics.gauge('expire.num_leases', () => this.leases);
  }

  /**
   * Counts tokens and leases again when the last count is older than the
   * usage gauge period and this node is active. A failed count is logged
   * by the caller and leaves the gauges out until the next one.
   */
  refresh(): Promise<void> {
    const period = this.metrics.settings.usageGaugePeriodSeconds * 1000;
    if (period === 0 || !this.sources.active() || this.clock() - this.countedAt < period) {
      if (!this.sources.active()) this.forget();
      return this.counting ?? Promise.resolve();
    }
    this.counting ??= (async () => {
      try {
        const [tokens, leases] = await Promise.all([this.sources.countTokens(), this.sources.countLeases()]);
        this.tokens = tokens;
        this.leases = leases;
        this.countedAt = this.clock();
      } catch (err) {
        this.forget();
        throw err;
      } finally {
        this.counting = undefined;
      }
    })();
    return this.counting;
  }

  /** Drops the counts, as at seal, so a sealed or standby node reports none. */
  forget(): void {
    this.tokens = undefined;
    this.leases = undefined;
    this.countedAt = Number.NEGATIVE_INFINITY;
  }
}
