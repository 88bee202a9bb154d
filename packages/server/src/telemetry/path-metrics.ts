/**
 * sys/metrics: the server's metrics as JSON (Vault's in-memory sink shape)
 * or, with `format=prometheus`, in Prometheus's text format. It needs a
 * token with read on `sys/metrics`, unless a listener's telemetry block
 * sets `unauthenticated_metrics_access`; see {@link serveMetrics}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, definePath, isCofferError, type FieldMap, type Logger, type PathDefinition, type Response } from '@coffer/sdk';
import type { CoreGauges } from './core-metrics.js';
import type { MetricsRegistry } from './registry.js';

/** The content type of Prometheus's text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const fields = {
  format: { type: 'string', description: 'Output format: empty for JSON, or "prometheus".' },
} as const;

export function metricsPaths(metrics: MetricsRegistry, gauges: CoreGauges, logger: Logger): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'metrics',
      fields,
      operations: {
        // NOTE: the request pipeline passes backends no headers, so unlike Vault and the
        // unauthenticated listener, this path cannot pick Prometheus from an Accept header.
        read: async (_request, fields) => metricsResponse(metrics, gauges, logger, fields.get('format')),
      },
      helpSynopsis: "Read the server's metrics.",
      helpDescription: 'GET returns the metrics as JSON, or in Prometheus text format with format=prometheus.',
    }),
  ];
}

/**
 * Builds the response for a format.
 * @throws CofferError (400) for an unknown format, or for Prometheus when
 *   `prometheus_retention_time` is 0, as Vault does.
 */
export async function metricsResponse(metrics: MetricsRegistry, gauges: CoreGauges, logger: Logger, format: string): Promise<Response> {
  if (format !== '' && format !== 'prometheus') throw badRequest(`invalid field "format" ${JSON.stringify(format)}: use "prometheus", or leave it out for JSON`);
  if (format === 'prometheus' && metrics.settings.prometheusRetentionSeconds === 0) {
    throw badRequest('prometheus is not enabled: set telemetry { prometheus_retention_time } in the server configuration');
  }
  try {
    await gauges.refresh();
  } catch (err) {
    logger.error({ err }, 'counting tokens and leases for the usage gauges failed');
  }
  if (format === 'prometheus') return { raw: { status: 200, contentType: PROMETHEUS_CONTENT_TYPE, body: metrics.toPrometheus() } };
  return { raw: { status: 200, contentType: 'application/json', body: JSON.stringify(metrics.toJson()) } };
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Wraps a listener's request handling so that `GET /v1/sys/metrics` is
 * served without a token, for a listener whose telemetry block sets
 * `unauthenticated_metrics_access`. As in Vault, such requests skip the
 * token check, the ACL and the audit devices; all other requests pass on.
 */
export function withUnauthenticatedMetrics(api: RequestListener, metrics: MetricsRegistry, gauges: CoreGauges, logger: Logger): RequestListener {
  return (request, response) => {
    const url = request.url ?? '/';
    if (!url.startsWith(METRICS_URL) || (url.length > METRICS_URL.length && url[METRICS_URL.length] !== '?') || request.method !== 'GET') {
      api(request, response);
      return;
    }
    const format = new URLSearchParams(url.slice(METRICS_URL.length + 1)).get('format') ?? formatFromAccept(request.headers.accept);
    metricsResponse(metrics, gauges, logger, format).then(
      (answer) => send(response, answer.raw!.status, answer.raw!.contentType, answer.raw!.body),
      (err: unknown) => {
        const status = isCofferError(err) ? err.status : 500;
        if (status === 500) logger.error({ err }, 'serving unauthenticated metrics failed');
        send(response, status, 'application/json', JSON.stringify({ errors: [status === 500 ? 'internal error' : (err as Error).message] }));
      },
    );
  };
}

const METRICS_URL = '/v1/sys/metrics';

/**
 * Returns "prometheus" when the Accept header starts with the OpenMetrics
 * type, as Prometheus's scrapes do, and "" (JSON) otherwise. Vault picks
 * the format from the header the same way when the query has no `format`.
 */
export function formatFromAccept(accept: string | undefined): string {
  return accept !== undefined && accept.trimStart().toLowerCase().startsWith('application/openmetrics-text') ? 'prometheus' : '';
}

function send(response: ServerResponse, status: number, contentType: string, body: Buffer | string): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}
