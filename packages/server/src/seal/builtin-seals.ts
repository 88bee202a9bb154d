/**
 * The built-in seal plugins, by stanza label, and opening the ones a config
 * names. `shamir` has no plugin: it is the core's own seal.
 */
import { plugin as awskms } from '@coffer/seal-awskms';
import { plugin as azurekeyvault } from '@coffer/seal-azurekeyvault';
import { plugin as gcpckms } from '@coffer/seal-gcpckms';
import { plugin as pkcs11 } from '@coffer/seal-pkcs11';
import { plugin as transit } from '@coffer/seal-transit';
import type { Logger, Seal, SealPlugin } from '@coffer/sdk';
import type { SealConfig as SealStanza, ServerConfig } from '../config/index.js';
import { DEFAULT_PLUGIN_START_TIMEOUT_MS } from '../plugin/external-plugins.js';
import { namesExternalPlugin, type ConfigPluginOptions } from '../plugin/config-plugin.js';
import { ExternalSeal } from '../plugin/seal-client.js';

export const builtinSeals: ReadonlyMap<string, SealPlugin> = new Map([
  ['awskms', awskms],
  ['azurekeyvault', azurekeyvault],
  ['gcpckms', gcpckms],
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

/** The seals a config names: the seal in use and, during a seal migration, the old one. */
export interface OpenedSeals {
  /** The new seal; undefined for Shamir. */
  seal: Seal | undefined;
  /** Set only during a seal migration; `from` is undefined when the old seal is Shamir. */
  sealMigration?: { from: Seal | undefined };
}

/**
 * Opens the seal in use and, when the config has a stanza marked
 * `disabled = true`, the seal being migrated away from. A lone disabled
 * stanza means a migration from that seal to Shamir.
 * @throws Error when a stanza is invalid or both seals are Shamir.
 */
export async function openSeals(
  config: Pick<ServerConfig, 'seal' | 'sealMigrationSource'>,
  logger: Logger,
  env: Record<string, string | undefined> = process.env,
  configPlugins: ConfigPluginOptions = { startTimeoutMs: DEFAULT_PLUGIN_START_TIMEOUT_MS },
): Promise<OpenedSeals> {
  const source = config.sealMigrationSource ?? (config.seal?.disabled === true ? config.seal : undefined);
  if (source === undefined) return { seal: await openSeal(config.seal, logger, env, configPlugins) };

  const target = config.sealMigrationSource !== undefined ? config.seal : undefined;
  if (source.type === 'shamir' && (target === undefined || target.type === 'shamir')) {
    throw new Error('invalid seal migration: the old and the new seal are both shamir; remove the seal stanza marked disabled = true');
  }
  const from = await openSeal(source, logger, env, configPlugins);
  try {
    return { seal: await openSeal(target, logger, env, configPlugins), sealMigration: { from } };
  } catch (err) {
    await from?.close();
    throw err;
  }
}
