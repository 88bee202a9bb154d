/**
 * Generated passwords: from the config's password policy when it names
 * one, as Vault's ldap engine does, else from the default rules at the
 * config's deprecated `length` (64 when unset).
 */
import { badRequest, generatePassword, type SystemView } from '@coffer/sdk';
import type { LdapConfig } from './store.js';

/** Vault's default length of generated passwords. */
export const DEFAULT_PASSWORD_LENGTH = 64;

/**
 * Generates a password for the directory described by `config`.
 * @throws CofferError (400) when the policy does not exist, or the server offers no password policies.
 */
export async function newPassword(system: SystemView, config: Pick<LdapConfig, 'passwordPolicy' | 'length'>): Promise<string> {
  if (config.passwordPolicy === '') return generatePassword(config.length > 0 ? config.length : DEFAULT_PASSWORD_LENGTH);
  if (system.generatePasswordFromPolicy === undefined) {
    throw badRequest(`password policy "${config.passwordPolicy}" cannot be used: this server offers no password policies to plugins`);
  }
  return system.generatePasswordFromPolicy(config.passwordPolicy);
}
