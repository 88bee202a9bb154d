// `coffer operator init`, `unseal`, `seal`, `step-down`, `members`, `rotate` and `key-status`.
import type { CofferClient } from '../client.js';
import type { Command } from '../command.js';
import { expectArguments, formatFlag, httpFlags, reportApiError } from '../command.js';
import { UsageError, type FlagSpec } from '../flags.js';
import type { UI } from '../io.js';
import { structuredText, table, wrapAtLength } from '../output.js';
import { readHiddenLine } from '../prompt.js';
import type { SealStatus } from './status.js';
import { keyStatusText, outputSealStatus } from './status.js';

/** Key shares and threshold that `operator init` uses when the flags are not given, as Vault's CLI does. */
const defaultKeyShares = 5;
const defaultKeyThreshold = 3;

/** The -key-shares and -key-threshold flags, shared with `operator rekey`. */
export const keyShareFlags: FlagSpec[] = [
  {
    name: 'key-shares',
    kind: 'int',
    aliases: ['n'],
    defaultText: String(defaultKeyShares),
    usage: 'Number of key shares to split the generated root key into. This is the number of unseal keys to generate.',
  },
  {
    name: 'key-threshold',
    kind: 'int',
    aliases: ['t'],
    defaultText: String(defaultKeyThreshold),
    usage: 'Number of key shares required to reconstruct the root key. This must be less than or equal to -key-shares.',
  },
];

/** Reads -key-shares and -key-threshold, applying the defaults. */
export function keyShareSettings(flags: { int(name: string): number | undefined }): { shares: number; threshold: number } {
  return {
    shares: flags.int('key-shares') ?? defaultKeyShares,
    threshold: flags.int('key-threshold') ?? defaultKeyThreshold,
  };
}

/** Recovery key shares and threshold that `operator init` uses with an auto-unseal seal, as Vault's CLI does. */
const defaultRecoveryShares = 5;
const defaultRecoveryThreshold = 3;

/** Body of `PUT sys/init`. With an auto-unseal seal, `keys` is empty and the key shares are in `recovery_keys`. */
interface InitResponse {
  keys: string[];
  keys_base64?: string[];
  recovery_keys?: string[];
  recovery_keys_base64?: string[];
  root_token: string;
}

/** Share counts that `operator init` sent: unseal keys, and recovery keys for an auto-unseal seal. */
interface InitSettings {
  shares: number;
  threshold: number;
  recoveryShares: number;
  recoveryThreshold: number;
}

/**
 * Applies the share defaults of the server's seal, as Vault's CLI does. An
 * auto-unseal seal defaults to no unseal key shares and 5 recovery shares
 * with a threshold of 3. The Shamir seal defaults to 5 unseal key shares with
 * a threshold of 3 and no recovery shares.
 */
function initSettings(flags: { int(name: string): number | undefined }, recoverySeal: boolean): InitSettings {
  const unsealDefaults = recoverySeal ? [0, 0] : [defaultKeyShares, defaultKeyThreshold];
  const recoveryDefaults = recoverySeal ? [defaultRecoveryShares, defaultRecoveryThreshold] : [0, 0];
  return {
    shares: flags.int('key-shares') ?? unsealDefaults[0],
    threshold: flags.int('key-threshold') ?? unsealDefaults[1],
    recoveryShares: flags.int('recovery-shares') ?? recoveryDefaults[0],
    recoveryThreshold: flags.int('recovery-threshold') ?? recoveryDefaults[1],
  };
}

/** Prefers the base64 form of each share, as Vault's CLI does, when the server sent one per share. */
function printableShares(hex: string[], base64: string[] | undefined): string[] {
  return base64?.length === hex.length ? base64 : hex;
}

function printInitJson(ui: UI, response: InitResponse, settings: InitSettings): void {
  // Without unseal keys the seal stores the root key itself, which Vault reports as one share with a threshold of one.
  const storedKey = response.keys.length === 0;
  ui.output(
    structuredText(ui, 
      {
        unseal_keys_b64: response.keys_base64 ?? [],
        unseal_keys_hex: response.keys,
        unseal_shares: storedKey ? 1 : settings.shares,
        unseal_threshold: storedKey ? 1 : settings.threshold,
        recovery_keys_b64: response.recovery_keys_base64 ?? [],
        recovery_keys_hex: response.recovery_keys ?? [],
        recovery_keys_shares: settings.recoveryShares,
        recovery_keys_threshold: settings.recoveryThreshold,
        root_token: response.root_token,
      },
      true,
    ),
  );
}

