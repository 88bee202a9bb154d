/**
 * The state that every path of one transit mount shares.
 */
import type { Logger } from '@coffer/sdk';
import type { Clock } from './clock.js';
import type { KeyStore } from './keys/key-store.js';
import type { WrappingKeyStore } from './keys/wrapping-key.js';

export interface TransitContext {
  store: KeyStore;
  wrappingKeys: WrappingKeyStore;
  clock: Clock;
  logger: Logger;
}
