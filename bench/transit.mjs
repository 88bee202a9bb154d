/**
 * Transit benchmark (`node bench/transit.mjs`): encrypt and decrypt requests
 * per second with 64-byte and 4 KiB payloads on Coffer's transit engine.
 * The baseline is a bare `node:http` server that does one AES-256-GCM
 * operation of the same payload per request, and the runner prints the
 * ratio of the two for each scenario. Targets: at least 0.6 x the baseline
 * and a p99 of at most 15 ms.
 *
 * Every request carries a different payload. Coffer's file audit device
 * caches the HMACs of short data values (up to 128 characters), so
 * repeating a 64-byte plaintext (88 base64 characters) would measure cache
 * hits that real transit traffic rarely gets. Each request writes a request
 * counter over the first 6 bytes of a random plaintext, and encrypt and
 * decrypt count in ranges that never meet. The runner encrypts the decrypt
 * requests' plaintexts in advance with the server's own key: Coffer's bench
 * key is exportable, and the runner gives the baseline its key. There are
 * enough of them that none repeats in a run. A pool of 10,000 that came
 * round again let the value cache keep up to 70% of its plaintexts. The
 * 4 KiB scenarios vary their payloads the same way, although their values
 * are too long for the cache.
 *
 * Both servers run in child processes on 127.0.0.1, started and measured
 * with the runner's own helpers in bench/lib. Each scenario's measured time
 * is split into rounds that alternate between the two servers, because one
 * scenario's ratio ranged from 0.34 to 0.46 in back-to-back runs on a 2-vCPU
 * machine. Every child and the temporary folder are removed at the end,
 * whether the run succeeds or fails.
 *
 * This file is also the baseline child: forked with `--baseline-child`, it
 * serves `POST /v1/transit/encrypt/bench` (with or without `batch_input`)
 * and `POST /v1/transit/decrypt/bench` with Vault's request and response
 * bodies.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { availableParallelism, cpus } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveChild } from './lib/child-protocol.mjs';
import { startServerChild } from './lib/children.mjs';
import { callCoffer, enableFileAudit, prepareCoffer } from './lib/coffer-setup.mjs';
import { formatProfileSummary, summarizeProfile } from './lib/cpu-profile.mjs';
import { measureLoad, mergeLoads } from './lib/load.mjs';
import { DECRYPT_FIRST_COUNTER, decryptBodies, decryptBodyLength, distinctEncryptBodies } from './lib/transit-bodies.mjs';
import { withWorkDir } from './lib/work-dir.mjs';
import { runCommand } from './lib/command.mjs';

const USAGE = `usage: node bench/transit.mjs [flags]

  --duration SECONDS    measured time of each scenario (default 10)
  --warmup SECONDS      unmeasured load before each scenario (default 2; 0 for none)
  --connections N       concurrent HTTP connections of the load generator (default 64)
  --rounds N            rounds per scenario, alternating between the baseline and
                        Coffer, that share the measured time (default 3)
  --without-audit       run Coffer with no audit device, to show what auditing
                        costs; such a run does not test the targets
  --cpu-prof            run the Coffer child under node --cpu-prof and print
                        where each Coffer scenario spent its time in its last round
  --help                print this text`;

/** Coffer must reach this share of the baseline's requests per second. */
const TARGET_RATIO = 0.6;
/** Coffer's 99th percentile latency must not exceed this, in milliseconds. */
const TARGET_P99_MS = 15;

const profilesDir = fileURLToPath(new URL('./results/profiles/', import.meta.url));

const PAYLOADS = [
  { label: '64 B', bytes: 64 },
  { label: '4 KiB', bytes: 4096 },
];

/**
 * Decrypt requests per second that each server's decrypt bodies cover
 * without repeating one (see decryptBodies), above what either server
 * reached on the machine in bench/README.md, and the memory they may take.
 */
const DECRYPT_RATE_BOUND = 40_000;
const DECRYPT_POOL_BYTES = 64 * 1024 * 1024;

if (process.argv[2] === '--baseline-child') {
  await serveBaseline(Buffer.from(process.argv[3], 'hex'));
} else {
  runCommand({ usage: USAGE, parseOptions, run: main });
}

async function main(options) {

  await withWorkDir('coffer-bench-transit-', async (workDir) => {
    const profilePath = options.cpuProfile ? await profileTarget() : undefined;
    const rows = await runScenarios(options, workDir, profilePath);
    report(options, rows);
    if (profilePath !== undefined) reportProfile(profilePath, rows);
  });
}