function printUnsealKeyGuidance(ui: UI, shares: number, threshold: number): void {
  ui.output('');
  ui.output(
    wrapAtLength(
      `Coffer initialized with ${shares} key shares and a key threshold of ${threshold}. ` +
        'Distribute the key shares printed above to their holders securely. Whenever Coffer ' +
        `is sealed, restarted or stopped, at least ${threshold} of these keys must be supplied ` +
        'to unseal it before it serves requests again.',
    ),
  );
  ui.output('');
  ui.output(
    wrapAtLength(
      `Coffer does not store the root key. Without at least ${threshold} key shares to ` +
        'reconstruct it, Coffer stays sealed for good.',
    ),
  );
  ui.output('');
  ui.output(
    wrapAtLength(
      'A quorum of the current key shares can generate new unseal keys; see "coffer operator rekey".',
    ),
  );
}

function printInitResult(ui: UI, response: InitResponse, settings: InitSettings): void {
  if (ui.format !== 'table') {
    printInitJson(ui, response, settings);
    return;
  }

  const unsealKeys = printableShares(response.keys, response.keys_base64);
  const recoveryKeys = printableShares(response.recovery_keys ?? [], response.recovery_keys_base64);
  unsealKeys.forEach((key, index) => ui.output(`Unseal Key ${index + 1}: ${key}`));
  recoveryKeys.forEach((key, index) => ui.output(`Recovery Key ${index + 1}: ${key}`));
  ui.output('');
  ui.output(`Initial Root Token: ${response.root_token}`);

  if (unsealKeys.length > 0) {
    printUnsealKeyGuidance(ui, settings.shares, settings.threshold);
  } else {
    ui.output('');
    ui.output('Success! Coffer is initialized');
  }

  if (recoveryKeys.length > 0) {
    ui.output('');
    ui.output(
      wrapAtLength(
        `Recovery key initialized with ${settings.recoveryShares} key shares and a key threshold of ` +
          `${settings.recoveryThreshold}. Distribute the key shares printed above to their holders securely.`,
      ),
    );
  }
}

async function printInitStatus(ui: UI, api: CofferClient): Promise<number> {
  let initialized: boolean;
  try {
    initialized = ((await api.request('GET', 'sys/init')).body as { initialized: boolean }).initialized === true;
  } catch (error) {
    reportApiError(ui, 'Error checking init status', error);
    // Exit code 2 means "not initialized" here, so a failed request exits 1.
    return 1;
  }
  if (ui.format !== 'table') ui.output(structuredText(ui, { initialized }));
  else ui.output(initialized ? 'Coffer is initialized' : 'Coffer is not initialized');
  return initialized ? 0 : 2;
}

export const operatorInitCommand: Command = {
  name: 'operator init',
  synopsis: 'Initialize a server',
  help: `
Usage: coffer operator init [options]

  Initializes a server: creates the root key and splits the key that protects
  it into key shares, of which a threshold number unseal the server. Prints
  the unseal keys and the initial root token. A server is initialized once.

  A server with an auto-unseal seal unseals itself, so it returns recovery
  keys in place of unseal keys. A threshold of recovery keys authorizes
  operations such as generating a root token.

      $ coffer operator init
      $ coffer operator init -key-shares=3 -key-threshold=2
      $ coffer operator init -recovery-shares=3 -recovery-threshold=2`,
  flags: [
    ...httpFlags,
    formatFlag,
    ...keyShareFlags,
    {
      name: 'recovery-shares',
      kind: 'int',
      defaultText: `${defaultRecoveryShares} with an auto-unseal seal, 0 otherwise`,
      usage: 'Number of recovery key shares to split the recovery key into. Only servers with an auto-unseal seal have recovery keys.',
    },
    {
      name: 'recovery-threshold',
      kind: 'int',
      defaultText: `${defaultRecoveryThreshold} with an auto-unseal seal, 0 otherwise`,
      usage: 'Number of recovery key shares required to reconstruct the recovery key. This must be less than or equal to -recovery-shares.',
    },
    {
      name: 'status',
      kind: 'bool',
      usage: 'Print whether the server is initialized. The exit code is 0 when it is, 2 when it is not and 1 on error.',
    },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 0);
    const api = await client();
    if (flags.bool('status')) return printInitStatus(ui, api);

    let recoverySeal: boolean;
    try {
      recoverySeal = ((await api.request('GET', 'sys/seal-status')).body as SealStatus).recovery_seal === true;
    } catch (error) {
      return reportApiError(ui, '', error);
    }
    const settings = initSettings(flags, recoverySeal);

    let response: InitResponse;
    try {
      const body = {
        secret_shares: settings.shares,
        secret_threshold: settings.threshold,
        recovery_shares: settings.recoveryShares,
        recovery_threshold: settings.recoveryThreshold,
      };
      response = (await api.request('PUT', 'sys/init', { body })).body as InitResponse;
    } catch (error) {
      return reportApiError(ui, 'Error initializing', error);
    }
    printInitResult(ui, response, settings);
    return 0;
  },
};

