/**
 * The built-in seal plugins, by stanza label, and opening the one a config
 * names. `shamir` has no plugin: it is the core's own seal.
 */
import { plugin as pkcs11 } from '@coffer/seal-pkcs11';
import { plugin as transit } from '@coffer/seal-transit';
import type { Logger, Seal, SealPlugin } from '@coffer/sdk';
import type { SealConfig as SealStanza } from '../config/index.js';
import { DEFAULT_PLUGIN_START_TIMEOUT_MS } from '../plugin/external-plugins.js';
import { namesExternalPlugin, type ConfigPluginOptions } from '../plugin/config-plugin.js';
import { ExternalSeal } from '../plugin/seal-client.js';

export const builtinSeals: ReadonlyMap<string, SealPlugin> = new Map([
  ['pkcs11', pkcs11],
  ['transit', transit],
]);

/**
 * Opens the seal of a `seal` stanza; returns undefined for no stanza or a
 * Shamir one. A stanza of another type that sets `plugin_sha256` starts an
 * external seal plugin.
 * @throws Error naming the unknown seal type or setting, or the plugin that failed to start.
 */
export async function openSeal(
  stanza: SealStanza | undefined,
  logger: Logger,
  env: Record<string, string | undefined> = process.env,
  configPlugins: ConfigPluginOptions = { startTimeoutMs: DEFAULT_PLUGIN_START_TIMEOUT_MS },
): Promise<Seal | undefined> {
  if (stanza === undefined || stanza.type === 'shamir') return undefined;
  const plugin = builtinSeals.get(stanza.type);
  if (plugin === undefined && namesExternalPlugin(stanza.settings)) return ExternalSeal.open(stanza.type, stanza.settings, configPlugins, logger);
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
