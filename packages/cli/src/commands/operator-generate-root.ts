// `coffer operator generate-root`: creates a new root token, authorized by a
// threshold of unseal key shares (recovery key shares with an auto-unseal
// seal) instead of a token.
import { randomBytes } from 'node:crypto';
import type { CofferClient } from '../client.js';
import type { Command, CommandContext } from '../command.js';
import { expectArguments, formatFlag, httpFlags, reportApiError } from '../command.js';
import { UsageError, readAllText } from '../flags.js';
import { readKeyShare } from './key-share-input.js';
import type { UI } from '../io.js';
import { structuredText, table, wrapAtLength } from '../output.js';

/** Body of `sys/generate-root/attempt` (GET and PUT) and `sys/generate-root/update`. */
interface GenerateRootStatus {
  started: boolean;
  nonce: string;
  progress: number;
  required: number;
  complete: boolean;
  encoded_token?: string;
  encoded_root_token?: string;
  pgp_fingerprint?: string;
  otp?: string;
  otp_length?: number;
  [extra: string]: unknown;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Makes a random base62 string; bytes of 248 and above are redrawn so every character is equally likely. */
function randomBase62(length: number): string {
  let text = '';
  while (text.length < length) {
    for (const byte of randomBytes(length)) {
      if (byte < 248 && text.length < length) text += BASE62[byte % 62];
    }
  }
  return text;
}

/**
 * Reverses the server's encoding: the encoded token is unpadded base64 of
 * the token's characters XORed with the OTP's.
 */
function decodeRootToken(encoded: string, otp: string): string {
  const encodedBytes = Buffer.from(encoded, 'base64');
  const otpBytes = Buffer.from(otp, 'utf8');
  if (encodedBytes.length === 0 || encodedBytes.length !== otpBytes.length) {
    throw new UsageError(
      `Error decoding root token: the encoded token is ${encodedBytes.length} bytes but the OTP is ${otpBytes.length}; ` +
        'pass the -otp value that the generation was started with',
    );
  }
  const token = Buffer.alloc(encodedBytes.length);
  for (let i = 0; i < token.length; i++) token[i] = encodedBytes[i] ^ otpBytes[i];
  return token.toString('utf8');
}

function printStatus(ui: UI, status: GenerateRootStatus): number {
  if (ui.format !== 'table') {
    ui.output(structuredText(ui, status));
    return 0;
  }
  const rows: string[][] = [
    ['Nonce', status.nonce],
    ['Started', String(status.started)],
    ['Progress', `${status.progress}/${status.required}`],
    ['Complete', String(status.complete)],
  ];
  if (status.otp) rows.push(['OTP', status.otp]);
  if (status.otp_length !== undefined) rows.push(['OTP Length', String(status.otp_length)]);
  const encoded = status.encoded_root_token || status.encoded_token;
  if (encoded) rows.push(['Encoded Token', encoded]);
  ui.output(table(['Key', 'Value'], rows));
  return 0;
}

async function readStatus(ui: UI, api: CofferClient): Promise<GenerateRootStatus | number> {
  try {
    return (await api.request('GET', 'sys/generate-root/attempt')).body as GenerateRootStatus;
  } catch (error) {
    return reportApiError(ui, 'Error getting root generation status', error);
  }
}

async function generateOtp(ui: UI, api: CofferClient): Promise<number> {
  const status = await readStatus(ui, api);
  if (typeof status === 'number') return status;
  ui.output(randomBase62(status.otp_length ?? 28));
  return 0;
}

async function decode({ io, ui, flags }: CommandContext): Promise<number> {
  const otp = flags.string('otp');
  if (otp === '') throw new UsageError('Missing -otp: decoding needs the OTP that the root token generation was started with');
  let encoded = flags.string('decode');
  if (encoded === '-') encoded = (await readAllText(io.stdin)).trim();
  if (encoded === '') throw new UsageError('Missing encoded token: pass it as -decode=TOKEN, or -decode=- to read it from stdin');

  const token = decodeRootToken(encoded, otp);
  if (ui.format !== 'table') ui.output(structuredText(ui, { token }));
  else ui.output(token);
  return 0;
}

async function start({ ui, flags }: CommandContext, api: CofferClient): Promise<number> {
  const otp = flags.string('otp');
  let status: GenerateRootStatus;
  try {
    status = (await api.request('PUT', 'sys/generate-root/attempt', { body: otp === '' ? {} : { otp } })).body as GenerateRootStatus;
  } catch (error) {
    return reportApiError(ui, 'Error initializing root generation', error);
  }
  if (status.otp && ui.format === 'table') {
    ui.warn(
      wrapAtLength(
        'The server generated the one-time password shown as OTP below. Keep it: decoding the new ' +
          'root token needs it, and the server does not show it again.',
      ),
    );
    ui.warn('');
  }
  return printStatus(ui, status);
}

async function cancel(ui: UI, api: CofferClient): Promise<number> {
  try {
    await api.request('DELETE', 'sys/generate-root/attempt');
  } catch (error) {
    return reportApiError(ui, 'Error canceling root token generation', error);
  }
  ui.output('Success! Canceled the root token generation (if one was started)');
  return 0;
}

async function provideKey(context: CommandContext, api: CofferClient): Promise<number> {
  const { ui } = context;
  const status = await readStatus(ui, api);
  if (typeof status === 'number') return status;
  if (!status.started) {
    ui.error('No root generation is in progress. Start one with "coffer operator generate-root -init".');
    return 1;
  }

  const { key, nonce } = await readKeyShare(context, 'Operation nonce', status.nonce);
  if (nonce === '') {
    throw new UsageError(`Missing nonce value: pass -nonce=${status.nonce} (the nonce of the root generation in progress) with the key`);
  }

  let update: GenerateRootStatus;
  try {
    update = (await api.request('PUT', 'sys/generate-root/update', { body: { key, nonce } })).body as GenerateRootStatus;
  } catch (error) {
    return reportApiError(ui, 'Error posting unseal key', error);
  }
  return printStatus(ui, update);
}

function checkUnsupportedFlags(context: CommandContext): void {
  const { flags } = context;
  if (flags.string('pgp-key') !== '') {
    throw new UsageError('invalid flag -pgp-key: PGP encryption of the root token is not supported; use -otp, or let -init generate one');
  }
  for (const name of ['dr-token', 'recovery-token']) {
    if (flags.bool(name)) throw new UsageError(`invalid flag -${name}: Coffer generates root tokens only`);
  }
}

export const operatorGenerateRootCommand: Command = {
  name: 'operator generate-root',
  synopsis: 'Generates a new root token',
  help: `
Usage: coffer operator generate-root [options] [KEY]

  Generates a new root token from a threshold of unseal key shares, or of
  recovery key shares when the server uses an auto-unseal seal. The token is
  returned XORed with a one-time password (OTP); -decode turns it back into
  the token. KEY is one share; "-" reads it from stdin, and without KEY the
  command prompts on the terminal.

  Start a root token generation; the server prints a generated OTP:

      $ coffer operator generate-root -init

  Submit a key share, with the nonce that -init printed:

      $ coffer operator generate-root -nonce=NONCE KEY

  Decode the encoded token printed after the last share:

      $ coffer operator generate-root -decode=ENCODED -otp=OTP`,
  flags: [
    ...httpFlags,
    formatFlag,
    { name: 'init', kind: 'bool', usage: 'Start a root token generation. Only one can be in progress at a time.' },
    { name: 'cancel', kind: 'bool', usage: 'Cancel the root token generation in progress and discard the key shares submitted to it.' },
    { name: 'status', kind: 'bool', usage: 'Print the status of the root token generation in progress without submitting a key share.' },
    {
      name: 'decode',
      kind: 'string',
      usage: 'Encoded root token to decode with -otp; "-" reads it from stdin. Needs no server.',
    },
    {
      name: 'generate-otp',
      kind: 'bool',
      usage: 'Print a random OTP of the length the server expects, to pass to -init with -otp.',
    },
    { name: 'otp', kind: 'string', usage: 'OTP to start the generation with (-init), or to decode the token with (-decode).' },
    {
      name: 'nonce',
      kind: 'string',
      usage: 'Nonce of the root token generation in progress, printed by -init. It must be given with each key share passed as an argument.',
    },
    { name: 'pgp-key', kind: 'string', usage: 'Not supported: PGP encryption of the root token.' },
    { name: 'dr-token', kind: 'bool', usage: 'Not supported: disaster recovery operation tokens.' },
    { name: 'recovery-token', kind: 'bool', usage: 'Not supported: recovery operation tokens.' },
  ],
  async run(context) {
    const { ui, args, flags, client } = context;
    expectArguments(args, 0, 1);
    checkUnsupportedFlags(context);
    if (flags.has('decode')) return decode(context);

    const api = await client();
    if (flags.bool('generate-otp')) return generateOtp(ui, api);
    if (flags.bool('cancel')) return cancel(ui, api);
    if (flags.bool('init')) return start(context, api);
    if (flags.bool('status')) {
      const status = await readStatus(ui, api);
      return typeof status === 'number' ? status : printStatus(ui, status);
    }
    return provideKey(context, api);
  },
};