export const operatorUnsealCommand: Command = {
  name: 'operator unseal',
  synopsis: 'Unseal the server',
  help: `
Usage: coffer operator unseal [options] [KEY]

  Submits one unseal key share. The server unseals once the threshold of
  shares is reached. Without KEY, the command prompts for it on the terminal,
  which keeps the key out of the shell history.

      $ coffer operator unseal
      Unseal Key (will be hidden):

  During a seal migration, pass -migrate with each share of the old seal:
  its unseal keys when migrating from Shamir, else its recovery keys.

      $ coffer operator unseal -migrate`,
  flags: [
    ...httpFlags,
    formatFlag,
    { name: 'reset', kind: 'bool', usage: 'Discard the key shares submitted so far.' },
    {
      name: 'migrate',
      kind: 'bool',
      usage: 'Submit the key share to the pending seal migration. It must be given with every share while a migration is pending.',
    },
  ],
  async run({ ui, io, args, flags, client }) {
    expectArguments(args, 0, 1);
    const api = await client();

    let body: Record<string, unknown>;
    let failure: string;
    if (flags.bool('reset')) {
      body = { reset: true };
      failure = 'Error resetting unseal process';
    } else {
      const key =
        args[0] ??
        (await readHiddenLine(io, 'Unseal Key (will be hidden): ', 'pass the key as an argument: coffer operator unseal KEY'));
      body = { key: key.trim(), ...(flags.bool('migrate') ? { migrate: true } : {}) };
      failure = 'Error unsealing';
    }

    let status: SealStatus;
    try {
      status = (await api.request('PUT', 'sys/unseal', { body })).body as SealStatus;
    } catch (error) {
      return reportApiError(ui, failure, error);
    }
    return outputSealStatus(ui, api, status);
  },
};

export const operatorSealCommand: Command = {
  name: 'operator seal',
  synopsis: 'Seal the server',
  help: `
Usage: coffer operator seal [options]

  Seals the server: it forgets the root key and rejects requests until it is
  unsealed again with a threshold of key shares.

      $ coffer operator seal`,
  flags: [...httpFlags],
  async run({ ui, args, client }) {
    expectArguments(args, 0);
    const api = await client();
    try {
      await api.request('PUT', 'sys/seal');
    } catch (error) {
      return reportApiError(ui, 'Error sealing', error);
    }
    ui.output('Success! Coffer is sealed.');
    return 0;
  },
};

/** One node of `sys/ha-status`, as the server reports it. */
interface HaNode {
  hostname?: string;
  api_address?: string;
  cluster_address?: string;
  active_node?: boolean;
  version?: string;
  last_echo?: string | null;
}

