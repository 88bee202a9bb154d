/**
 * Prints where a V8 CPU profile spent its time.
 *
 * Usage: node bench/profile-summary.mjs PROFILE [--from US --to US] [--top N]
 *
 * --from and --to limit the summary to the samples taken in a window, in
 * microseconds of the monotonic clock. `npm run bench -- --cpu-prof` stores
 * each scenario's window in bench/results/latest.json under
 * `raw.profile.windowsUs`.
 */
import { parseArgs } from 'node:util';
import { formatProfileSummary, summarizeProfile } from './lib/cpu-profile.mjs';

const USAGE = 'usage: node bench/profile-summary.mjs PROFILE [--from MICROSECONDS --to MICROSECONDS] [--top N]';

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { from: { type: 'string' }, to: { type: 'string' }, top: { type: 'string', default: '20' } },
  });
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}

const { positionals, values } = parsed;
const top = Number(values.top);
const hasWindow = values.from !== undefined || values.to !== undefined;
const windowUs = hasWindow ? [Number(values.from ?? 0), Number(values.to ?? Number.MAX_SAFE_INTEGER)] : undefined;
if (positionals.length !== 1 || !Number.isInteger(top) || top < 1 || (windowUs !== undefined && windowUs.some(Number.isNaN))) {
  console.error(USAGE);
  process.exit(2);
}

console.log(formatProfileSummary(summarizeProfile(positionals[0], { windowUs, top }), positionals[0]));
