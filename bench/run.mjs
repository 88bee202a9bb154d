/**
 * Coffer's benchmark runner (`npm run bench`). In one run on one machine it
 * measures a bare node:http server as the baseline, Coffer's health
 * endpoint, KV v2 reads and durable KV v2 writes, and better-sqlite3's
 * single-row commit rate, then prints a table and writes
 * bench/results/latest.json. Every server runs in its own child process on
 * 127.0.0.1, and every child and temporary folder is removed at the end,
 * whether the run succeeds or fails.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child, startServerChild, stopAllChildren } from './lib/children.mjs';
import { createReaderToken, disableFileAudit, enableFileAudit, prepareCoffer, secretBody } from './lib/coffer-setup.mjs';
import { formatProfileSummary, summarizeProfile } from './lib/cpu-profile.mjs';
import { measureLoad, mergeLoads } from './lib/load.mjs';
import { parseOptions, USAGE } from './lib/options.mjs';
import { DISTURBED_CPU_CORES, SATURATED_CLIENT_CPU_CORES, auditCost, disturbedScenarios, evaluate, formatAuditCost, formatTable } from './lib/report.mjs';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const childScript = (name) => new URL(`./children/${name}`, import.meta.url);

/** How many setup writes Coffer gets at once while the secrets are written. */
const SETUP_CONCURRENCY = 64;

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }

  const workDir = await mkdtemp(join(tmpdir(), 'coffer-bench-'));
  const onSignal = async (signal) => {
    console.error(`bench: ${signal} received, stopping the children`);
    await cleanUp(workDir);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const results = await runScenarios(options, workDir);
    await report(options, results);
  } finally {
    await cleanUp(workDir);
  }
}

async function cleanUp(workDir) {
  await stopAllChildren();
  await rm(workDir, { recursive: true, force: true });
}

/** Runs every scenario in turn, so no two compete for the CPU. */
async function runScenarios(options, workDir) {
  const load = {
    connections: options.connections,
    warmupSeconds: options.warmupSeconds,
    durationSeconds: options.durationSeconds,
  };
  const profilePath = options.cpuProfile ? await profileTarget() : undefined;

  step(`starting coffer (sqlite storage in ${workDir})`);
  const coffer = await startCoffer(workDir, profilePath);
  step(`initializing, unsealing, mounting KV v2 and writing ${options.secrets} secrets`);
  const setup = await prepareCoffer(coffer.address, { secrets: options.secrets, concurrency: SETUP_CONCURRENCY });

  const bodyFile = join(workDir, 'kv-read-body.json');
  await writeFile(bodyFile, setup.readBody);
  step(`baseline: bare node:http sending the ${setup.readBody.length}-byte KV v2 read body`);
  const baselineServer = await startServerChild('baseline', childScript('baseline-server.mjs'), [bodyFile], {
    logFile: join(workDir, 'baseline.log'),
  });
  const baseline = await measureLoad({
    ...load,
    url: baselineServer.address,
    server: baselineServer.child,
    requests: [{ method: 'GET', path: '/v1/secret/data/bench/0' }],
  });
  await baselineServer.child.stop();

  const readerToken = await createReaderToken(coffer.address, setup.rootToken);
  const scenarios = cofferScenarios(setup.rootToken, readerToken, options.secrets);
  const measure = (scenario, durationSeconds = load.durationSeconds) =>
    measureLoad({ ...load, durationSeconds, url: coffer.address, server: coffer.child, headers: scenario.headers, requests: scenario.requests });

  step(scenarios.health.title);
  const health = await measure(scenarios.health);

  // Reads without and with the audit device alternate, so that a slow
  // spell of the machine weighs on both alike. The device stays enabled
  // after the last round, as on a production server.
  const auditLog = join(workDir, 'audit', 'audit.log');
  const roundSeconds = load.durationSeconds / options.auditRounds;
  const unauditedParts = [];
  const auditedParts = [];
  for (let round = 1; round <= options.auditRounds; round++) {
    step(`${scenarios.readsUnaudited.title} (round ${round} of ${options.auditRounds})`);
    unauditedParts.push(await measure(scenarios.readsUnaudited, roundSeconds));
    step('enabling a file audit device');
    await enableFileAudit(coffer.address, setup.rootToken, auditLog);
    step(`${scenarios.reads.title} (round ${round} of ${options.auditRounds})`);
    auditedParts.push(await measure(scenarios.reads, roundSeconds));
    if (round < options.auditRounds) {
      step('disabling the file audit device');
      await disableFileAudit(coffer.address, setup.rootToken);
    }
  }
  const readsUnaudited = mergeLoads(unauditedParts);
  const reads = mergeLoads(auditedParts);

  step(scenarios.writes.title);
  const writes = await measure(scenarios.writes);
  await coffer.child.stop();

  step('better-sqlite3: one INSERT per transaction, WAL, synchronous=FULL');
  const sqlite = await measureSqliteCommits(workDir, options);

  const windowsUs = { health: health.windowUs, readsUnaudited: readsUnaudited.windowUs, reads: reads.windowUs, writes: writes.windowUs };
  const profile = profilePath === undefined ? undefined : { path: profilePath, windowsUs };
  return { baseline, health, readsUnaudited, reads, writes, sqlite, payloadBytes: setup.readBody.length, profile };
}

/**
 * Returns the title and the autocannon requests of each Coffer scenario, in
 * the order they run. Reads use `readerToken`, whose policy grants only
 * `secret/data/bench/*`, so each read goes through the ACL check.
 */
