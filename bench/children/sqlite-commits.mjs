/**
 * Child process that measures better-sqlite3's single-row commit rate: one
 * INSERT per transaction in a loop, with `journal_mode=WAL` and
 * `synchronous=FULL`, the settings Coffer's sqlite storage uses by default.
 *
 * Usage (forked by the runner with an IPC channel):
 * `sqlite-commits.mjs DATABASE_FILE WARMUP_SECONDS DURATION_SECONDS`.
 * Sends `{ type: 'result', commits, seconds, latencyMs, cpuCores, otherCpuCores }`
 * and exits.
 * The runner owns the folder of DATABASE_FILE and removes it.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { percentiles } from '../lib/percentiles.mjs';
import { busyCpus, readSystemCpu } from '../lib/system-cpu.mjs';

const [databasePath, warmupArg, durationArg] = process.argv.slice(2);
const warmupSeconds = Number(warmupArg);
const durationSeconds = Number(durationArg);
if (databasePath === undefined || !(warmupSeconds >= 0) || !(durationSeconds > 0)) {
  console.error('usage: sqlite-commits.mjs DATABASE_FILE WARMUP_SECONDS DURATION_SECONDS');
  process.exit(1);
}
// The runner's exit closes the channel; a commit loop must not outlive it.
process.on('disconnect', () => process.exit(1));

// Load better-sqlite3 as the sqlite storage plugin does, so both use one build.
const requireFromPlugin = createRequire(new URL('../../plugins/storage/sqlite/package.json', import.meta.url));
const Database = requireFromPlugin('better-sqlite3');

const db = new Database(databasePath);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, value BLOB NOT NULL)');
const insert = db.prepare('INSERT INTO rows (id, value) VALUES (?, ?)');
// A value about the size of an encrypted KV v2 entry.
const value = randomBytes(256);

let nextId = 0;

/** Commits one row per transaction until `seconds` pass; returns each commit's latency in ms. */
function commitFor(seconds) {
  const latencies = [];
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  for (;;) {
    const start = process.hrtime.bigint();
    if (start >= end) return latencies;
    // Outside an explicit transaction, SQLite commits each statement on its own.
    insert.run(nextId++, value);
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
}

commitFor(warmupSeconds);
const cpuBefore = process.cpuUsage();
const systemCpuBefore = readSystemCpu();
const started = process.hrtime.bigint();
const latencies = commitFor(durationSeconds);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const systemCpuAfter = readSystemCpu();
const cpu = process.cpuUsage(cpuBefore);
db.close();

const ownCpuCores = (cpu.user + cpu.system) / 1e6 / seconds;
const machineCpuCores = busyCpus(systemCpuBefore, systemCpuAfter, availableParallelism());
process.send(
  {
    type: 'result',
    commits: latencies.length,
    seconds,
    latencyMs: percentiles(latencies),
    cpuCores: ownCpuCores,
    otherCpuCores: machineCpuCores === null ? null : Math.max(0, machineCpuCores - ownCpuCores),
  },
  () => process.exit(0),
);
