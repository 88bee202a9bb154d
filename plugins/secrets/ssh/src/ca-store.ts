/**
 * The CA key pair in the mount's storage view, which the server's barrier
 * encrypts. The layout is Vault's: `config/ca_public_key` and
 * `config/ca_private_key`, each a JSON object `{"key": "<text>"}`.
 */
import type { Storage } from '@coffer/sdk';
import { parsePrivateKey, type SshKeyPair } from './private-keys.js';

export const CA_PUBLIC_KEY_PATH = 'config/ca_public_key';
export const CA_PRIVATE_KEY_PATH = 'config/ca_private_key';

/** The stored CA: the public key as one authorized_keys line, and the private key as PEM. */
export interface StoredCa {
  publicKey: string;
  privateKey: string;
}

async function readKey(storage: Storage, path: string): Promise<string | null> {
  const entry = await storage.get(path);
  if (entry === null) return null;
  const parsed = JSON.parse(entry.value.toString('utf8')) as { key?: unknown };
  return typeof parsed.key === 'string' && parsed.key !== '' ? parsed.key : null;
}

/** Returns the stored CA public key line, or null when none is configured. */
export async function readCaPublicKey(storage: Storage): Promise<string | null> {
  return readKey(storage, CA_PUBLIC_KEY_PATH);
}

/**
 * Returns the CA key pair parsed from storage, or null when none is configured.
 * @throws Error when the stored private key no longer parses.
 */
export async function readCaKeyPair(storage: Storage): Promise<SshKeyPair | null> {
  const privateKey = await readKey(storage, CA_PRIVATE_KEY_PATH);
  return privateKey === null ? null : parsePrivateKey(privateKey);
}

/** Returns true when either half of the CA key is stored. */
export async function caConfigured(storage: Storage): Promise<boolean> {
  return (await readKey(storage, CA_PUBLIC_KEY_PATH)) !== null || (await readKey(storage, CA_PRIVATE_KEY_PATH)) !== null;
}

/**
 * Stores both halves of the CA key. The public half goes first and is
 * removed again when the private half cannot be written, so a failed write
 * leaves no half-configured CA behind.
 */
export async function writeCa(storage: Storage, ca: StoredCa): Promise<void> {
  await storage.put({ key: CA_PUBLIC_KEY_PATH, value: Buffer.from(JSON.stringify({ key: ca.publicKey })) });
  try {
    await storage.put({ key: CA_PRIVATE_KEY_PATH, value: Buffer.from(JSON.stringify({ key: ca.privateKey })) });
  } catch (err) {
    await storage.delete(CA_PUBLIC_KEY_PATH);
    throw err;
  }
}

/** Deletes both halves of the CA key. */
export async function deleteCa(storage: Storage): Promise<void> {
  await storage.delete(CA_PRIVATE_KEY_PATH);
  await storage.delete(CA_PUBLIC_KEY_PATH);
}
