/**
 * One load scenario: autocannon against a server child, with a warm-up run
 * whose figures are discarded, then a measured run. Latency percentiles come
 * from autocannon's per-response times in fractional milliseconds, because
 * its own histogram rounds to whole milliseconds.
 */
import autocannon from 'autocannon';
import { availableParallelism } from 'node:os';
import { percentiles } from './percentiles.mjs';
import { busyCpus, readSystemCpu } from './system-cpu.mjs';

/**
 * Runs the warm-up and the measured run of one scenario.
 *
 * @param {object} options
 * @param {string} options.url the server's base URL
 * @param {import('./children.mjs').Child} options.server the child under load, for its CPU time
 * @param {object[]} options.requests autocannon `requests`, e.g. with a `setupRequest` per request
 * @param {Record<string, string>} [options.headers] headers sent with every request
 * @param {number} options.connections
 * @param {number} options.warmupSeconds
 * @param {number} options.durationSeconds
 * @returns {Promise<object>} figures of the measured run, with `windowUs`: its start and end
 *   in microseconds of the monotonic clock that V8's CPU profiles use
 */
export async function measureLoad({ url, server, requests, headers = {}, connections, warmupSeconds, durationSeconds }) {
  const base = { url, connections, requests, headers };
  if (warmupSeconds > 0) await autocannon({ ...base, duration: warmupSeconds });

  const latencies = [];
  const statusCounts = {};
  const serverCpuBefore = await server.cpuUsage();
  const loadCpuBefore = process.cpuUsage();
  const systemCpuBefore = readSystemCpu();
  const startNs = process.hrtime.bigint();

  const run = autocannon({ ...base, duration: durationSeconds });
  run.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    latencies.push(responseTimeMs);
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
  });
  const result = await run;

  const endNs = process.hrtime.bigint();
  const loadCpu = process.cpuUsage(loadCpuBefore);
  const systemCpuAfter = readSystemCpu();
  const serverCpuAfter = await server.cpuUsage();

  const seconds = Number(endNs - startNs) / 1e9;
  const { p50, p99 } = percentiles(latencies);
  const serverCpuCores = (cpuSeconds(serverCpuAfter) - cpuSeconds(serverCpuBefore)) / seconds;
  const serverSystemCpuCores = (serverCpuAfter.system - serverCpuBefore.system) / 1e6 / seconds;
  const loadGeneratorCpuCores = cpuSeconds(loadCpu) / seconds;
  const mainThreadUs = serverCpuAfter.mainThreadUs === null || serverCpuBefore.mainThreadUs === null ? null : serverCpuAfter.mainThreadUs - serverCpuBefore.mainThreadUs;
  const machineCpuCores = busyCpus(systemCpuBefore, systemCpuAfter, availableParallelism());
  return {
    responses: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: p50,
    p99Ms: p99,
    statusCounts,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    // CPU time per second of wall time: 1.0 is one core kept busy.
    serverCpuCores,
    // The part of serverCpuCores spent in the kernel, such as socket writes and fsync.
    serverSystemCpuCores,
    // CPU time of the server's main thread per response, which other load on the machine changes little.
    mainThreadUsPerRequest: mainThreadUs === null || latencies.length === 0 ? null : mainThreadUs / latencies.length,
    loadGeneratorCpuCores,
    // Includes kernel work charged to neither process, such as softirq handling of loopback traffic.
    otherCpuCores: machineCpuCores === null ? null : Math.max(0, machineCpuCores - serverCpuCores - loadGeneratorCpuCores),
    windowUs: [Number(startNs / 1000n), Number(endNs / 1000n)],
  };
}

function cpuSeconds({ user, system }) {
  return (user + system) / 1e6;
}
