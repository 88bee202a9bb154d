// `coffer token lookup`, `renew`, `revoke` and `capabilities`.
import type { Command } from '../command.js';
import { expectArguments, fieldFlag, formatFlag, httpFlags, reportApiError } from '../command.js';
import type { FlagSpec } from '../flags.js';
import { UsageError, formatGoDuration } from '../flags.js';
import { structuredText, outputSecret, printField } from '../output.js';
import type { Secret } from '../secret.js';

function accessorFlag(action: string): FlagSpec {
  return { name: 'accessor', kind: 'bool', usage: `Treat the argument as the accessor of the token to ${action}, not the token itself.` };
}

/** Reads the optional TOKEN argument, which -accessor makes required. */
function tokenOrAccessor(args: string[], accessor: boolean, action: string): string {
  expectArguments(args, 0, 1);
  if (accessor && args.length === 0) {
    throw new UsageError(`Not enough arguments with -accessor (expected 1, got 0): pass the accessor to ${action}`);
  }
  return args[0]?.trim() ?? '';
}

export const tokenLookupCommand: Command = {
  name: 'token lookup',
  synopsis: 'Display information about a token',
  help: `
Usage: coffer token lookup [options] [TOKEN | ACCESSOR]

  Prints the properties of a token: its policies, TTL, creation time and
  metadata. Without an argument, it looks up the token the CLI is using.

      $ coffer token lookup
      $ coffer token lookup 96ddf4bc-d217-f3ba-f9bd-017055595017
      $ coffer token lookup -accessor 9793c9b3-e04a-46f3-e7b8-748d7da248da`,
  flags: [...httpFlags, formatFlag, accessorFlag('look up')],
  async run({ ui, args, flags, client }) {
    const accessor = flags.bool('accessor');
    const value = tokenOrAccessor(args, accessor, 'look up');

    const api = await client();
    let secret: Secret | null;
    try {
      if (value === '') secret = await api.read('auth/token/lookup-self');
      else if (accessor) secret = await api.write('auth/token/lookup-accessor', { accessor: value }, 'POST');
      else secret = await api.write('auth/token/lookup', { token: value }, 'POST');
    } catch (error) {
      return reportApiError(ui, 'Error looking up token', error);
    }
    if (secret === null) {
      ui.error('Error looking up token: the server returned no data');
      return 2;
    }
    outputSecret(ui, secret);
    return 0;
  },
};

export const tokenRenewCommand: Command = {
  name: 'token renew',
  synopsis: 'Renew a token lease',
  help: `
Usage: coffer token renew [options] [TOKEN | ACCESSOR]

  Extends the TTL of a token, up to its max TTL. Without an argument, it
  renews the token the CLI is using. A periodic token is renewed for its
  period. The server may grant less than the increment asked for.

      $ coffer token renew
      $ coffer token renew -increment=30m 96ddf4bc-d217-f3ba-f9bd-017055595017
      $ coffer token renew -accessor 9793c9b3-e04a-46f3-e7b8-748d7da248da`,
  flags: [
    ...httpFlags,
    fieldFlag,
    formatFlag,
    accessorFlag('renew'),
    {
      name: 'increment',
      kind: 'duration',
      aliases: ['i'],
      usage: 'Extension to ask for, such as 30m or 24h. Without it, the server renews for the TTL the token was created with.',
    },
  ],
  async run({ ui, args, flags, client }) {
    const accessor = flags.bool('accessor');
    const value = tokenOrAccessor(args, accessor, 'renew');
    const increment = flags.duration('increment');
    if (increment !== undefined && increment < 0) {
      throw new UsageError(`invalid value "${formatGoDuration(increment)}" for flag -increment: the duration is negative; use a positive duration such as 1h`);
    }
    const body: Record<string, unknown> = increment === undefined ? {} : { increment };

    const api = await client();
    let secret: Secret | null;
    try {
      if (value === '') secret = await api.write('auth/token/renew-self', body);
      else if (accessor) secret = await api.write('auth/token/renew-accessor', { ...body, accessor: value });
      else secret = await api.write('auth/token/renew', { ...body, token: value });
    } catch (error) {
      return reportApiError(ui, 'Error renewing token', error);
    }
    if (secret === null) {
      ui.error('Error renewing token: the server returned no data');
      return 2;
    }

    if (flags.has('field')) return printField(ui, secret, flags.string('field'));
    outputSecret(ui, secret);
    return 0;
  },
};

const revokeModes = ['', 'orphan', 'path'];

