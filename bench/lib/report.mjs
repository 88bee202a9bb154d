/**
 * Targets, ratios and the printed table of a benchmark run.
 */

/**
 * Compares each Coffer scenario with the baseline and the SQLite commit
 * rate, and decides whether it met its target. A scenario with any non-2xx
 * response, socket error or timeout misses its target whatever its speed,
 * because its figures do not measure the operation it names. A verdict is
 * marked `disturbed` when other processes loaded the machine during the
 * scenario or during a scenario it is compared with.
 *
 * @param {{ baseline: object, health: object, readsUnaudited: object, reads: object, writes: object, sqlite: object }} results
 * @returns {object[]} one row per line of the table
 */
export function evaluate({ baseline, health, readsUnaudited, reads, writes, sqlite }) {
  const baselineRate = baseline.requestsPerSecond;
  const sqliteRate = sqlite.commitsPerSecond;
  const row = (scenario, figures, target, meetsTarget, references = []) => {
    const failures = failedResponses(figures);
    return {
      scenario,
      requestsPerSecond: figures.requestsPerSecond,
      p50Ms: figures.p50Ms,
      p99Ms: figures.p99Ms,
      ratioToBaseline: figures.requestsPerSecond / baselineRate,
      ratioToSqliteCommits: null,
      failedResponses: failures,
      serverCpuCores: figures.serverCpuCores,
      mainThreadUsPerRequest: figures.mainThreadUsPerRequest,
      loadGeneratorCpuCores: figures.loadGeneratorCpuCores,
      otherCpuCores: figures.otherCpuCores,
      target,
      met: target === null ? null : failures === 0 && meetsTarget(figures),
      disturbed: target === null ? null : [figures, ...references].some(isDisturbed),
    };
  };

  return [
    row('baseline: bare node:http', baseline, null),
    row('coffer: GET sys/health', health, '>= 0.5 x baseline', (f) => f.requestsPerSecond >= 0.5 * baselineRate, [baseline]),
    row('coffer: KV v2 read, no audit', readsUnaudited, null),
    row('coffer: KV v2 read, file audit', reads, '>= 0.25 x baseline, p99 <= 10 ms', (f) => f.requestsPerSecond >= 0.25 * baselineRate && f.p99Ms <= 10, [baseline]),
    {
      ...row('coffer: KV v2 write, file audit', writes, '>= SQLite commits/s', (f) => f.requestsPerSecond >= sqliteRate, [sqlite]),
      ratioToSqliteCommits: writes.requestsPerSecond / sqliteRate,
    },
    {
      scenario: 'better-sqlite3 1-row commits',
      requestsPerSecond: sqliteRate,
      p50Ms: sqlite.latencyMs.p50,
      p99Ms: sqlite.latencyMs.p99,
      ratioToBaseline: null,
      ratioToSqliteCommits: null,
      failedResponses: null,
      serverCpuCores: sqlite.cpuCores,
      mainThreadUsPerRequest: null,
      loadGeneratorCpuCores: null,
      otherCpuCores: sqlite.otherCpuCores,
      target: null,
      met: null,
      disturbed: null,
    },
  ];
}

/** The largest share of the read rate that turning the file audit device on may cost. */
export const AUDIT_COST_MAX_SHARE = 0.05;
/** The maximum p99 latency, in milliseconds, that turning the file audit device on may add to reads. */
export const AUDIT_COST_MAX_P99_MS = 1;

/**
 * Compares the reads with the file audit device with the reads without it,
 * which run just before in the same process: the share of requests per
 * second lost, the p99 added, and whether both stay within their limits.
 */
export function auditCost({ readsUnaudited, reads }) {
  const rateLost = 1 - reads.requestsPerSecond / readsUnaudited.requestsPerSecond;
  const p99AddedMs = reads.p99Ms - readsUnaudited.p99Ms;
  return {
    rateLost,
    p99AddedMs,
    met: failedResponses(reads) === 0 && rateLost <= AUDIT_COST_MAX_SHARE && p99AddedMs <= AUDIT_COST_MAX_P99_MS,
    disturbed: isDisturbed(reads) || isDisturbed(readsUnaudited),
  };
}

/** Formats `auditCost` as one line of the report. */
export function formatAuditCost(cost) {
  const lost = cost.rateLost >= 0 ? `${(cost.rateLost * 100).toFixed(1)}% fewer requests/s` : `${(-cost.rateLost * 100).toFixed(1)}% more requests/s`;
  const p99 = `${cost.p99AddedMs >= 0 ? '+' : '-'}${Math.abs(cost.p99AddedMs).toFixed(2)} ms p99`;
  const limits = `at most ${AUDIT_COST_MAX_SHARE * 100}% fewer and +${AUDIT_COST_MAX_P99_MS} ms`;
  return `file audit cost on KV v2 reads: ${lost}, ${p99} (target ${limits}): met ${formatMet(cost.met, cost.disturbed)}`;
}

function failedResponses(figures) {
  // Autocannon counts each timeout in `errors` as well as in `timeouts`.
  return figures.non2xx + figures.errors;
}

/** CPU use by other processes, in cores, above which a scenario's figures are flagged as disturbed. */
export const DISTURBED_CPU_CORES = 0.2;

/** Returns the names of the scenarios during which other processes used more than DISTURBED_CPU_CORES. */
export function disturbedScenarios(rows) {
  return rows.filter(isDisturbed).map((r) => r.scenario);
}

/** Tells whether other processes used more than DISTURBED_CPU_CORES during a scenario, given its figures or row. */
function isDisturbed({ otherCpuCores }) {
  return otherCpuCores !== null && otherCpuCores !== undefined && otherCpuCores > DISTURBED_CPU_CORES;
}

/**
 * Load-generator CPU use, in cores, above which autocannon rather than the
 * server is taken to limit a scenario's rate. Autocannon runs on one thread.
 */
export const SATURATED_CLIENT_CPU_CORES = 0.9;

/** Formats the rows of `evaluate` as a fixed-width table. */
export function formatTable(rows) {
  const columns = [
    ['scenario', (r) => r.scenario, 'left'],
    ['req/s', (r) => r.requestsPerSecond.toFixed(0)],
    ['p50 ms', (r) => fixed(r.p50Ms, 2)],
    ['p99 ms', (r) => fixed(r.p99Ms, 2)],
    ['x baseline', (r) => fixed(r.ratioToBaseline, 3)],
    ['x sqlite', (r) => fixed(r.ratioToSqliteCommits, 2)],
    ['failed', (r) => (r.failedResponses === null ? '-' : String(r.failedResponses))],
    ['server cpu', (r) => fixed(r.serverCpuCores, 2)],
    ['main us/req', (r) => fixed(r.mainThreadUsPerRequest, 1)],
    ['client cpu', (r) => fixed(r.loadGeneratorCpuCores, 2)],
    ['other cpu', (r) => fixed(r.otherCpuCores, 2)],
    ['target', (r) => r.target ?? '-', 'left'],
    ['met', (r) => formatMet(r.met, r.disturbed), 'left'],
  ];
  const cells = [columns.map(([title]) => title), ...rows.map((r) => columns.map(([, cell]) => cell(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  return cells
    .map((line) =>
      line
        .map((text, i) => (columns[i][2] === 'left' ? text.padEnd(widths[i]) : text.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function formatMet(met, disturbed) {
  if (met === null) return '-';
  const verdict = met ? 'yes' : 'NO';
  return disturbed ? `${verdict} (disturbed)` : verdict;
}

function fixed(value, digits) {
  return value === null || value === undefined ? '-' : value.toFixed(digits);
}
