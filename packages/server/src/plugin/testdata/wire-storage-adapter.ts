/**
 * A storage plugin for the conformance suite whose every store is an
 * external storage plugin process reached over the plugin protocol, so the
 * suite checks the client, the wire and the plugin together. The setting
 * `plugin_directory` names the folder of the plugin's launcher; every other
 * setting is a `storage` stanza setting.
 */
import { SDK_VERSION, type StoragePlugin } from '@coffer/sdk';
import { ExternalStorage } from '../storage-client.js';

/** The launcher's file name in the plugin directory, which is also the stanza label. */
export const WIRE_PLUGIN_NAME = 'wirestore';

/** Generous, because the suite's cases start processes while others run. */
const START_TIMEOUT_MS = 15_000;

export const plugin: StoragePlugin = {
  kind: 'storage',
  name: WIRE_PLUGIN_NAME,
  version: '1.0.0',
  sdkVersion: SDK_VERSION,
  settings: ['plugin_directory', 'plugin_sha256', 'plugin_command', 'plugin_args', 'path'],
  async create(settings, context) {
    const { plugin_directory: pluginDirectory, ...stanza } = settings;
    return ExternalStorage.open(WIRE_PLUGIN_NAME, stanza, { pluginDirectory, startTimeoutMs: START_TIMEOUT_MS }, context.logger);
  },
};
