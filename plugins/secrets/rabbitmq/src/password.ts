/**
 * The passwords of issued users: from the connection's password policy
 * when it names one, as Vault's RabbitMQ engine does, else from Vault's
 * default rules.
 */
import { badRequest, generatePassword, type SystemView } from '@coffer/sdk';

/**
 * Generates a password under the policy `policyName`, or the default rules when it is empty.
 * @throws CofferError (400) when the policy does not exist, or the server offers no password policies.
 */
export async function newPassword(system: SystemView, policyName: string): Promise<string> {
  if (policyName === '') return generatePassword();
  if (system.generatePasswordFromPolicy === undefined) {
    throw badRequest(`password policy "${policyName}" cannot be used: this server offers no password policies to plugins`);
  }
  return system.generatePasswordFromPolicy(policyName);
}
