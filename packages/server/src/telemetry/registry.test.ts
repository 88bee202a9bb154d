import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { MetricsRegistry, type TelemetrySettings } from './registry.js';

const SETTINGS: TelemetrySettings = { prefix: 'vault', prometheusRetentionSeconds: 60, usageGaugePeriodSeconds: 600, disableHostname: true };

function registry(settings: Partial<TelemetrySettings> = {}): { metrics: MetricsRegistry; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  return { metrics: new MetricsRegistry({ ...SETTINGS, ...settings }, () => clock.now), clock };
}

describe('metrics registry', () => {
  test('series of one name stay grouped', () => {
    const { metrics } = registry();
    metrics.increment('route.a');
    metrics.increment('route.a.b');
    metrics.increment('route.a', 1, { mount: 'kv/' });

    const samples = metrics
      .toPrometheus()
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    assert.deepEqual(samples, ['vault_route_a 1', 'vault_route_a{mount="kv/"} 1', 'vault_route_a_b 1']);
  });

  test('prometheus text of each kind', () => {
    const { metrics } = registry();
    metrics.gauge('core.unsealed', () => 1);
    metrics.increment('audit.log_request_failure', 0);
    metrics.increment('route.hits', 2, { mount: 'secret/' });
    for (const value of [4, 1, 3, 2]) metrics.observe('core.handle_request', value);

    assert.equal(
      metrics.toPrometheus(),
      [
        '# HELP vault_core_unsealed vault_core_unsealed',
        '# TYPE vault_core_unsealed gauge',
        'vault_core_unsealed 1',
        '# HELP vault_audit_log_request_failure vault_audit_log_request_failure',
        '# TYPE vault_audit_log_request_failure counter',
        'vault_audit_log_request_failure 0',
        '# HELP vault_route_hits vault_route_hits',
        '# TYPE vault_route_hits counter',
        'vault_route_hits{mount="secret/"} 2',
        '# HELP vault_core_handle_request vault_core_handle_request',
        '# TYPE vault_core_handle_request summary',
        'vault_core_handle_request{quantile="0.5"} 2',
        'vault_core_handle_request{quantile="0.9"} 4',
        'vault_core_handle_request{quantile="0.99"} 4',
        'vault_core_handle_request_sum 10',
        'vault_core_handle_request_count 4',
        '',
      ].join('\n'),
    );
  });

  test('old samples leave the quantiles', () => {
    const { metrics, clock } = registry();
    metrics.observe('core.handle_request', 5);
    clock.now += 11_000;
    const text = metrics.toPrometheus();
    assert.match(text, /^vault_core_handle_request\{quantile="0\.5"\} NaN$/m);
    assert.match(text, /^vault_core_handle_request_count 1$/m);
  });

  test('retention drops stale series', () => {
    const { metrics, clock } = registry();
    metrics.increment('audit.log_request_failure');
    metrics.observe('core.handle_request', 1);
    clock.now += 61_000;
    assert.equal(metrics.toPrometheus(), '\n');
  });

  test('label values are escaped', () => {
    const { metrics } = registry();
    metrics.increment('odd', 1, { path: 'a"b\\c\nd' });
    assert.match(metrics.toPrometheus(), /^vault_odd\{path="a\\"b\\\\c\\nd"\} 1$/m);
  });

  test('gauges carry the host name unless disabled', () => {
    const { metrics } = registry({ disableHostname: false, prefix: 'coffer' });
    metrics.gauge('core.active', () => 0);
    const flatHost = hostname().replace(/[^a-zA-Z0-9_:]/g, '_');
    assert.match(metrics.toPrometheus(), new RegExp(`^coffer_${flatHost}_core_active 0$`, 'm'));
    const json = metrics.toJson() as { Gauges: Array<{ Name: string; Value: number }> };
    assert.deepEqual(json.Gauges, [{ Name: `coffer.${hostname()}.core.active`, Value: 0, Labels: {} }]);
  });

  test('undefined gauges are left out', () => {
    const { metrics } = registry();
    metrics.gauge('token.count', () => undefined);
    assert.equal(metrics.toPrometheus(), '\n');
  });

  test('json statistics cover the window', () => {
    const { metrics, clock } = registry();
    metrics.observe('core.handle_request', 2);
    clock.now += 11_000;
    metrics.observe('core.handle_request', 4);
    const json = metrics.toJson() as { Samples: Array<Record<string, unknown>> };
    // The sample of 2 is older than the 10-second window, so no statistic counts it.
    assert.deepEqual(json.Samples, [{ Name: 'vault.core.handle_request', Count: 1, Rate: 0.4, Sum: 4, Min: 4, Max: 4, Mean: 4, Stddev: 0, Labels: {} }]);

    clock.now += 11_000;
    const idle = metrics.toJson() as { Samples: Array<Record<string, unknown>> };
    assert.deepEqual(idle.Samples, [{ Name: 'vault.core.handle_request', Count: 0, Rate: 0, Sum: 0, Min: 0, Max: 0, Mean: 0, Stddev: 0, Labels: {} }]);
  });

  test('json statistics of a summary', () => {
    const { metrics } = registry();
    for (const value of [2, 4]) metrics.observe('core.handle_request', value);
    const json = metrics.toJson() as { Samples: Array<Record<string, unknown>> };
    assert.deepEqual(json.Samples, [{ Name: 'vault.core.handle_request', Count: 2, Rate: 0.6, Sum: 6, Min: 2, Max: 4, Mean: 3, Stddev: 1, Labels: {} }]);
  });
});
