/**
 * Test helpers for key import: wrap key material for `keys/:name/import`
 * the way a client does, with Node.js or with the `openssl` command.
 */
import { constants, createCipheriv, publicEncrypt, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { withOpenssl } from './openssl-support.js';
import { dataOf, type Harness } from './test-support.js';

/** The alternative initial value of AES key wrap with padding (RFC 5649, section 3). */
const KWP_IV = Buffer.from('a65959a6', 'hex');

export interface WrapOptions {
  /** OAEP hash as Node.js names it, sha256 by default. */
  hash?: string;
  /** The ephemeral AES key, 32 random bytes by default. */
  ephemeralKey?: Buffer;
}

/** Returns the mount's wrapping key PEM, generating it on the first read. */
export async function wrappingKeyOf(harness: Harness): Promise<string> {
  return String(dataOf(await harness.send('read', 'wrapping_key')).public_key);
}

/**
 * Wraps `material` with Node.js: the ephemeral AES key encrypted with
 * RSA-OAEP under the wrapping key, then the material wrapped with that AES
 * key by KWP. Returns the request's `ciphertext` field.
 */
export function wrapWithNode(wrappingKeyPem: string, material: Buffer, options: WrapOptions = {}): string {
  const ephemeralKey = options.ephemeralKey ?? randomBytes(32);
  const encryptedKey = publicEncrypt(
    { key: wrappingKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: options.hash ?? 'sha256' },
    ephemeralKey,
  );
  const algorithm = ephemeralKey.length === 16 ? 'id-aes128-wrap-pad' : 'id-aes256-wrap-pad';
  const cipher = createCipheriv(algorithm, ephemeralKey, KWP_IV);
  const wrapped = Buffer.concat([cipher.update(material), cipher.final()]);
  return Buffer.concat([encryptedKey, wrapped]).toString('base64');
}

/**
 * Wraps `material` with the `openssl` command line: `openssl rand` makes
 * the ephemeral key, `openssl enc -id-aes256-wrap-pad` wraps the material
 * and `openssl pkeyutl` encrypts the ephemeral key with RSA-OAEP and
 * `digest` (an openssl digest name such as sha256). Node.js only reads the
 * output files and converts the ephemeral key to hex for `-K`.
 */
export async function wrapWithOpenssl(wrappingKeyPem: string, material: Buffer, digest = 'sha256'): Promise<string> {
  return withOpenssl(async ({ file, openssl }) => {
    const wrappingKey = await file('wrapping.pem', wrappingKeyPem);
    const target = await file('target.bin', material);
    const ephemeralPath = await file('ephemeral.bin', '');
    const wrappedPath = await file('wrapped.bin', '');
    const encryptedPath = await file('ephemeral.enc', '');

    await check(openssl(['rand', '-out', ephemeralPath, '32']));
    const ephemeralKey = await readFile(ephemeralPath);
    await check(openssl(['enc', '-id-aes256-wrap-pad', '-K', ephemeralKey.toString('hex'), '-iv', 'A65959A6', '-in', target, '-out', wrappedPath]));
    ephemeralKey.fill(0);
    await check(
      openssl([
        'pkeyutl', '-encrypt', '-pubin', '-inkey', wrappingKey, '-in', ephemeralPath, '-out', encryptedPath,
        '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', `rsa_oaep_md:${digest}`, '-pkeyopt', `rsa_mgf1_md:${digest}`,
      ]),
    );

    return Buffer.concat([await readFile(encryptedPath), await readFile(wrappedPath)]).toString('base64');
  });
}

async function check(run: Promise<{ code: number; stderr: string }>): Promise<void> {
  const result = await run;
  if (result.code !== 0) throw new Error(`openssl failed with exit code ${result.code}: ${result.stderr}`);
}