export const operatorMembersCommand: Command = {
  name: 'operator members',
  synopsis: 'List the nodes of an HA cluster',
  help: `
Usage: coffer operator members [options]

  Lists the active node of an HA cluster and the standbys it has heard
  from, from sys/ha-status. Needs a token with sudo on sys/ha-status.

      $ coffer operator members`,
  flags: [...httpFlags, formatFlag],
  async run({ ui, args, client }) {
    expectArguments(args, 0);
    const api = await client();
    let body: { Nodes?: HaNode[] };
    try {
      body = (await api.request('GET', 'sys/ha-status')).body as { Nodes?: HaNode[] };
    } catch (error) {
      return reportApiError(ui, 'Error listing HA nodes', error);
    }
    const nodes = body.Nodes ?? [];
    if (ui.format !== 'table') {
      ui.output(structuredText(ui, { Nodes: nodes }));
      return 0;
    }
    const rows = nodes.map((node) => [
      node.hostname ?? '',
      node.api_address ?? '',
      node.cluster_address ?? '',
      String(node.active_node === true),
      node.version ?? '',
      node.last_echo ?? 'n/a',
    ]);
    ui.output(table(['Host Name', 'API Address', 'Cluster Address', 'Active Node', 'Version', 'Last Echo'], rows));
    return 0;
  },
};

export const operatorStepDownCommand: Command = {
  name: 'operator step-down',
  synopsis: 'Make the active node give up leadership',
  help: `
Usage: coffer operator step-down [options]

  Makes the active node of an HA cluster release its lock and stay a standby
  for 10 seconds, so that another standby takes over. Sent to a standby, the
  request is forwarded to the active node. Needs a token with sudo on
  sys/step-down. On a server without HA it does nothing.

      $ coffer operator step-down`,
  flags: [...httpFlags],
  async run({ ui, args, client }) {
    expectArguments(args, 0);
    const api = await client();
    try {
      await api.request('PUT', 'sys/step-down');
    } catch (error) {
      return reportApiError(ui, 'Error stepping down', error);
    }
    ui.output(`Success! Stepped down: ${api.address}`);
    return 0;
  },
};

interface KeyStatus {
  term: number;
  install_time: string;
  encryptions?: number;
}

async function readKeyStatus(api: CofferClient): Promise<KeyStatus> {
  const body = (await api.request('GET', 'sys/key-status')).body as { data?: KeyStatus } & KeyStatus;
  return body.data ?? body;
}

export const operatorRotateCommand: Command = {
  name: 'operator rotate',
  synopsis: 'Rotate the encryption key',
  help: `
Usage: coffer operator rotate [options]

  Adds a new encryption key to the keyring. New data is encrypted with it,
  and data written under older keys stays readable. The server also rotates
  the key by itself as sys/rotate/config sets it:

      $ coffer operator rotate
      $ coffer read sys/rotate/config
      $ coffer write sys/rotate/config interval=2160h`,
  flags: [
    ...httpFlags,
    formatFlag,
    {
      name: 'target',
      kind: 'string',
      defaultText: 'keyring',
      usage: 'Key to rotate: "keyring", the encryption key of the barrier, is the only target.',
    },
  ],
  async run({ ui, args, flags, client }) {
    expectArguments(args, 0);
    const target = flags.string('target').trim().toLowerCase();
    if (target !== '' && target !== 'keyring') throw new UsageError(`invalid value "${flags.string('target')}" for flag -target: use "keyring"`);
    const api = await client();
    try {
      await api.request('PUT', 'sys/rotate');
    } catch (error) {
      return reportApiError(ui, 'Error rotating key', error);
    }

    let status: KeyStatus;
    try {
      status = await readKeyStatus(api);
    } catch (error) {
      return reportApiError(ui, 'Error reading key status', error);
    }
    if (ui.format !== 'table') {
      ui.output(structuredText(ui, status));
      return 0;
    }
    ui.output('Success! Rotated key');
    ui.output('');
    ui.output(keyStatusText(status));
    return 0;
  },
};

export const operatorKeyStatusCommand: Command = {
  name: 'operator key-status',
  synopsis: 'Print information about the encryption key',
  help: `
Usage: coffer operator key-status [options]

  Prints the term of the active encryption key, when it was installed and how
  many encryptions it has made.

      $ coffer operator key-status`,
  flags: [...httpFlags, formatFlag],
  async run({ ui, args, client }) {
    expectArguments(args, 0);
    const api = await client();
    let status: KeyStatus;
    try {
      status = await readKeyStatus(api);
    } catch (error) {
      return reportApiError(ui, 'Error reading key status', error);
    }
    if (ui.format !== 'table') ui.output(structuredText(ui, status));
    else ui.output(keyStatusText(status));
    return 0;
  },
};
