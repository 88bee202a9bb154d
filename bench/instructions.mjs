/**
 * Instruction counts of the transit hot path (`node bench/instructions.mjs`):
 * the instructions that the main thread of Coffer and of the bare
 * `node:http` baseline of bench/transit.mjs run per request, counted by
 * valgrind's callgrind over a fixed number of requests after a warm-up.
 *
 * Requests per second on a shared 2-vCPU machine move by 10-20% between
 * runs of one build, which hides changes of a few microseconds. A count of
 * instructions depends little on what else the machine runs: two runs of
 * one build agreed within 0.2% for Coffer and 1.2% for the baseline while
 * a test suite ran beside them (bench/README.md). So it can
 * compare two builds of Coffer while other work runs, and show how far the
 * main thread's work per request is from the baseline's. The count is a
 * proxy for time, not a substitute: it leaves out the kernel's share of
 * socket and file writes, and it weighs every instruction alike. valgrind
 * hides the CPU's SHA extensions, so OpenSSL then hashes with AVX2 code and
 * the audit HMACs count several times what they cost on the hardware.
 *
 * Each count runs a new server child under `valgrind --tool=callgrind`
 * with instrumentation off. The runner warms it up, turns
 * instrumentation on with `callgrind_control`, sends the measured requests
 * with autocannon, turns it off again and dumps the counts. Coffer runs with
 * the set-up of bench/transit.mjs: a non-root token limited to the transit
 * key and a file audit device.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import autocannon from 'autocannon';
import { startServerChild } from './lib/children.mjs';
import { callCoffer, enableFileAudit, prepareCoffer } from './lib/coffer-setup.mjs';
import { DECRYPT_FIRST_COUNTER, decryptBodies, distinctEncryptBodies } from './lib/transit-bodies.mjs';
import { withWorkDir } from './lib/work-dir.mjs';
import { runCommand } from './lib/command.mjs';

const run = promisify(execFile);

const USAGE = `usage: node bench/instructions.mjs [flags]

  --requests N          measured requests per scenario and server (default 4000)
  --warmup N            requests before each measurement, not counted (default 6000)
  --connections N       concurrent HTTP connections (default 16)
  --payload-bytes N     plaintext size of the scenarios (default 64)
  --help                print this text

Needs valgrind (Debian package valgrind). A run starts four servers under it and took about ten minutes while other work shared the machine.`;

/** Coffer must reach this share of the baseline, as in bench/transit.mjs. */
const TARGET_RATIO = 0.6;
/** valgrind runs a program many times slower than the hardware, so a child may take this long to start. */
const READY_TIMEOUT_MS = 10 * 60_000;
/** autocannon's limit for one response, in seconds, raised from its 10 s for the same reason. */
const REQUEST_TIMEOUT_SECONDS = 120;

const transitScript = new URL('./transit.mjs', import.meta.url);
const cofferScript = new URL('./children/coffer-server.mjs', import.meta.url);

runCommand({ usage: USAGE, parseOptions, run: main });

async function main(options) {
  try {
    await run('valgrind', ['--version']);
  } catch {
    console.error('bench: valgrind was not found; install it (apt-get install valgrind) and run again');
    process.exit(2);
  }

  await withWorkDir('coffer-bench-instructions-', async (workDir) => {
    const rows = await measure(options, workDir);
    report(options, rows);
  });
}

/**
 * Counts each scenario on each server. Every count gets a server process of
 * its own: after one scenario, V8 recompiled shared code for the next, and
 * two runs of one build then differed by 5% in the second scenario.
 */
async function measure(options, workDir) {
  const base = randomBytes(options.payloadBytes).toString('base64');
  const rows = [];
  for (const operation of ['encrypt', 'decrypt']) {
    const counts = {};
    for (const name of ['baseline', 'coffer']) {
      step(`${name}: starting under callgrind for ${operation} ${options.payloadBytes} B`);
      const server = name === 'baseline' ? await startBaseline(workDir) : await startCoffer(workDir, operation);
      step(`${name}: ${options.warmup} warm-up and ${options.requests} measured requests`);
      counts[name] = await countScenario(options, server, operation, base);
      await server.child.stop();
    }
    rows.push({ title: `${operation} ${options.payloadBytes} B`, baseline: counts.baseline, coffer: counts.coffer });
  }
  return rows;
}

async function startBaseline(workDir) {
  const key = randomBytes(32);
  const server = await startUnderCallgrind('baseline', transitScript, ['--baseline-child', key.toString('hex')], workDir);
  return { ...server, key, headers: { 'Content-Type': 'application/json' } };
}

/** Starts Coffer with sqlite storage in a folder of its own, and sets up transit, the token and the file audit device. */
async function startCoffer(workDir, operation) {
  const dataDir = join(workDir, `coffer-${operation}`);
  const configFile = join(workDir, `coffer-${operation}.hcl`);
  await writeFile(
    configFile,
    `storage "sqlite" {\n  path = ${JSON.stringify(join(dataDir, 'coffer.db'))}\n}\n\nlistener "tcp" {\n  address     = "127.0.0.1:0"\n  tls_disable = true\n}\n`,
  );
  const server = await startUnderCallgrind('coffer', cofferScript, [configFile], workDir);
  const { cofferKey, token } = await prepareTransit(server.address, join(dataDir, 'audit.log'));
  return { ...server, key: cofferKey, headers: { 'Content-Type': 'application/json', 'X-Vault-Token': token } };
}

/** Servers started so far, which numbers their count files. */
let started = 0;

/**
 * Forks a server child under callgrind with instrumentation off, and
 * returns it with the prefix of its count files.
 */