/**
 * Starts and prepares both servers, then measures each scenario on them in
 * turn, one at a time so that neither competes for the CPU. The scenario's
 * time is split into rounds that alternate between the two servers, so that
 * a slow spell of the machine weighs on both alike.
 */
async function runScenarios(options, workDir, profilePath) {
  const payloads = PAYLOADS.map(({ label, bytes }) => ({ label, base: randomBytes(bytes).toString('base64') }));
  const jsonHeaders = { 'Content-Type': 'application/json' };

  step('starting the baseline: bare node:http with one AES-256-GCM operation per request');
  const baselineKey = randomBytes(32);
  const baseline = await startServerChild('baseline', new URL(import.meta.url), ['--baseline-child', baselineKey.toString('hex')], { logFile: join(workDir, 'baseline.log') });

  step(`starting coffer (sqlite storage in ${workDir})`);
  const coffer = await startCoffer(workDir, profilePath);
  step('initializing, unsealing, mounting transit and creating the aes256-gcm96 key "bench"');
  const { rootToken } = await prepareCoffer(coffer.address, { secrets: 1, concurrency: 1 });
  await callCoffer(coffer.address, 'POST', '/v1/sys/mounts/transit', { token: rootToken, body: JSON.stringify({ type: 'transit' }), expectedStatus: 204 });
  // Exportable, so that the runner can encrypt the decrypt scenarios' plaintexts itself.
  await callCoffer(coffer.address, 'POST', '/v1/transit/keys/bench', { token: rootToken, body: '{"exportable":true}' });
  const exported = await callCoffer(coffer.address, 'GET', '/v1/transit/export/encryption-key/bench/1', { token: rootToken });
  const cofferKey = Buffer.from(JSON.parse(exported.body.toString('utf8')).data.keys['1'], 'base64');

  // As in production: a token whose policy grants only this key's
  // operations, and every request recorded by a file audit device.
  step('creating a token limited to transit/encrypt/bench and transit/decrypt/bench');
  const policy = 'path "transit/encrypt/bench" {\n  capabilities = ["update"]\n}\npath "transit/decrypt/bench" {\n  capabilities = ["update"]\n}\n';
  await callCoffer(coffer.address, 'PUT', '/v1/sys/policies/acl/bench-transit', { token: rootToken, body: JSON.stringify({ policy }), expectedStatus: 204 });
  const created = await callCoffer(coffer.address, 'POST', '/v1/auth/token/create', { token: rootToken, body: JSON.stringify({ policies: ['bench-transit'], ttl: '2h' }) });
  const benchToken = JSON.parse(created.body.toString('utf8')).auth.client_token;

  if (options.withoutAudit) {
    step('leaving audit devices off (--without-audit)');
  } else {
    step('enabling a file audit device');
    await enableFileAudit(coffer.address, rootToken, join(workDir, 'audit', 'audit.log'));
  }

  const servers = {
    baseline: { name: 'baseline', address: baseline.address, child: baseline.child, headers: jsonHeaders },
    coffer: { name: 'coffer', address: coffer.address, child: coffer.child, headers: { ...jsonHeaders, 'X-Vault-Token': benchToken } },
  };
  const rows = [];
  for (const payload of payloads) {
    // Each server gets its own scenarios, whose counters run on over the rounds, so both see the same plaintexts.
    const baselineScenarios = scenariosFor(payload, baselineKey, options);
    const cofferScenarios = scenariosFor(payload, cofferKey, options);
    for (const [index, baselineScenario] of baselineScenarios.entries()) {
      const measured = await measureInRounds(options, [
        { server: servers.baseline, scenario: baselineScenario },
        { server: servers.coffer, scenario: cofferScenarios[index] },
      ]);
      rows.push({ title: baselineScenario.title, baseline: measured[0], coffer: measured[1] });
    }
  }
  await baseline.child.stop();
  await coffer.child.stop();
  return rows;
}

/**
 * Measures one scenario on each of `runs` in `options.rounds` rounds of
 * `durationSeconds / rounds` each, which swap the order of the servers
 * every round. Only the first round of each server starts with the
 * warm-up. Returns each run's merged figures, in the order of `runs`.
 */