/** Checks the arguments and flags of `token revoke` in the order Vault's CLI does. */
function checkRevokeInput(args: string[], self: boolean, accessor: boolean, mode: string): void {
  if (!revokeModes.includes(mode)) {
    throw new UsageError(`invalid value "${mode}" for flag -mode: use -mode=orphan or -mode=path, or leave it out to revoke the token and its children`);
  }
  if (self && args.length > 0) {
    throw new UsageError(`Too many arguments with -self (expected 0, got ${args.length}): -self revokes the token the CLI is using`);
  }
  if (!self && args.length > 1) throw new UsageError(`Too many arguments (expected 1 or -self, got ${args.length})`);
  if (!self && args.length < 1) {
    throw new UsageError('Not enough arguments (expected 1 or -self, got 0): pass the token to revoke, or -self for the current token');
  }
  if (self && accessor) throw new UsageError('-self and -accessor cannot be used together: -self revokes the current token');
  if (self && mode !== '') throw new UsageError(`-self and -mode=${mode} cannot be used together: -self revokes the current token and its children`);
  if (accessor && mode !== '') throw new UsageError(`-accessor and -mode=${mode} cannot be used together: an accessor revokes one token and its children`);
}

export const tokenRevokeCommand: Command = {
  name: 'token revoke',
  synopsis: 'Revoke a token and its children',
  help: `
Usage: coffer token revoke [options] [TOKEN | ACCESSOR]

  Revokes a token and all its children, with every lease they created.
  -mode=orphan revokes only the token and leaves its children as orphans.
  -mode=path revokes every token created under the given path, such as
  auth/token/create.

      $ coffer token revoke 96ddf4bc-d217-f3ba-f9bd-017055595017
      $ coffer token revoke -self
      $ coffer token revoke -accessor 9793c9b3-e04a-46f3-e7b8-748d7da248da
      $ coffer token revoke -mode=path auth/token/create`,
  flags: [
    ...httpFlags,
    accessorFlag('revoke'),
    { name: 'self', kind: 'bool', usage: 'Revoke the token the CLI is using.' },
    {
      name: 'mode',
      kind: 'string',
      usage: 'What to revoke: "orphan" revokes the token but not its children, and "path" revokes every token created under the path given as the argument. Without it, the token and its children are revoked.',
    },
  ],
  async run({ ui, args, flags, client }) {
    const self = flags.bool('self');
    const accessor = flags.bool('accessor');
    const mode = flags.string('mode');
    checkRevokeInput(args, self, accessor, mode);
    const value = args[0]?.trim() ?? '';

    const api = await client();
    try {
      if (self) await api.write('auth/token/revoke-self', {});
      else if (accessor) await api.write('auth/token/revoke-accessor', { accessor: value });
      else if (mode === 'orphan') await api.write('auth/token/revoke-orphan', { token: value });
      else if (mode === 'path') await api.write(`sys/leases/revoke-prefix/${value}`, {});
      else await api.write('auth/token/revoke', { token: value });
    } catch (error) {
      return reportApiError(ui, 'Error revoking token', error);
    }
    ui.output('Success! Revoked token (if it existed)');
    return 0;
  },
};

export const tokenCapabilitiesCommand: Command = {
  name: 'token capabilities',
  synopsis: 'Print capabilities of a token on a path',
  help: `
Usage: coffer token capabilities [options] [TOKEN | ACCESSOR] PATH

  Prints the capabilities that the policies of a token grant on a path, such
  as "create, read". Without TOKEN, it reports on the token the CLI is using.
  "deny" means no access; "root" means every capability.

      $ coffer token capabilities secret/foo
      $ coffer token capabilities 96ddf4bc-d217-f3ba secret/foo
      $ coffer token capabilities -accessor 9793c9b3-e04a-46f3 secret/foo`,
  flags: [...httpFlags, formatFlag, accessorFlag('report on')],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1, 2);
    const accessor = flags.bool('accessor');
    if (accessor && args.length < 2) {
      throw new UsageError('Not enough arguments with -accessor (expected 2, got 1): pass the accessor, then the path');
    }
    const [token, path] = args.length === 2 ? [args[0].trim(), args[1]] : ['', args[0]];

    const api = await client();
    let secret: Secret | null;
    try {
      if (token === '') secret = await api.write('sys/capabilities-self', { paths: [path] }, 'POST');
      else if (accessor) secret = await api.write('sys/capabilities-accessor', { accessor: token, paths: [path] }, 'POST');
      else secret = await api.write('sys/capabilities', { token, paths: [path] }, 'POST');
    } catch (error) {
      return reportApiError(ui, 'Error listing capabilities', error);
    }

    // The server returns the capabilities under the path and, for one path, under "capabilities" too.
    const listed = secret?.data?.[path] ?? secret?.data?.capabilities;
    if (!Array.isArray(listed)) {
      ui.error(`No capabilities found: the server returned no capabilities for ${path}`);
      return 2;
    }
    const capabilities = listed.map(String);
    if (ui.format !== 'table') ui.output(structuredText(ui, capabilities));
    else ui.output([...capabilities].sort().join(', '));
    return 0;
  },
};
