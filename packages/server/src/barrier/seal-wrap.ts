/**
 * Seal wrap: with an auto seal, the keyring is encrypted by the seal on top
 * of the root key's encryption, as Vault Enterprise seal-wraps its keyring.
 * Reading the keyring then needs the HSM or KMS as well as the root key, so
 * a copy of storage and a leaked root key together still decrypt nothing.
 *
 * Stored format: the ASCII marker `coffer-seal-wrap:1` and a newline, then
 * JSON `{"seal_type": "<type>", "blob": <seal blob>}`, where the blob is the
 * output of `Seal.encrypt` in its stored form and the storage path is its
 * additional data. The blob's plaintext is the value that would otherwise be
 * stored. A value without the marker is plain, as written by the Shamir seal
 * or before seal wrap existed. A plain keyring starts with a random 12-byte
 * nonce, so it begins with the 19-byte marker with a chance of 2^-152.
 */
import { CofferError, decodeBlobInfo, encodeBlobInfo, type BlobInfo, type Seal } from '@coffer/sdk';

export const SEAL_WRAP_MARKER = Buffer.from('coffer-seal-wrap:1\n', 'ascii');

/** A parsed seal-wrapped value. */
export interface SealWrapped {
  /** Type of the seal that encrypted the blob, e.g. `pkcs11`. */
  sealType: string;
  blob: BlobInfo;
}

/** Returns true when `stored` has the seal wrap marker. */
export function isSealWrapped(stored: Buffer): boolean {
  return stored.length >= SEAL_WRAP_MARKER.length && stored.subarray(0, SEAL_WRAP_MARKER.length).equals(SEAL_WRAP_MARKER);
}

/**
 * Parses a value that has the marker.
 * @throws CofferError (500) when the JSON after the marker is damaged.
 */
export function parseSealWrapped(path: string, stored: Buffer): SealWrapped {
  try {
    const parsed = JSON.parse(stored.subarray(SEAL_WRAP_MARKER.length).toString('utf8')) as { seal_type?: unknown; blob?: unknown };
    if (typeof parsed.seal_type !== 'string' || parsed.seal_type === '') throw new Error('missing "seal_type"');
    return { sealType: parsed.seal_type, blob: decodeBlobInfo(parsed.blob) };
  } catch (err) {
    throw new CofferError('COFFER_ERR_SEAL_WRAP', 500, `invalid seal-wrapped entry "${path}": ${(err as Error).message}`);
  }
}

/** Encodes a blob that `seal` made into the stored format. */
export function encodeSealWrapped(sealType: string, blob: BlobInfo): Buffer {
  const body = JSON.stringify({ seal_type: sealType, blob: encodeBlobInfo(blob) });
  return Buffer.concat([SEAL_WRAP_MARKER, Buffer.from(body, 'utf8')]);
}

/**
 * Encrypts `plain` with the seal, bound to `path`, and returns the stored form.
 * @throws Error from the seal when it is unreachable or rejects the request.
 */
export async function sealWrap(seal: Seal, path: string, plain: Buffer): Promise<Buffer> {
  const blob = await seal.encrypt(plain, Buffer.from(path, 'utf8'));
  return encodeSealWrapped(seal.type, blob);
}

/**
 * Returns the value inside a stored entry: a plain value as it is, a
 * seal-wrapped one decrypted by `seal`.
 * @throws CofferError (500) when the value is seal-wrapped but `seal` is
 *   missing or of another type, or when the seal cannot decrypt it. The
 *   message names the seal and the reason.
 */
export async function sealUnwrap(seal: Seal | undefined, path: string, stored: Buffer): Promise<Buffer> {
  if (!isSealWrapped(stored)) return stored;

  const wrapped = parseSealWrapped(path, stored);
  if (seal === undefined || seal.type !== wrapped.sealType) {
    throw new CofferError(
      'COFFER_ERR_SEAL_WRAP',
      500,
      `"${path}" is seal-wrapped by the ${wrapped.sealType} seal, but the server has the ${seal?.type ?? 'shamir'} seal: ` +
        `configure the ${wrapped.sealType} seal, or migrate from it with its seal stanza marked disabled = "true"`,
    );
  }
  return decryptWrapped(seal, path, wrapped.blob);
}

/**
 * Decrypts a parsed blob with `seal`.
 * @throws CofferError (500) naming the seal and its reason.
 */
export async function decryptWrapped(seal: Seal, path: string, blob: BlobInfo): Promise<Buffer> {
  try {
    return await seal.decrypt(blob, Buffer.from(path, 'utf8'));
  } catch (err) {
    // Seal errors carry return codes and service messages, never key material.
    throw new CofferError('COFFER_ERR_SEAL_DECRYPT', 500, `the ${seal.type} seal could not decrypt the seal-wrapped "${path}": ${(err as Error).message}`);
  }
}