async function measureInRounds(options, runs) {
  const roundSeconds = options.durationSeconds / options.rounds;
  const parts = runs.map(() => []);
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? runs.keys() : [...runs.keys()].reverse();
    for (const index of order) {
      const { server, scenario } = runs[index];
      step(`${server.name}: ${scenario.title} (round ${round} of ${options.rounds})`);
      parts[index].push(
        await measureLoad({
          url: server.address,
          server: server.child,
          headers: server.headers,
          requests: [scenario.request],
          connections: options.connections,
          warmupSeconds: round === 1 ? options.warmupSeconds : 0,
          durationSeconds: roundSeconds,
        }),
      );
    }
  }
  return parts.map((runParts) => mergeLoads(runParts));
}

/**
 * Returns the encrypt and decrypt scenarios of one payload, with `key` as
 * the server's AES-256-GCM key. Each call starts new counters, so the
 * baseline and Coffer get the same sequence of plaintexts. Making the
 * 64-byte decrypt bodies took about 2 s per server in a timed loop.
 */
function scenariosFor(payload, key, options) {
  const seconds = options.warmupSeconds + options.durationSeconds;
  return [
    {
      title: `encrypt ${payload.label}`,
      request: { method: 'POST', path: '/v1/transit/encrypt/bench', setupRequest: distinctEncryptBodies(payload.base, 0) },
    },
    {
      title: `decrypt ${payload.label}`,
      request: { method: 'POST', path: '/v1/transit/decrypt/bench', setupRequest: decryptBodies(payload.base, key, DECRYPT_FIRST_COUNTER, decryptBodyCount(payload.base, seconds)) },
    },
  ];
}

/**
 * Returns how many decrypt bodies of `base` to make: enough for
 * DECRYPT_RATE_BOUND requests per second over `seconds`, within
 * DECRYPT_POOL_BYTES. Only a run past that bound sends a body again, and the
 * 4 KiB ones, whose values are too long for the audit cache, reach the byte
 * limit first.
 */
function decryptBodyCount(base, seconds) {
  return Math.min(Math.ceil(DECRYPT_RATE_BOUND * seconds), Math.floor(DECRYPT_POOL_BYTES / decryptBodyLength(base)));
}

/**
 * Writes Coffer's config to `workDir` and starts Coffer from it, as
 * bench/run.mjs does. With `profilePath`, V8 writes the child's CPU profile
 * there when the child exits.
 */
async function startCoffer(workDir, profilePath) {
  const configFile = join(workDir, 'coffer.hcl');
  const config = `storage "sqlite" {
  path = ${JSON.stringify(join(workDir, 'coffer', 'coffer.db'))}
}

listener "tcp" {
  address     = "127.0.0.1:0"
  tls_disable = true
}
`;
  await writeFile(configFile, config);
  const execArgv = profilePath === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dirname(profilePath)}`, `--cpu-prof-name=${basename(profilePath)}`];
  return startServerChild('coffer', new URL('./children/coffer-server.mjs', import.meta.url), [configFile], { logFile: join(workDir, 'coffer.log'), execArgv });
}

async function profileTarget() {
  await mkdir(profilesDir, { recursive: true });
  return join(profilesDir, `coffer-transit-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
}

/** Prints the profile's summary for each Coffer scenario's measured window. */
function reportProfile(profilePath, rows) {
  console.log(`\nCPU profile of the coffer child: ${profilePath}\nNOTE: profiling slows coffer; the figures of this run are not comparable with unprofiled runs.`);
  for (const { title, coffer } of rows) {
    const summary = summarizeProfile(profilePath, { windowUs: coffer.windowUs });
    console.log(`\n${formatProfileSummary(summary, `coffer ${title} (window ${coffer.windowUs[0]}-${coffer.windowUs[1]} us)`)}`);
  }
}

function formatFixed(value, digits) {
  return value === null || value === undefined ? '-' : value.toFixed(digits);
}

