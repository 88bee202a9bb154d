// `coffer operator rekey`: replaces the unseal key shares, or with
// -target=recovery the recovery key shares, authorized by a threshold of the
// current shares.
import type { CofferClient } from '../client.js';
import type { Command, CommandContext } from '../command.js';
import { expectArguments, formatFlag, httpFlags, reportApiError } from '../command.js';
import { UsageError } from '../flags.js';
import { readKeyShare } from './key-share-input.js';
import type { UI } from '../io.js';
import { structuredText, table, wrapAtLength } from '../output.js';
import { keyShareFlags, keyShareSettings } from './operator.js';

/** Body of `sys/rekey/init` (GET and PUT). */
interface RekeyStatus {
  nonce: string;
  started: boolean;
  t: number;
  n: number;
  progress: number;
  required: number;
  verification_required?: boolean;
  verification_nonce?: string;
  [extra: string]: unknown;
}

/** Body of `sys/rekey/update`. */
interface RekeyUpdate {
  nonce: string;
  complete: boolean;
  keys?: string[];
  keys_base64?: string[];
  verification_required?: boolean;
  verification_nonce?: string;
  [extra: string]: unknown;
}

/** Body of `sys/rekey-recovery-key/verify` (GET and PUT). */
interface VerificationStatus {
  nonce: string;
  started?: boolean;
  t?: number;
  n?: number;
  progress?: number;
  complete?: boolean;
}

/** The keys a rekey replaces: the API path below `sys/` and the name used in messages. */
interface RekeyTarget {
  path: 'sys/rekey' | 'sys/rekey-recovery-key';
  keyName: 'unseal' | 'recovery';
  /** The -target value that selects these keys. */
  flag: 'barrier' | 'recovery';
}

function rekeyTarget(target: string): RekeyTarget {
  const normalized = target.trim().toLowerCase();
  if (normalized === '' || normalized === 'barrier') return { path: 'sys/rekey', keyName: 'unseal', flag: 'barrier' };
  if (normalized === 'recovery') return { path: 'sys/rekey-recovery-key', keyName: 'recovery', flag: 'recovery' };
  throw new UsageError(`invalid value "${target}" for flag -target: use "barrier" for unseal keys or "recovery" for recovery keys`);
}

function printRekeyStatus(ui: UI, status: RekeyStatus): number {
  if (ui.format !== 'table') {
    ui.output(structuredText(ui, status));
    return 0;
  }
  const rows: string[][] = [
    ['Nonce', status.nonce],
    ['Started', String(status.started)],
  ];
  if (status.started) {
    const progress = `${status.progress}/${status.required}`;
    rows.push(['Rekey Progress', status.progress === status.required ? `${progress} (verification in progress)` : progress]);
    rows.push(['New Shares', String(status.n)]);
    rows.push(['New Threshold', String(status.t)]);
    rows.push(['Verification Required', String(status.verification_required ?? false)]);
    if (status.verification_nonce) rows.push(['Verification Nonce', status.verification_nonce]);
  }
  ui.output(table(['Key', 'Value'], rows));
  return 0;
}

async function readRekeyStatus(ui: UI, api: CofferClient, target: RekeyTarget): Promise<RekeyStatus | number> {
  try {
    return (await api.request('GET', `${target.path}/init`)).body as RekeyStatus;
  } catch (error) {
    return reportApiError(ui, 'Error reading rekey status', error);
  }
}

async function startRekey({ ui, flags }: CommandContext, api: CofferClient, target: RekeyTarget): Promise<number> {
  const { shares, threshold } = keyShareSettings(flags);
  let status: RekeyStatus;
  try {
    const body = { secret_shares: shares, secret_threshold: threshold, ...(flags.bool('verify') ? { require_verification: true } : {}) };
    status = (await api.request('PUT', `${target.path}/init`, { body })).body as RekeyStatus;
  } catch (error) {
    return reportApiError(ui, 'Error initializing rekey', error);
  }
  if (ui.format === 'table') {
    ui.warn(
      wrapAtLength(
        `WARNING! The new ${target.keyName} keys are printed once, when the last current key share is ` +
          'submitted, and cannot be recovered if they are lost. Store each one securely as soon as it is printed.',
      ),
    );
    ui.output('');
  }
  return printRekeyStatus(ui, status);
}

async function cancelRekey(ui: UI, api: CofferClient, target: RekeyTarget): Promise<number> {
  try {
    await api.request('DELETE', `${target.path}/init`);
  } catch (error) {
    return reportApiError(ui, 'Error canceling rekey', error);
  }
  ui.output('Success! Canceled rekeying (if it was started)');
  return 0;
}

function printNewKeys(ui: UI, status: RekeyStatus, update: RekeyUpdate, target: RekeyTarget): number {
  if (ui.format !== 'table') {
    ui.output(structuredText(ui, update));
    return 0;
  }
  const hex = update.keys ?? [];
  const keys = update.keys_base64?.length === hex.length ? update.keys_base64 : hex;
  ui.output('');
  keys.forEach((key, index) => ui.output(`Key ${index + 1}: ${key}`));
  ui.output('');
  ui.output(`Operation nonce: ${update.nonce}`);
  ui.output('');
  if (update.verification_required === true) {
    ui.output(
      wrapAtLength(
        `The current ${target.keyName} keys stay valid until at least ${status.t} of the new keys printed above are ` +
          `submitted with "coffer operator rekey -target=${target.flag} -verify" ` +
          `and the verification nonce ${update.verification_nonce ?? ''}.`,
      ),
    );
    return 0;
  }
  const use =
    target.keyName === 'unseal'
      ? `Whenever Coffer is sealed, restarted or stopped, at least ${status.t} of these keys must be supplied to unseal it.`
      : `At least ${status.t} of these keys authorize root token generation and unseal after a manual seal.`;
  ui.output(
    wrapAtLength(
      `Coffer ${target.keyName} keys rekeyed with ${status.n} key shares and a key threshold of ${status.t}. ` +
        `Distribute the key shares printed above to their holders securely. ${use}`,
    ),
  );
  return 0;
}

