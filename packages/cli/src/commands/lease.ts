// `coffer lease lookup`, `renew` and `revoke`: the leases of secrets,
// through sys/leases. Token leases go through the `token` commands.
import type { Command } from '../command.js';
import { expectArguments, fieldFlag, formatFlag, httpFlags, reportApiError } from '../command.js';
import { UsageError, formatGoDuration } from '../flags.js';
import { outputSecret, printField, wrapAtLength } from '../output.js';
import type { Secret } from '../secret.js';

export const leaseLookupCommand: Command = {
  name: 'lease lookup',
  synopsis: 'Lookup the lease of a secret',
  help: `
Usage: coffer lease lookup [options] ID

  Prints the properties of a lease: its issue time, expiry time, last renewal,
  TTL and whether it can be renewed.

      $ coffer lease lookup database/creds/readonly/27e1b9a1`,
  flags: [...httpFlags, formatFlag],
  async run({ ui, args, client }) {
    expectArguments(args, 1);
    const leaseId = args[0].trim();

    const api = await client();
    let secret: Secret | null;
    try {
      secret = await api.write('sys/leases/lookup', { lease_id: leaseId });
    } catch (error) {
      return reportApiError(ui, `Error looking up lease ${leaseId}`, error);
    }
    if (secret === null) {
      ui.error(`Error looking up lease ${leaseId}: the server returned no data`);
      return 2;
    }
    outputSecret(ui, secret);
    return 0;
  },
};

export const leaseRenewCommand: Command = {
  name: 'lease renew',
  synopsis: 'Renews the lease of a secret',
  help: `
Usage: coffer lease renew [options] ID

  Extends the lease of a secret, so the secret stays valid for longer. The
  secret itself does not change. The secrets engine and the max TTL may grant
  less than the increment asked for.

      $ coffer lease renew database/creds/readonly/27e1b9a1
      $ coffer lease renew -increment=1h database/creds/readonly/27e1b9a1`,
  flags: [
    ...httpFlags,
    fieldFlag,
    formatFlag,
    {
      name: 'increment',
      kind: 'duration',
      usage: 'Extension to ask for, such as 30m or 24h. Without it, the secrets engine chooses.',
    },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1);
    const leaseId = args[0].trim();
    const increment = flags.duration('increment');
    if (increment !== undefined && increment < 0) {
      throw new UsageError(`invalid value "${formatGoDuration(increment)}" for flag -increment: the duration is negative; use a positive duration such as 1h`);
    }
    const body: Record<string, unknown> = { lease_id: leaseId };
    if (increment !== undefined) body.increment = increment;

    const api = await client();
    let secret: Secret | null;
    try {
      secret = await api.write('sys/leases/renew', body);
    } catch (error) {
      return reportApiError(ui, `Error renewing ${leaseId}`, error);
    }
    if (secret === null) {
      ui.error(`Error renewing ${leaseId}: the server returned no data`);
      return 2;
    }

    if (flags.has('field')) return printField(ui, secret, flags.string('field'));
    outputSecret(ui, secret);
    return 0;
  },
};

/** Path and body of a revoke request, as Vault's client builds them. */
function revokeRequest(leaseId: string, force: boolean, prefix: boolean, sync: boolean): { path: string; body: Record<string, unknown> } {
  if (force) return { path: `sys/leases/revoke-force/${leaseId}`, body: {} };
  if (prefix) return { path: `sys/leases/revoke-prefix/${leaseId}`, body: { sync } };
  return { path: 'sys/leases/revoke', body: { lease_id: leaseId, sync } };
}

function revokeErrorPrefix(leaseId: string, force: boolean, prefix: boolean): string {
  if (force) return `Error force revoking leases with prefix ${leaseId}`;
  if (prefix) return `Error revoking leases with prefix ${leaseId}`;
  return `Error revoking lease ${leaseId}`;
}

function revokeSuccess(leaseId: string, force: boolean, prefix: boolean, sync: boolean): string {
  if (force) return `Success! Force revoked any leases with prefix: ${leaseId}`;
  if (!sync) return 'All revocation operations queued successfully!';
  if (prefix) return `Success! Revoked any leases with prefix: ${leaseId}`;
  return `Success! Revoked lease: ${leaseId}`;
}

export const leaseRevokeCommand: Command = {
  name: 'lease revoke',
  synopsis: 'Revokes leases and secrets',
  help: `
Usage: coffer lease revoke [options] ID

  Revokes the lease of a secret, or with -prefix every lease whose ID starts
  with ID, and the secrets engine revokes the secrets. Without -sync, the
  server queues the revocations and returns at once.

      $ coffer lease revoke database/creds/readonly/27e1b9a1
      $ coffer lease revoke -prefix database/creds/readonly
      $ coffer lease revoke -sync -prefix database/creds/readonly`,
  flags: [
    ...httpFlags,
    {
      name: 'force',
      kind: 'bool',
      aliases: ['f'],
      usage: 'With -prefix, delete the leases even when the secrets engine fails to revoke their secrets, which then stay valid outside Coffer. For recovery only.',
    },
    { name: 'prefix', kind: 'bool', usage: 'Treat ID as a prefix and revoke every lease whose ID starts with it.' },
    { name: 'sync', kind: 'bool', usage: 'Wait until the revocation is done before returning, and fail when it fails.' },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 1);
    const force = flags.bool('force');
    const prefix = flags.bool('prefix');
    const sync = flags.bool('sync');
    if (force && !prefix) throw new UsageError('-force requires -prefix: add -prefix, so that ID is taken as a prefix');
    const leaseId = args[0].trim();
    const { path, body } = revokeRequest(leaseId, force, prefix, sync);

    if (force) ui.warn(wrapAtLength('Warning! Force-removing leases can cause Coffer to become out of sync with secret engines!'));
    const api = await client();
    try {
      await api.write(path, body);
    } catch (error) {
      return reportApiError(ui, revokeErrorPrefix(leaseId, force, prefix), error);
    }
    ui.output(revokeSuccess(leaseId, force, prefix, sync));
    return 0;
  },
};