function report(options, rows) {
  const header = ['scenario', 'coffer req/s', 'baseline req/s', 'ratio', 'coffer p50 ms', 'coffer p99 ms', 'baseline p99 ms', 'non-2xx', 'coffer main us/req', 'baseline us/req', 'other cpu', 'meets target'];
  const lines = rows.map(({ title, coffer, baseline }) => {
    const ratio = coffer.requestsPerSecond / baseline.requestsPerSecond;
    const non2xx = coffer.non2xx + coffer.errors + coffer.timeouts;
    const meets = ratio >= TARGET_RATIO && coffer.p99Ms !== null && coffer.p99Ms <= TARGET_P99_MS && non2xx === 0;
    // A run without the audit device is not the configuration the targets are for.
    let verdict = meets ? 'yes' : 'no';
    if (options.withoutAudit) verdict = 'n/a';
    return [
      title,
      coffer.requestsPerSecond.toFixed(0),
      baseline.requestsPerSecond.toFixed(0),
      ratio.toFixed(2),
      formatMs(coffer.p50Ms),
      formatMs(coffer.p99Ms),
      formatMs(baseline.p99Ms),
      String(non2xx),
      formatFixed(coffer.mainThreadUsPerRequest, 1),
      formatFixed(baseline.mainThreadUsPerRequest, 1),
      formatFixed(coffer.otherCpuCores, 2),
      verdict,
    ];
  });
  const widths = header.map((cell, column) => Math.max(cell.length, ...lines.map((line) => line[column].length)));
  const format = (cells) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ');

  console.log(`\n${format(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}`);
  for (const line of lines) console.log(format(line));
  console.log(
    `\ntarget: at least ${TARGET_RATIO} x baseline requests per second and p99 at most ${TARGET_P99_MS} ms, with no failed request; ` +
      `${options.connections} connections, ${options.warmupSeconds} s warm-up, ${options.durationSeconds} s measured per scenario and server in ${options.rounds} alternating rounds; ` +
      `${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node.js ${process.version}`,
  );
  if (options.withoutAudit) console.log('audit: none (--without-audit), so this run does not test the targets, which need a file audit device');
  console.log('baseline: the decrypt scenarios decrypt (one AES-256-GCM decryption per request) rather than encrypt, so each pair does the same cryptographic work');
  console.log("main us/req: CPU time of the server's main thread per response; other cpu: the rest of the machine during Coffer's run, where a high value means other work disturbed it");
}

function formatMs(value) {
  return value === null ? '-' : value.toFixed(2);
}

function step(message) {
  console.log(`bench: ${message}`);
}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '64' },
      rounds: { type: 'string', default: '3' },
      'cpu-prof': { type: 'boolean', default: false },
      'without-audit': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  return {
    durationSeconds: number('--duration', values.duration, 1, false),
    warmupSeconds: number('--warmup', values.warmup, 0, false),
    connections: number('--connections', values.connections, 1, true),
    rounds: number('--rounds', values.rounds, 1, true),
    cpuProfile: values['cpu-prof'],
    withoutAudit: values['without-audit'],
    help: values.help,
  };
}

function number(flag, text, min, integer) {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`invalid ${flag} "${text}": expected ${integer ? 'an integer' : 'a number'} of at least ${min}`);
  }
  return value;
}

/**
 * Serves the baseline: parses each JSON request, does one AES-256-GCM
 * encryption or decryption in Vault's ciphertext layout (12-byte nonce,
 * ciphertext, 16-byte tag) and sends a JSON body with the result. Encrypt
 * also takes Vault's `batch_input`, which only the set-up sends.
 */
/** Serves the baseline with `key`, which the runner also encrypts the decrypt scenarios' plaintexts with. */
async function serveBaseline(key) {
  const encrypt = (plaintext) => {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    const sealed = Buffer.concat([nonce, cipher.update(Buffer.from(plaintext, 'base64')), cipher.final(), cipher.getAuthTag()]);
    return { ciphertext: `vault:v1:${sealed.toString('base64')}`, key_version: 1 };
  };
  const handlers = {
    '/v1/transit/encrypt/bench': ({ plaintext, batch_input: batchInput }) => {
      if (batchInput === undefined) return encrypt(plaintext);
      return { batch_results: batchInput.map((item) => encrypt(item.plaintext)) };
    },
    '/v1/transit/decrypt/bench': ({ ciphertext }) => {
      const sealed = Buffer.from(ciphertext.slice('vault:v1:'.length), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      const plaintext = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
      return { plaintext: plaintext.toString('base64') };
    },
  };

  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const handler = handlers[request.url];
      let status = 200;
      let body;
      try {
        if (handler === undefined) throw new Error(`no handler for ${request.url}`);
        body = JSON.stringify({ data: handler(JSON.parse(Buffer.concat(chunks).toString('utf8'))) });
      } catch (err) {
        status = 400;
        body = JSON.stringify({ errors: [err.message] });
      }
      response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  // The same keep-alive timeout as Coffer's listener.
  server.keepAliveTimeout = 65_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  serveChild({ address: `http://127.0.0.1:${server.address().port}` }, () => {
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
}
