/**
 * The passwords the engine sets: from the connection's password policy
 * when it names one, as Vault's database engine does, else from Vault's
 * default policy.
 */
import { badRequest, generatePassword, type SystemView } from '@coffer/sdk';
import type { ConnectionConfig } from './store.js';

/**
 * Generates a password for a user or account of `config`'s database.
 * @throws CofferError (400) when the policy does not exist, or the server offers no password policies.
 */
export async function newPassword(system: SystemView, config: Pick<ConnectionConfig, 'passwordPolicy'>): Promise<string> {
  const policyName = config.passwordPolicy;
  if (policyName === '') return generatePassword();
  if (system.generatePasswordFromPolicy === undefined) {
    throw badRequest(`password policy "${policyName}" cannot be used: this server offers no password policies to plugins`);
  }
  return system.generatePasswordFromPolicy(policyName);
}
