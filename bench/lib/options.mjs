/**
 * Command-line flags of `npm run bench` (`node bench/run.mjs`).
 */
import { parseArgs } from 'node:util';

export const USAGE = `usage: npm run bench -- [flags]

  --duration SECONDS    measured time of each scenario (default 10)
  --warmup SECONDS      unmeasured load before each scenario (default 2; 0 for none)
  --connections N       concurrent HTTP connections of the load generator (default 64)
  --secrets N           secrets written for the read scenario (default 1000)
  --audit-rounds N      rounds in which reads without and with the file audit device
                        alternate, each round measuring both for duration / N seconds
                        (default 3)
  --cpu-prof            profile the Coffer child with node --cpu-prof; writes the profile
                        to bench/results/profiles/ and prints where each scenario spent CPU
                        time (profiling slows Coffer, so its figures are not comparable)
  --help                print this text`;

/**
 * Parses and checks the flags.
 *
 * @returns {{ durationSeconds: number, warmupSeconds: number, connections: number, secrets: number, auditRounds: number, cpuProfile: boolean, help: boolean }}
 * @throws Error naming the flag and the value when a value is invalid
 */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '64' },
      secrets: { type: 'string', default: '1000' },
      'audit-rounds': { type: 'string', default: '3' },
      'cpu-prof': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });

  return {
    durationSeconds: number('--duration', values.duration, { min: 1, integer: false }),
    warmupSeconds: number('--warmup', values.warmup, { min: 0, integer: false }),
    connections: number('--connections', values.connections, { min: 1, integer: true }),
    secrets: number('--secrets', values.secrets, { min: 1, integer: true }),
    auditRounds: number('--audit-rounds', values['audit-rounds'], { min: 1, integer: true }),
    cpuProfile: values['cpu-prof'],
    help: values.help,
  };
}

function number(flag, text, { min, integer }) {
  const value = Number(text);
  const kind = integer ? 'an integer' : 'a number';
  if (text.trim() === '' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`invalid ${flag} "${text}": expected ${kind} of at least ${min}`);
  }
  return value;
}
