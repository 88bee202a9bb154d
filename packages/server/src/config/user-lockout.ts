/**
 * Decoding of `user_lockout` stanzas: how many failed logins lock a user out
 * of an auth method, and for how long. The label is `all` or the type of a
 * method that supports lockout (userpass, ldap, approle).
 */
import { readLabeledBlocks } from './blocks.js';
import type { Scope } from './scope.js';
import { unknownSetting } from './suggest.js';
import type { UserLockoutConfig } from './types.js';
import { describeValue, readBoolean, readDuration } from './values.js';

export const USER_LOCKOUT_LABELS = ['all', 'userpass', 'ldap', 'approle'];
const USER_LOCKOUT_SETTINGS = ['lockout_threshold', 'lockout_duration', 'lockout_counter_reset', 'disable_lockout'];

/**
 * Decodes every `user_lockout` stanza of one file into `target`, by label.
 * @throws ConfigError for an unknown label or setting, or an ill-typed value.
 */
export function decodeUserLockout(scope: Scope, value: unknown, target: Record<string, UserLockoutConfig>): void {
  for (const block of readLabeledBlocks(scope, 'user_lockout', value)) {
    const label = block.label.toLowerCase();
    const offset = scope.source.findBlock('user_lockout', block.label, block.occurrence);
    const blockScope = scope.block('user_lockout', block.label, offset);
    if (!USER_LOCKOUT_LABELS.includes(label)) {
      throw scope.fail('user_lockout', `invalid user_lockout label "${block.label}": use one of ${USER_LOCKOUT_LABELS.join(', ')}`);
    }

    const config: UserLockoutConfig = { ...target[label] };
    for (const [key, setting] of Object.entries(block.body)) {
      switch (key) {
        case 'lockout_threshold':
          config.lockoutThreshold = readThreshold(blockScope, key, setting);
          break;
        case 'lockout_duration':
          config.lockoutDuration = readDuration(blockScope, key, setting);
          break;
        case 'lockout_counter_reset':
          config.lockoutCounterReset = readDuration(blockScope, key, setting);
          break;
        case 'disable_lockout':
          config.disableLockout = readBoolean(blockScope, key, setting);
          break;
        default:
          throw unknownSetting(blockScope, key, USER_LOCKOUT_SETTINGS);
      }
    }
    target[label] = config;
  }
}

/** Vault writes the threshold as a number or a numeric string. */
function readThreshold(scope: Scope, key: string, value: unknown): number {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number === 'number' && Number.isInteger(number) && number >= 1) return number;
  throw scope.fail(key, `invalid "${key}"${scope.where}: expected a whole number of at least 1, got ${describeValue(value)}`);
}
