/**
 * A storage plugin for the conformance suite whose every store is plugin.py
 * running as an external process, reached through Coffer's storage client.
 * The setting `plugin_directory` names the folder of the launcher; every
 * other setting is a `storage` stanza setting.
 */
import { SDK_VERSION, type StoragePlugin } from '@coffer/sdk';
import { ExternalStorage } from '@coffer/server';

/** The stanza label and launcher name. */
export const PLUGIN_NAME = 'sqlite-py';

/** Python with gRPC and a fresh key pair starts in about a second; leave room for a busy machine. */
const START_TIMEOUT_MS = 20_000;

export const plugin: StoragePlugin = {
  kind: 'storage',
  name: PLUGIN_NAME,
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: ['plugin_directory', 'plugin_sha256', 'path'],
  async create(settings, context) {
    const { plugin_directory: pluginDirectory, ...stanza } = settings;
    return ExternalStorage.open(PLUGIN_NAME, stanza, { pluginDirectory, startTimeoutMs: START_TIMEOUT_MS }, context.logger);
  },
};
