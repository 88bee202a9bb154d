/**
 * The built-in seal plugins, by stanza label, and opening the one a config
 * names. `shamir` has no plugin: it is the core's own seal.
 */
import { plugin as pkcs11 } from '@coffer/seal-pkcs11';
import { plugin as transit } from '@coffer/seal-transit';
import type { Logger, Seal, SealPlugin } from '@coffer/sdk';
import type { SealConfig as SealStanza } from '../config/index.js';

export const builtinSeals: ReadonlyMap<string, SealPlugin> = new Map([
  ['pkcs11', pkcs11],
  ['transit', transit],
]);

/**
 * Opens the seal of a `seal` stanza; returns undefined for no stanza or a
 * Shamir one.
 * @throws Error naming the unknown seal type or setting.
 */
export async function openSeal(
  stanza: SealStanza | undefined,
  logger: Logger,
  env: Record<string, string | undefined> = process.env,
): Promise<Seal | undefined> {
  if (stanza === undefined || stanza.type === 'shamir') return undefined;
  const plugin = builtinSeals.get(stanza.type);
  if (plugin === undefined) {
    throw new Error(`unknown seal type "${stanza.type}": use shamir or one of ${[...builtinSeals.keys()].join(', ')}`);
  }
  for (const name of Object.keys(stanza.settings)) {
    if (!plugin.settings.includes(name)) {
      throw new Error(`seal "${stanza.type}": unknown setting "${name}"; known settings: ${plugin.settings.join(', ')}`);
    }
  }
  return plugin.create(stanza.settings, { logger: logger.child({ seal: stanza.type }), env });
}
