/**
 * The seal's key source. This template reads an AES-256 key from a file. For a KMS or HSM, implement `KeySource` with your vendor's client:
 * fetch or unwrap the key there, or move encryption itself into the KMS by
 * replacing the body of `AesGcmSeal.encrypt` and `decrypt` with KMS calls.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** A key and its stable ID. */
export interface SealKey {
  /** 32 bytes of AES-256 key material; never logged. */
  material: Buffer;
  /** Stable ID of the key, stored in every blob so a later key rotation still finds it. */
  id: string;
}

/** The seam to your key service. */
export interface KeySource {
  /**
   * Returns the current key.
   * @throws Error when the key service is unreachable or the key is invalid; the message names the source, never the key.
   */
  currentKey(): Promise<SealKey>;
}

/** Reads the key file on every call, so a file that appears later is picked up, as a key service that comes back would be. */
export class FileKeySource implements KeySource {
  constructor(private readonly path: string) {}

  async currentKey(): Promise<SealKey> {
    let text: string;
    try {
      text = (await readFile(this.path, 'utf8')).trim();
    } catch (error) {
      throw new Error(`cannot read key file "${this.path}": ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}`);
    }
    if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new Error(`invalid key file "${this.path}": expected 64 hexadecimal digits`);
    const material = Buffer.from(text, 'hex');
    // The ID is a hash of the key, so it stays the same across restarts and differs for another key.
    const id = `sha256:${createHash('sha256').update(material).digest('hex').slice(0, 16)}`;
    return { material, id };
  }
}
