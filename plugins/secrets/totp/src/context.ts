/**
 * The state that every path of one TOTP mount shares.
 */
import type { Clock } from './clock.js';
import type { UsedCodes } from './used-codes.js';

export interface TotpContext {
  clock: Clock;
  usedCodes: UsedCodes;
}