/** Submits one of the new shares to the verification of a rekey that requires it. */
async function provideVerificationKey(context: CommandContext, api: CofferClient, target: RekeyTarget): Promise<number> {
  const { ui } = context;
  let status: VerificationStatus;
  try {
    status = (await api.request('GET', `${target.path}/verify`)).body as VerificationStatus;
  } catch (error) {
    return reportApiError(ui, 'Error reading rekey verification status', error);
  }
  if (status.started !== true) {
    ui.error('No rekey verification is in progress. Start a rekey with "coffer operator rekey -init -verify".');
    return 1;
  }

  const { key, nonce } = await readKeyShare(context, 'Rekey verification nonce', status.nonce);
  if (nonce === '') {
    throw new UsageError(`Missing nonce value: pass -nonce=${status.nonce} (the verification nonce) with the key`);
  }
  let update: VerificationStatus;
  try {
    update = (await api.request('PUT', `${target.path}/verify`, { body: { key, nonce } })).body as VerificationStatus;
  } catch (error) {
    return reportApiError(ui, 'Error posting verification key', error);
  }
  if (ui.format !== 'table') {
    ui.output(structuredText(ui, update));
    return 0;
  }
  if (update.complete === true) {
    ui.output(`Success! Rekey verification complete: the new ${target.keyName} keys replaced the old ones.`);
    return 0;
  }
  ui.output(table(['Key', 'Value'], [
    ['Verification Nonce', update.nonce],
    ['Verification Progress', `${update.progress ?? 0}/${update.t ?? 0}`],
  ]));
  return 0;
}

async function provideKey(context: CommandContext, api: CofferClient, target: RekeyTarget): Promise<number> {
  const { ui } = context;
  const status = await readRekeyStatus(ui, api, target);
  if (typeof status === 'number') return status;
  if (!status.started) {
    ui.error('No rekey is in progress. Start one with "coffer operator rekey -init".');
    return 1;
  }

  const { key, nonce } = await readKeyShare(context, 'Rekey operation nonce', status.nonce);
  if (nonce === '') {
    throw new UsageError(`Missing nonce value: pass -nonce=${status.nonce} (the nonce of the rekey in progress) with the key`);
  }

  let update: RekeyUpdate;
  try {
    update = (await api.request('PUT', `${target.path}/update`, { body: { key, nonce } })).body as RekeyUpdate;
  } catch (error) {
    return reportApiError(ui, 'Error posting unseal key', error);
  }
  if (!update.complete) {
    const next = await readRekeyStatus(ui, api, target);
    return typeof next === 'number' ? next : printRekeyStatus(ui, next);
  }
  return printNewKeys(ui, status, update, target);
}

export const operatorRekeyCommand: Command = {
  name: 'operator rekey',
  synopsis: 'Generate new unseal or recovery keys',
  help: `
Usage: coffer operator rekey [options] [KEY]

  Generates a new set of unseal key shares, optionally with a new number of
  shares or a new threshold. The server stays unsealed; a threshold of the
  current key shares must be submitted to finish. KEY is one current share;
  "-" reads it from stdin, and without KEY the command prompts on the terminal.

  Start a rekey:

      $ coffer operator rekey -init -key-shares=5 -key-threshold=3

  Submit a current key share, with the nonce that -init printed:

      $ coffer operator rekey -nonce=NONCE KEY

  Rekey the recovery keys of a server with an auto-unseal seal, and keep
  the current ones until a threshold of the new keys is verified:

      $ coffer operator rekey -target=recovery -init -verify \\
          -key-shares=5 -key-threshold=3
      $ coffer operator rekey -target=recovery -verify -nonce=NONCE NEW_KEY`,
  flags: [
    ...httpFlags,
    formatFlag,
    ...keyShareFlags,
    { name: 'init', kind: 'bool', usage: 'Start a rekey. Only one rekey can be in progress at a time.' },
    { name: 'cancel', kind: 'bool', usage: 'Cancel the rekey in progress and discard the key shares submitted to it.' },
    { name: 'status', kind: 'bool', usage: 'Print the status of the rekey in progress without submitting a key share.' },
    {
      name: 'nonce',
      kind: 'string',
      usage: 'Nonce of the rekey in progress, printed by -init. It must be given with each key share passed as an argument.',
    },
    {
      name: 'target',
      kind: 'string',
      defaultText: 'barrier',
      usage: 'Keys to rekey: "barrier" for the unseal keys, or "recovery" for the recovery keys of an auto-unseal seal.',
    },
    {
      name: 'verify',
      kind: 'bool',
      usage:
        'With -init, require verification: the new keys take effect only after a threshold of them is submitted back. ' +
        'Without -init, submit one of the new keys to that verification.',
    },
  ],
  async run(context) {
    const { ui, args, flags, client } = context;
    expectArguments(args, 0, 1);
    const target = rekeyTarget(flags.string('target'));
    const api = await client();

    if (flags.bool('cancel')) return cancelRekey(ui, api, target);
    if (flags.bool('init')) return startRekey(context, api, target);
    if (flags.bool('status')) {
      const status = await readRekeyStatus(ui, api, target);
      return typeof status === 'number' ? status : printRekeyStatus(ui, status);
    }
    if (flags.bool('verify')) return provideVerificationKey(context, api, target);
    return provideKey(context, api, target);
  },
};
