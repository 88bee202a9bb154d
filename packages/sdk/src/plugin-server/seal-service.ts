/**
 * The plugin side of `coffer.seal.v1.Seal`: opens the plugin's seal on
 * `Create` and forwards every later call to it. One process serves one seal.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import type { BlobInfo, Seal, SealPlugin } from '../seal.js';
import { unaryHandler } from './protocol.js';

/** `coffer.seal.v1.KeyInfo` as the loader decodes it: int64 as numbers, unset bytes as empty buffers. */
interface WireKeyInfo {
  mechanism?: number;
  hmac_mechanism?: number;
  key_id?: string;
  hmac_key_id?: string;
  wrapped_key?: Buffer;
}

/** `coffer.seal.v1.BlobInfo` on the wire. */
export interface WireBlobInfo {
  ciphertext?: Buffer;
  iv?: Buffer;
  hmac?: Buffer;
  key_info?: WireKeyInfo | null;
}

/**
 * Converts a blob to its wire form. Absent `hmac` and `wrappedKey` become
 * empty bytes, which {@link blobFromWire} turns back into absent fields.
 */
export function blobToWire(blob: BlobInfo): WireBlobInfo {
  return {
    ciphertext: blob.ciphertext,
    iv: blob.iv,
    hmac: blob.hmac ?? Buffer.alloc(0),
    key_info: {
      mechanism: blob.keyInfo.mechanism,
      hmac_mechanism: blob.keyInfo.hmacMechanism,
      key_id: blob.keyInfo.keyId,
      hmac_key_id: blob.keyInfo.hmacKeyId,
      wrapped_key: blob.keyInfo.wrappedKey ?? Buffer.alloc(0),
    },
  };
}

/** Converts a wire blob back; empty `hmac` and `wrapped_key` mean the blob has none. */
export function blobFromWire(wire: WireBlobInfo): BlobInfo {
  const keyInfo = wire.key_info ?? {};
  const blob: BlobInfo = {
    ciphertext: wire.ciphertext ?? Buffer.alloc(0),
    iv: wire.iv ?? Buffer.alloc(0),
    keyInfo: {
      mechanism: keyInfo.mechanism ?? 0,
      hmacMechanism: keyInfo.hmac_mechanism ?? 0,
      keyId: keyInfo.key_id ?? '',
      hmacKeyId: keyInfo.hmac_key_id ?? '',
    },
  };
  if (wire.hmac !== undefined && wire.hmac.length > 0) blob.hmac = wire.hmac;
  if (keyInfo.wrapped_key !== undefined && keyInfo.wrapped_key.length > 0) blob.keyInfo.wrappedKey = keyInfo.wrapped_key;
  return blob;
}

/** Returns `aad` as the seal takes it: empty bytes on the wire mean no associated data. */
function optionalAad(aad: Buffer | undefined): Buffer | undefined {
  return aad === undefined || aad.length === 0 ? undefined : aad;
}

function statusError(code: grpc.status, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Returns a message naming the first setting that `settings` has and
 * `known` lacks, or `undefined` when every setting is known.
 */
export function unknownSettingMessage(settings: Record<string, string>, known: readonly string[]): string | undefined {
  const unknown = Object.keys(settings).find((setting) => !known.includes(setting));
  if (unknown === undefined) return undefined;
  return `unknown setting "${unknown}"; known settings: ${known.join(', ') || 'none'}`;
}

export class SealService {
  private seal: Seal | undefined;
  private creating = false;

  constructor(
    private readonly plugin: SealPlugin,
    private readonly logger: Logger,
  ) {}

  /** Returns the gRPC handlers of `coffer.seal.v1.Seal`. */
  implementation(): grpc.UntypedServiceImplementation {
    return {
      Create: unaryHandler(async (request: { settings?: Record<string, string> }) => {
        if (this.seal !== undefined || this.creating) throw statusError(grpc.status.FAILED_PRECONDITION, 'the seal is already open; Create is called once per process');
        const settings = request.settings ?? {};
        const unknown = unknownSettingMessage(settings, this.plugin.settings);
        if (unknown !== undefined) throw statusError(grpc.status.INVALID_ARGUMENT, unknown);
        this.creating = true;
        try {
          this.seal = await this.plugin.create(settings, { logger: this.logger, env: process.env });
        } catch (err) {
          throw statusError(grpc.status.INVALID_ARGUMENT, err instanceof Error ? err.message : String(err));
        } finally {
          this.creating = false;
        }
        return { type: this.seal.type };
      }),
      KeyId: unaryHandler(async () => ({ key_id: await this.open().keyId() })),
      Encrypt: unaryHandler(async (request: { plaintext?: Buffer; aad?: Buffer }) => {
        const blob = await this.open().encrypt(request.plaintext ?? Buffer.alloc(0), optionalAad(request.aad));
        return blobToWire(blob);
      }),
      Decrypt: unaryHandler(async (request: { blob?: WireBlobInfo | null; aad?: Buffer }) => {
        if (request.blob === undefined || request.blob === null) throw statusError(grpc.status.INVALID_ARGUMENT, 'missing field "blob"');
        const plaintext = await this.open().decrypt(blobFromWire(request.blob), optionalAad(request.aad));
        return { plaintext };
      }),
      Close: unaryHandler(async () => {
        await this.close();
        return {};
      }),
    };
  }

  /** Closes the seal if it is open, when the host calls Close or the plugin stops. */
  async close(): Promise<void> {
    const seal = this.seal;
    this.seal = undefined;
    await seal?.close();
  }

  private open(): Seal {
    if (this.seal === undefined) throw statusError(grpc.status.FAILED_PRECONDITION, 'the seal is not open; call Create first');
    return this.seal;
  }
}