function cofferScenarios(rootToken, readerToken, secrets) {
  let nextRead = 0;
  let nextWrite = 0;
  const readRequests = [{ method: 'GET', setupRequest: (request) => ({ ...request, path: `/v1/secret/data/bench/${nextRead++ % secrets}` }) }];
  return {
    health: {
      title: 'coffer: GET /v1/sys/health',
      headers: {},
      requests: [{ method: 'GET', path: '/v1/sys/health' }],
    },
    readsUnaudited: {
      title: `coffer: KV v2 reads over ${secrets} paths, no audit device`,
      headers: { 'X-Vault-Token': readerToken },
      requests: readRequests,
    },
    reads: {
      title: `coffer: KV v2 reads over ${secrets} paths, file audit device`,
      headers: { 'X-Vault-Token': readerToken },
      requests: readRequests,
    },
    writes: {
      title: 'coffer: durable KV v2 writes, each to a new path, file audit device',
      headers: { 'X-Vault-Token': rootToken, 'Content-Type': 'application/json' },
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => {
            const i = nextWrite++;
            return { ...request, path: `/v1/secret/data/bench-w/${i}`, body: secretBody(i) };
          },
        },
      ],
    },
  };
}

/** Writes Coffer's config to `workDir` and starts Coffer from it. */
async function startCoffer(workDir, profilePath) {
  const configFile = join(workDir, 'coffer.hcl');
  await writeFile(
    configFile,
    `storage "sqlite" {
  path = ${JSON.stringify(join(workDir, 'coffer', 'coffer.db'))}
}

listener "tcp" {
  address     = "127.0.0.1:0"
  tls_disable = true
}
`,
  );
  const execArgv = profilePath === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(profilePath, '..')}`, `--cpu-prof-name=${profilePath.split('/').pop()}`];
  const { child, address } = await startServerChild('coffer', childScript('coffer-server.mjs'), [configFile], {
    logFile: join(workDir, 'coffer.log'),
    execArgv,
  });
  return { child, address };
}

async function measureSqliteCommits(workDir, options) {
  const sqliteDir = join(workDir, 'sqlite');
  await mkdir(sqliteDir);
  const args = [join(sqliteDir, 'commits.db'), String(options.warmupSeconds), String(options.durationSeconds)];
  const child = new Child('sqlite-commits', childScript('sqlite-commits.mjs'), args, { logFile: join(workDir, 'sqlite.log') });
  const result = await child.waitFor('result', (options.warmupSeconds + options.durationSeconds + 60) * 1000);
  await child.exited;
  return {
    commits: result.commits,
    seconds: result.seconds,
    commitsPerSecond: result.commits / result.seconds,
    latencyMs: result.latencyMs,
    cpuCores: result.cpuCores,
    otherCpuCores: result.otherCpuCores,
  };
}

async function profileTarget() {
  const dir = join(resultsDir, 'profiles');
  await mkdir(dir, { recursive: true });
  return join(dir, `coffer-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
}

/** Prints the table and the profile summary, and writes bench/results/latest.json. */
async function report(options, results) {
  const rows = evaluate(results);
  const cost = auditCost(results);
  const machine = {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
  };

  console.log(`\n${formatTable(rows)}\n`);
  console.log(`${formatAuditCost(cost)}\n`);
  console.log(
    `${options.connections} connections, ${options.warmupSeconds} s warm-up, ${options.durationSeconds} s measured per scenario; ` +
      `reads without and with audit alternate in ${options.auditRounds} rounds; ` +
      `KV v2 read body ${results.payloadBytes} bytes; ${machine.cpus} CPUs (${machine.cpuModel}), Node.js ${machine.node}`,
  );
  console.log(
    'server cpu, client cpu: CPU time per wall-clock second of the server child (all its threads) and of the load generator (1.00 = one core busy); ' +
      'main us/req: CPU time of the server\'s main thread per response, in microseconds, which other load changes little; ' +
      'other cpu: the rest of the machine, kernel included; a high value means other work disturbed the run',
  );
  if (results.baseline.loadGeneratorCpuCores >= SATURATED_CLIENT_CPU_CORES) {
    console.log(
      'NOTE: the load generator kept a core busy during the baseline, so the bare server could go faster: ' +
        'the baseline is a lower bound, and each "x baseline" ratio an upper bound.',
    );
  }
  const disturbed = disturbedScenarios(rows);
  if (disturbed.length > 0) {
    console.log(`NOTE: other processes used more than ${DISTURBED_CPU_CORES} CPUs during: ${disturbed.join('; ')}. Rerun on a quiet machine before comparing these figures.`);
  }

  const profiles = {};
  if (results.profile !== undefined) {
    console.log(`\nCPU profile of the coffer child: ${results.profile.path}\nNOTE: profiling slows coffer; the figures of this run are not comparable with unprofiled runs.`);
    for (const [scenario, windowUs] of Object.entries(results.profile.windowsUs)) {
      profiles[scenario] = summarizeProfile(results.profile.path, { windowUs });
      console.log(`\n${formatProfileSummary(profiles[scenario], `coffer ${scenario}`)}`);
    }
  }

  await mkdir(resultsDir, { recursive: true });
  const json = { date: new Date().toISOString(), machine, options, rows, auditCost: cost, disturbed, raw: results, profiles };
  await writeFile(join(resultsDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nresults written to ${join(resultsDir, 'latest.json')}`);
}

function step(message) {
  console.log(`bench: ${message}`);
}

main().catch((err) => {
  console.error(`bench: failed: ${err.stack ?? err}`);
  process.exitCode = 1;
});
