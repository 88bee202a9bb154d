/**
 * A seal served by an external plugin named in the `seal` stanza: each
 * method is a call of `coffer.seal.v1.Seal` on the plugin process.
 */
import { blobFromWire, blobToWire, loadPluginProtocol, type BlobInfo, type Logger, type Seal, type WireBlobInfo } from '@coffer/sdk';
import { ConfigPluginProcess, parsePluginStanza, serviceClient, type ConfigPluginOptions } from './config-plugin.js';

/**
 * How long one seal call may take, in milliseconds. The server retries a
 * failed auto-unseal with backoff, so a hung key service costs one retry.
 * NOTE: chosen by hand, not measured.
 */
const SEAL_CALL_MS = 30_000;

const NO_AAD = Buffer.alloc(0);

export class ExternalSeal implements Seal {
  private constructor(
    /** The stanza's label, which the core stores with the seal configuration. */
    readonly type: string,
    private readonly process: ConfigPluginProcess,
  ) {}

  /**
   * Starts the plugin a `seal` stanza names and opens its seal with the
   * stanza's other settings.
   * @throws Error naming the stanza and the problem: a missing or invalid
   *   `plugin_*` setting, a hash mismatch, a failed start or a rejected setting.
   */
  static async open(type: string, settings: Record<string, string>, options: ConfigPluginOptions, logger: Logger): Promise<ExternalSeal> {
    const stanza = parsePluginStanza('seal', type, settings);
    const protocol = loadPluginProtocol();
    const sealLogger = logger.child({ seal: type });
    const { process, created } = await ConfigPluginProcess.start<{ type?: string }>(stanza, options, sealLogger, (connection) => serviceClient(connection, protocol.Seal));
    sealLogger.info({ plugin: type, reportedType: created.type ?? '' }, 'seal plugin opened');
    return new ExternalSeal(type, process);
  }

  /** The ID of the plugin process while it runs, for diagnostics and tests. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  async keyId(): Promise<string> {
    const reply = await this.process.call<{ key_id?: string }>('KeyId', {}, SEAL_CALL_MS);
    return reply.key_id ?? '';
  }

  /** Encrypts `plaintext`; an empty `aad` is sent as none, which AES-GCM treats the same. */
  async encrypt(plaintext: Buffer, aad?: Buffer): Promise<BlobInfo> {
    // The request is encoded only once the process is ready, so it gets a
    // copy that the caller cannot change meanwhile and that is zeroed after.
    const copy = Buffer.from(plaintext);
    try {
      const reply = await this.process.call<WireBlobInfo>('Encrypt', { plaintext: copy, aad: aad ?? NO_AAD }, SEAL_CALL_MS);
      return blobFromWire(reply);
    } finally {
      copy.fill(0);
    }
  }

  async decrypt(blob: BlobInfo, aad?: Buffer): Promise<Buffer> {
    const reply = await this.process.call<{ plaintext?: Buffer }>('Decrypt', { blob: blobToWire(blob), aad: aad ?? NO_AAD }, SEAL_CALL_MS);
    return reply.plaintext ?? Buffer.alloc(0);
  }

  /** Closes the plugin's seal and stops its process. */
  close(): Promise<void> {
    return this.process.close();
  }
}
