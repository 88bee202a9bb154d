/**
 * A storage backend served by an external plugin named in the `storage`
 * stanza: each method is a call of `coffer.storage.v1.StorageBackend` on the
 * plugin process.
 */
import { loadPluginProtocol, validateStorageKey, type ClosableStorage, type Logger, type StorageEntry } from '@coffer/sdk';
import { ConfigPluginProcess, parsePluginStanza, serviceClient, type ConfigPluginOptions } from './config-plugin.js';

/**
 * How long one storage call may take, in milliseconds. A hung plugin then
 * fails the request instead of holding it forever.
 * NOTE: chosen by hand, not measured; a slow network store may need more.
 */
const STORAGE_CALL_MS = 30_000;

/**
 * Checks a key before it is sent. Besides the SDK's rules, a key must be
 * well-formed UTF-16: the wire carries UTF-8, which would turn a lone
 * surrogate into U+FFFD and so merge distinct keys.
 */
function checkKey(key: string): void {
  // With the u flag a surrogate pair is one code point, so this matches only a lone surrogate.
  const problem = validateStorageKey(key) ?? (/\p{Surrogate}/u.test(key) ? `key ${JSON.stringify(key)} contains a lone UTF-16 surrogate` : null);
  if (problem !== null) throw new Error(`invalid storage key: ${problem}`);
}

function checkPrefix(prefix: string): void {
  if (prefix === '') return;
  if (!prefix.endsWith('/')) throw new Error(`invalid storage prefix: "${prefix}" must be empty or end with "/"`);
  checkKey(prefix.slice(0, -1));
}

export class ExternalStorage implements ClosableStorage {
  private constructor(private readonly process: ConfigPluginProcess) {}

  /**
   * Starts the plugin a `storage` stanza names and opens its store with the
   * stanza's other settings.
   * @throws Error naming the stanza and the problem: a missing or invalid
   *   `plugin_*` setting, a hash mismatch, a failed start or a rejected setting.
   */
  static async open(type: string, settings: Record<string, string>, options: ConfigPluginOptions, logger: Logger): Promise<ExternalStorage> {
    const stanza = parsePluginStanza('storage', type, settings);
    const protocol = loadPluginProtocol();
    const { process } = await ConfigPluginProcess.start(stanza, options, logger.child({ storage: type }), (connection) => serviceClient(connection, protocol.StorageBackend));
    return new ExternalStorage(process);
  }

  /** The ID of the plugin process while it runs, for diagnostics and tests. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  async get(key: string): Promise<StorageEntry | null> {
    checkKey(key);
    const reply = await this.process.call<{ found?: boolean; value?: Buffer }>('Get', { key }, STORAGE_CALL_MS);
    return reply.found === true ? { key, value: reply.value ?? Buffer.alloc(0) } : null;
  }

  async put(entry: StorageEntry): Promise<void> {
    checkKey(entry.key);
    // The request is encoded only once the process is ready, so copy the
    // value now: a caller that reuses its buffer must not change what is stored.
    await this.process.call('Put', { key: entry.key, value: Buffer.from(entry.value) }, STORAGE_CALL_MS);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.process.call('Delete', { key }, STORAGE_CALL_MS);
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    const reply = await this.process.call<{ keys?: string[] }>('List', { prefix }, STORAGE_CALL_MS);
    // The protocol lets a plugin return children in any order.
    return [...(reply.keys ?? [])].sort();
  }

  /** Closes the plugin's store and stops its process. */
  close(): Promise<void> {
    return this.process.close();
  }
}
