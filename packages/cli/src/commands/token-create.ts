// `coffer token create`: issues a token through auth/token/create,
// create-orphan or create/<role>, with the flags of `vault token create`.
import type { Command } from '../command.js';
import { expectArguments, fieldFlag, formatFlag, httpFlags, reportApiError } from '../command.js';
import type { FlagSpec, ParsedFlags } from '../flags.js';
import { UsageError, formatGoDuration } from '../flags.js';
import { outputSecret, printField } from '../output.js';
import type { Secret } from '../secret.js';

const tokenTypes = ['service', 'batch'];

const createFlags: FlagSpec[] = [
  {
    name: 'id',
    kind: 'string',
    usage: 'Value of the new token, in place of a random one. Setting it needs root or sudo.',
  },
  {
    name: 'display-name',
    kind: 'string',
    usage: 'Name of the token, shown in lookups and in the audit log. It is not secret.',
  },
  {
    name: 'ttl',
    kind: 'duration',
    usage: 'Initial TTL of the token, such as 30m or 24h. A token can be renewed up to the max TTL.',
  },
  {
    name: 'explicit-max-ttl',
    kind: 'duration',
    usage: 'Hard limit on the lifetime of the token, renewals included, such as 720h.',
  },
  {
    name: 'period',
    kind: 'duration',
    usage: 'Make a periodic token: each renewal extends it by this duration, with no max TTL. Needs root or sudo without -role.',
  },
  {
    name: 'renewable',
    kind: 'bool',
    defaultText: 'true',
    usage: 'Allow the token to be renewed up to its max TTL. Use -renewable=false to turn renewal off.',
  },
  {
    name: 'orphan',
    kind: 'bool',
    usage: 'Create the token with no parent, so revoking the current token leaves it alive. Needs root or sudo.',
  },
  {
    name: 'no-default-policy',
    kind: 'bool',
    usage: 'Leave the "default" policy out of the policies of the token.',
  },
  {
    name: 'use-limit',
    kind: 'int',
    usage: 'Number of requests the token can make before it is revoked. The default, 0, is unlimited.',
  },
  {
    name: 'role',
    kind: 'string',
    usage: 'Create the token through this token role, which may override the other flags.',
  },
  {
    name: 'type',
    kind: 'string',
    defaultText: 'service',
    usage: 'Type of token to create: "service" or "batch". A role may allow only one of them.',
  },
  {
    name: 'policy',
    kind: 'list',
    usage: 'Policy to attach to the token. Repeat the flag, or separate names with commas, for several. Without it, the token gets the policies of the current token.',
  },
  {
    name: 'metadata',
    kind: 'map',
    usage: 'Metadata attached to the token and written to the audit log, as key=value. Repeat the flag for several keys.',
  },
];

/** Rejects a negative duration flag, which the server would reject with a less clear message. */
function checkNotNegative(flags: ParsedFlags, name: string): number | undefined {
  const seconds = flags.duration(name);
  if (seconds !== undefined && seconds < 0) {
    throw new UsageError(`invalid value "${formatGoDuration(seconds)}" for flag -${name}: the duration is negative; use 0 or more, such as -${name}=1h`);
  }
  return seconds;
}

/** Path and JSON body of the token create request that the flags ask for. */
export function tokenCreateRequest(flags: ParsedFlags): { path: string; body: Record<string, unknown> } {
  const type = flags.string('type');
  if (flags.has('type') && !tokenTypes.includes(type)) {
    throw new UsageError(`invalid value "${type}" for flag -type: use -type=service or -type=batch`);
  }
  const useLimit = flags.int('use-limit');
  if (useLimit !== undefined && useLimit < 0) {
    throw new UsageError(`invalid value "${useLimit}" for flag -use-limit: use 0 for unlimited uses or a positive number`);
  }

  const body: Record<string, unknown> = {};
  const policies = flags.list('policy');
  if (policies.length > 0) body.policies = policies;
  const metadata = flags.map('metadata');
  if (Object.keys(metadata).length > 0) body.meta = metadata;
  for (const [flag, field] of [['ttl', 'ttl'], ['explicit-max-ttl', 'explicit_max_ttl'], ['period', 'period']]) {
    const seconds = checkNotNegative(flags, flag);
    if (seconds !== undefined) body[field] = formatGoDuration(seconds);
  }
  if (flags.string('id') !== '') body.id = flags.string('id');
  if (flags.string('display-name') !== '') body.display_name = flags.string('display-name');
  if (useLimit !== undefined && useLimit > 0) body.num_uses = useLimit;
  if (flags.bool('orphan')) body.no_parent = true;
  if (flags.bool('no-default-policy')) body.no_default_policy = true;
  if (flags.has('type')) body.type = type;
  // Vault's CLI always sends renewable, and false for a batch token, which can never be renewed.
  body.renewable = type === 'batch' ? false : !flags.has('renewable') || flags.bool('renewable');

  const role = flags.string('role').trim();
  if (role !== '') return { path: `auth/token/create/${role}`, body };
  if (flags.bool('orphan')) return { path: 'auth/token/create-orphan', body };
  return { path: 'auth/token/create', body };
}

export const tokenCreateCommand: Command = {
  name: 'token create',
  synopsis: 'Create a new token',
  help: `
Usage: coffer token create [options]

  Creates a token, a child of the current token unless -orphan is set. The
  new token gets the policies of the current token unless -policy names a
  subset. A role, given with -role, may override the other flags.

      $ coffer token create -policy=my-policy -policy=other-policy
      $ coffer token create -period=30m
      $ coffer token create -ttl=1h -use-limit=2 -field=token`,
  flags: [...httpFlags, fieldFlag, formatFlag, ...createFlags],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 0);
    const { path, body } = tokenCreateRequest(flags);

    const api = await client();
    let secret: Secret | null;
    try {
      secret = await api.write(path, body, 'POST');
    } catch (error) {
      return reportApiError(ui, 'Error creating token', error);
    }
    if (secret === null) {
      ui.error(`Error creating token: the server returned no data from ${path}`);
      return 2;
    }

    if (flags.has('field')) return printField(ui, secret, flags.string('field'));
    outputSecret(ui, secret);
    return 0;
  },
};