async function startUnderCallgrind(name, script, args, workDir) {
  const outPrefix = join(workDir, `${name}-${++started}.callgrind`);
  const valgrindArgs = ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${outPrefix}`, process.execPath];
  const { child, address } = await startServerChild(name, script, args, {
    logFile: join(workDir, `${name}.log`),
    execPath: 'valgrind',
    execArgv: valgrindArgs,
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  return { name, child, address, outPrefix };
}

/** Sets up transit as bench/transit.mjs does, and returns the key and the limited token. */
async function prepareTransit(address, auditFile) {
  const { rootToken } = await prepareCoffer(address, { secrets: 1, concurrency: 1 });
  await callCoffer(address, 'POST', '/v1/sys/mounts/transit', { token: rootToken, body: JSON.stringify({ type: 'transit' }), expectedStatus: 204 });
  // Exportable, so that the runner can encrypt the decrypt scenario's plaintexts itself.
  await callCoffer(address, 'POST', '/v1/transit/keys/bench', { token: rootToken, body: '{"exportable":true}' });
  const exported = await callCoffer(address, 'GET', '/v1/transit/export/encryption-key/bench/1', { token: rootToken });
  const cofferKey = Buffer.from(JSON.parse(exported.body.toString('utf8')).data.keys['1'], 'base64');

  const policy = 'path "transit/encrypt/bench" {\n  capabilities = ["update"]\n}\npath "transit/decrypt/bench" {\n  capabilities = ["update"]\n}\n';
  await callCoffer(address, 'PUT', '/v1/sys/policies/acl/bench-transit', { token: rootToken, body: JSON.stringify({ policy }), expectedStatus: 204 });
  const created = await callCoffer(address, 'POST', '/v1/auth/token/create', { token: rootToken, body: JSON.stringify({ policies: ['bench-transit'], ttl: '2h' }) });
  const token = JSON.parse(created.body.toString('utf8')).auth.client_token;
  await enableFileAudit(address, rootToken, auditFile);
  return { cofferKey, token };
}

/**
 * Sends the warm-up, then counts the main thread's instructions over the
 * measured requests. Returns instructions per request.
 */
async function countScenario(options, server, operation, base) {
  const total = options.warmup + options.requests;
  const setupRequest = operation === 'encrypt' ? distinctEncryptBodies(base, 0) : decryptBodies(base, server.key, DECRYPT_FIRST_COUNTER, total);
  const request = { method: 'POST', path: `/v1/transit/${operation}/bench`, setupRequest };
  const send = async (amount) => {
    const result = await autocannon({ url: server.address, connections: options.connections, amount, timeout: REQUEST_TIMEOUT_SECONDS, headers: server.headers, requests: [request] });
    const failed = result.non2xx + result.errors + result.timeouts;
    if (failed > 0) throw new Error(`${server.name} ${operation}: ${failed} of ${amount} requests failed (${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts)`);
  };

  await send(options.warmup);
  const pid = String(server.child.process.pid);
  await run('callgrind_control', ['--instr=on', pid]);
  await send(options.requests);
  await run('callgrind_control', ['--instr=off', pid]);
  await run('callgrind_control', ['--dump', pid]);
  return (await mainThreadInstructions(server.outPrefix)) / options.requests;
}

/**
 * Reads the instruction total of the main thread (thread 1) from the first
 * dump. callgrind names that file `<prefix>.1-01`, and writes it before
 * `callgrind_control --dump` returns, or soon after.
 */
async function mainThreadInstructions(outPrefix) {
  const file = `${outPrefix}.1-01`;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const text = await readFile(file, 'utf8');
      const totals = /^totals:\s+(\d+)/m.exec(text);
      if (totals !== null) return Number(totals[1]);
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const present = (await readdir(dirname(outPrefix))).filter((name) => name.includes('callgrind')).join(', ');
  throw new Error(`callgrind wrote no totals to ${file} (files: ${present || 'none'})`);
}

function report(options, rows) {
  const header = ['scenario', 'baseline instructions/req', 'coffer instructions/req', 'ratio', `coffer at ${TARGET_RATIO}`];
  const lines = rows.map(({ title, baseline, coffer }) => [
    title,
    Math.round(baseline).toLocaleString('en-US'),
    Math.round(coffer).toLocaleString('en-US'),
    (baseline / coffer).toFixed(2),
    Math.round(baseline / TARGET_RATIO).toLocaleString('en-US'),
  ]);
  const widths = header.map((cell, column) => Math.max(cell.length, ...lines.map((line) => line[column].length)));
  const format = (cells) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ');

  console.log(`\n${format(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}`);
  for (const line of lines) console.log(format(line));
  console.log(
    `\nmain-thread instructions per request under valgrind's callgrind; ${options.warmup} warm-up and ${options.requests} measured requests over ${options.connections} connections; Node.js ${process.version}`,
  );
  console.log(`ratio: baseline instructions / coffer instructions; "coffer at ${TARGET_RATIO}" is the count at which Coffer would reach the target ratio of bench/transit.mjs if time followed instructions`);
  console.log('not counted: the kernel (socket and file writes, fsync) and other threads; valgrind hides the SHA extensions, so the audit HMACs count more than they cost on the hardware');
}

function step(message) {
  console.log(`bench: ${message}`);
}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: 'string', default: '4000' },
      warmup: { type: 'string', default: '6000' },
      connections: { type: 'string', default: '16' },
      'payload-bytes': { type: 'string', default: '64' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  return {
    requests: integer('--requests', values.requests, 1),
    warmup: integer('--warmup', values.warmup, 0),
    connections: integer('--connections', values.connections, 1),
    payloadBytes: integer('--payload-bytes', values['payload-bytes'], 1),
    help: values.help,
  };
}

function integer(flag, text, min) {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min) throw new Error(`invalid ${flag} "${text}": expected an integer of at least ${min}`);
  return value;
}
