/**
 * The TOTP secrets engine: stores keys for time-based one-time passwords
 * (RFC 6238), generates codes as an authenticator app would, and validates
 * codes as a service would, with Vault's HTTP API.
 *
 * Storage layout, relative to the mount's storage view:
 *
 *   key/<name>   one key and its settings as JSON (see keys.ts), encrypted
 *                by the server's barrier
 *
 * Codes already presented for validation are kept in memory (see
 * used-codes.ts), as Vault keeps them.
 */
import { Backend, type BackendConfig } from '@coffer/sdk';
import { systemClock, type Clock } from './clock.js';
import type { TotpContext } from './context.js';
import { pathCode } from './path-code.js';
import { pathKeys, pathListKeys } from './path-keys.js';
import { UsedCodes } from './used-codes.js';

const HELP = `
The TOTP secrets engine generates and validates time-based one-time passwords
(RFC 6238). It acts as an authenticator app for keys imported from another
service, and as the service for keys it generates and hands out as a QR code.`;

/** Settings for tests. The server uses the defaults. */
export interface TotpOptions {
  clock?: Clock;
}

/** A TOTP backend together with its record of used codes, for tests. */
export interface TotpBackend extends Backend {
  readonly usedCodes: UsedCodes;
}

/** Creates the backend for one mount. */
export function createBackend(config: BackendConfig, options: TotpOptions = {}): TotpBackend {
  const context: TotpContext = { clock: options.clock ?? systemClock, usedCodes: new UsedCodes() };

  const backend = new Backend({
    backendType: 'logical',
    help: HELP,
    paths: [pathListKeys(), pathKeys(), pathCode(context)],
    periodic: async () => context.usedCodes.prune(context.clock.now()),
  });
  return Object.assign(backend, { usedCodes: context.usedCodes });
}
