/**
 * The seal conformance suite. It checks the seal's own contract first:
 * round trip, stable key ID, tampered blobs and wrong keys rejected, and
 * behaviour while the key service is unreachable. Then a real Coffer server
 * uses the seal to initialize with recovery keys, restart and unseal itself.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobInfo, Seal } from '@coffer/sdk';
import { SkipCheck, skippableByDescription, type Check } from '../check.js';
import { CofferHttp, describeBody } from '../http.js';

/**
 * How to exercise one seal, from the `certify { seal { ... } }` block of its
 * integration.hcl. In every value, `{{dir}}` is a scratch folder of the run.
 */
export interface SealDescription {
  /** The `seal` stanza's settings, besides the `plugin_*` ones. */
  settings: Record<string, string>;
  /**
   * Files to write into `{{dir}}` before the run, by name. In a value,
   * `{{random_hex:N}}` becomes N random bytes as hexadecimal digits, so a
   * key file gets a fresh key each run.
   */
  files?: Record<string, string>;
  /** Settings that name another key of the same kind; the wrong-key check needs them. */
  other_key_settings?: Record<string, string>;
  /** Settings under which the key service is unreachable; the unreachable check needs them. */
  unreachable_settings?: Record<string, string>;
  /** Check ids to skip, each with the reason. */
  skip?: Record<string, string>;
}

/** A Coffer server that runs with the seal under test, on storage that outlives it. */
export interface SealServer {
  /** Base URL such as `http://127.0.0.1:8200`. */
  address: string;
  close(): Promise<void>;
}

/** Context of every seal check. */
export interface SealContext {
  description: SealDescription;
  /** Opens the seal with these settings (the description's, unless a check names others). */
  openSeal(settings: Record<string, string>): Promise<Seal>;
  /** Starts a server with the seal and the same storage folder each time; the caller closes it. */
  startServer(): Promise<SealServer>;
  /** Filled by the checks for the ones after them. */
  state: { server?: SealServer; rootToken?: string };
}

/** How long a restarted server may take to unseal itself, in milliseconds. */
const UNSEAL_WAIT_MS = 20_000;
/** The secret the server checks write and read back after the restart. */
const SECRET = { certify: 'kept across restarts' };

/**
 * Writes the description's files into `dir` and replaces `{{dir}}` in its
 * settings, returning the description the checks use.
 */
export async function prepareSealDescription(description: SealDescription, dir: string): Promise<SealDescription> {
  const expand = (settings: Record<string, string> | undefined): Record<string, string> | undefined =>
    settings === undefined ? undefined : Object.fromEntries(Object.entries(settings).map(([name, value]) => [name, String(value).replaceAll('{{dir}}', dir)]));
  for (const [name, content] of Object.entries(description.files ?? {})) {
    const text = String(content).replace(/\{\{random_hex:(\d+)\}\}/g, (_match, bytes: string) => randomBytes(Number(bytes)).toString('hex'));
    await writeFile(join(dir, name), text, { mode: 0o600 });
  }
  const prepared: SealDescription = { settings: expand(description.settings)! };
  const other = expand(description.other_key_settings);
  const unreachable = expand(description.unreachable_settings);
  if (other !== undefined) prepared.other_key_settings = other;
  if (unreachable !== undefined) prepared.unreachable_settings = unreachable;
  if (description.skip !== undefined) prepared.skip = description.skip;
  return prepared;
}

async function withSeal<T>(context: SealContext, settings: Record<string, string>, use: (seal: Seal) => Promise<T>): Promise<T> {
  const seal = await context.openSeal(settings);
  try {
    return await use(seal);
  } finally {
    await seal.close();
  }
}

/** A plaintext of the length of a root key, and its text forms that must never appear in a message. */
function rootKeyLike(): { plaintext: Buffer; forms: string[] } {
  const plaintext = randomBytes(32);
  return { plaintext, forms: [plaintext.toString('hex'), plaintext.toString('base64')] };
}

async function expectRejected(attempt: Promise<unknown>, what: string, forms: string[]): Promise<void> {
  let message: string;
  try {
    await attempt;
  } catch (error) {
    message = error instanceof Error ? error.message : String(error);
    if (forms.some((form) => message.includes(form))) throw new Error(`${what}: the error message contains the plaintext`);
    return;
  }
  throw new Error(`${what} was accepted, expected an error`);
}

function flipped(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

const roundTripCheck: Check<SealContext> = {
  id: 'round-trip',
  title: 'encrypt then decrypt returns the plaintext, and the blob names the current key',
  required: true,
  async run(context) {
    await withSeal(context, context.description.settings, async (seal) => {
      const { plaintext } = rootKeyLike();
      const aad = Buffer.from('core/seal-config');
      const blob = await seal.encrypt(plaintext, aad);
      if (blob.ciphertext.includes(plaintext)) throw new Error('the ciphertext contains the plaintext');
      const keyId = await seal.keyId();
      if (blob.keyInfo.keyId !== keyId) throw new Error(`the blob names key "${blob.keyInfo.keyId}", but keyId() returned "${keyId}"`);
      const decrypted = await seal.decrypt(blob, aad);
      if (!decrypted.equals(plaintext)) throw new Error('decrypt returned bytes that differ from the plaintext');
      const again = await seal.encrypt(plaintext, aad);
      if (again.ciphertext.equals(blob.ciphertext)) throw new Error('two encryptions of one plaintext gave the same ciphertext, so the seal reuses its IV or nonce');
    });
  },
};

const keyIdCheck: Check<SealContext> = {
  id: 'key-id-stable',
  title: 'the key ID is the same across calls and restarts, and old blobs decrypt after a restart',
  required: true,
  async run(context) {
    const { plaintext } = rootKeyLike();
    const first = await withSeal(context, context.description.settings, async (seal) => {
      const ids = [await seal.keyId(), await seal.keyId(), await seal.keyId()];
      if (ids[0] === '') throw new Error('keyId() returned an empty ID');
      if (new Set(ids).size !== 1) throw new Error(`keyId() returned different IDs across calls: ${ids.join(', ')}`);
      return { keyId: ids[0]!, blob: await seal.encrypt(plaintext) };
    });
    await withSeal(context, context.description.settings, async (seal) => {
      const keyId = await seal.keyId();
      if (keyId !== first.keyId) throw new Error(`keyId() returned "${keyId}" after a restart, "${first.keyId}" before`);
      const decrypted = await seal.decrypt(first.blob);
      if (!decrypted.equals(plaintext)) throw new Error('a blob from before the restart decrypted to other bytes');
    });
  },
};

const tamperCheck: Check<SealContext> = {
  id: 'tampered-ciphertext-rejected',
  title: 'decrypt rejects a blob whose ciphertext, IV or HMAC was changed',
  required: true,
  async run(context) {
    await withSeal(context, context.description.settings, async (seal) => {
      const { plaintext, forms } = rootKeyLike();
      const blob = await seal.encrypt(plaintext);
      const variants: Array<[string, BlobInfo]> = [
        ['a blob with its first ciphertext byte changed', { ...blob, ciphertext: flipped(blob.ciphertext, 0) }],
        ['a blob with its last ciphertext byte changed', { ...blob, ciphertext: flipped(blob.ciphertext, blob.ciphertext.length - 1) }],
        ['a blob with a truncated ciphertext', { ...blob, ciphertext: blob.ciphertext.subarray(0, blob.ciphertext.length - 1) }],
      ];
      if (blob.iv.length > 0) variants.push(['a blob with a changed IV', { ...blob, iv: flipped(blob.iv, 0) }]);
      if (blob.hmac !== undefined && blob.hmac.length > 0) variants.push(['a blob with a changed HMAC', { ...blob, hmac: flipped(blob.hmac, 0) }]);
      for (const [what, variant] of variants) await expectRejected(seal.decrypt(variant), what, forms);
    });
  },
};

const aadCheck: Check<SealContext> = {
  id: 'aad-bound',
  title: 'decrypt rejects a blob given other associated data',
  required: false,
  async run(context) {
    await withSeal(context, context.description.settings, async (seal) => {
      const { plaintext, forms } = rootKeyLike();
      const blob = await seal.encrypt(plaintext, Buffer.from('core/seal-config'));
      await expectRejected(seal.decrypt(blob, Buffer.from('core/other')), 'a blob given other associated data', forms);
    });
  },
};

const wrongKeyCheck: Check<SealContext> = {
  id: 'wrong-key-rejected',
  title: 'a seal with another key rejects the blob',
  required: true,
  async run(context) {
    const other = context.description.other_key_settings;
    if (other === undefined) throw new SkipCheck('the description gives no other_key_settings that name another key');
    const { plaintext, forms } = rootKeyLike();
    const blob = await withSeal(context, context.description.settings, (seal) => seal.encrypt(plaintext));
    await withSeal(context, other, async (seal) => {
      await expectRejected(seal.decrypt(blob), 'a blob decrypted by a seal with another key', forms);
      const relabelled: BlobInfo = { ...blob, keyInfo: { ...blob.keyInfo, keyId: await seal.keyId() } };
      await expectRejected(seal.decrypt(relabelled), 'a blob relabelled with the other seal key ID', forms);
    });
  },
};

const unreachableCheck: Check<SealContext> = {
  id: 'kms-unreachable',
  title: 'while the key service is unreachable the seal opens, and encrypt and decrypt fail without the plaintext in the error',
  required: true,
  async run(context) {
    const unreachable = context.description.unreachable_settings;
    if (unreachable === undefined) throw new SkipCheck('the description gives no unreachable_settings that make the key service unreachable');
    const { plaintext, forms } = rootKeyLike();
    const blob = await withSeal(context, context.description.settings, (seal) => seal.encrypt(plaintext));
    let seal: Seal;
    try {
      seal = await context.openSeal(unreachable);
    } catch (error) {
      throw new Error(`opening the seal failed while the key service is unreachable, so the server could not start and retry: ${error instanceof Error ? error.message : String(error)}`);
    }
    try {
      await expectRejected(seal.encrypt(plaintext), 'encrypt while the key service is unreachable', forms);
      await expectRejected(seal.decrypt(blob), 'decrypt while the key service is unreachable', forms);
    } finally {
      await seal.close();
    }
  },
};

async function sealStatus(address: string): Promise<any> {
  return new CofferHttp(address, '').expect([200], 'GET', 'sys/seal-status', undefined, { token: null });
}

const serverInitCheck: Check<SealContext> = {
  id: 'server-init',
  title: 'a server with the seal initializes with recovery keys and unseals',
  required: true,
  async run(context) {
    const server = await context.startServer();
    context.state.server = server;
    const before = await sealStatus(server.address);
    if (before.recovery_seal !== true) throw new Error(`sys/seal-status returned recovery_seal ${before.recovery_seal}, expected true for an auto seal`);
    if (before.initialized !== false) throw new Error('the server is initialized before sys/init');

    const init = await new CofferHttp(server.address, '').expect([200], 'PUT', 'sys/init', { recovery_shares: 3, recovery_threshold: 2 }, { token: null });
    if (!Array.isArray(init.keys) || init.keys.length !== 0) throw new Error(`sys/init returned unseal keys ${describeBody(init.keys)}, expected none for an auto seal`);
    if (!Array.isArray(init.recovery_keys) || init.recovery_keys.length !== 3) throw new Error(`sys/init returned ${init.recovery_keys?.length ?? 0} recovery keys, expected 3`);
    context.state.rootToken = init.root_token;

    const after = await sealStatus(server.address);
    if (after.sealed !== false) throw new Error('the server is still sealed after sys/init');
    const http = new CofferHttp(server.address, init.root_token);
    await http.expect([204], 'POST', 'sys/mounts/certify-kv', { type: 'kv' });
    await http.expect([204], 'PUT', 'certify-kv/seal', SECRET);
  },
};

const serverRestartCheck: Check<SealContext> = {
  id: 'server-restart-unseals',
  title: 'the server restarts and unseals itself with the seal',
  required: true,
  async run(context) {
    const first = context.state.server;
    const rootToken = context.state.rootToken;
    if (first === undefined || rootToken === undefined) throw new Error('no server to restart: the server-init check failed');
    await first.close();
    context.state.server = undefined;

    const server = await context.startServer();
    context.state.server = server;
    const deadline = Date.now() + UNSEAL_WAIT_MS;
    while ((await sealStatus(server.address)).sealed !== false) {
      if (Date.now() > deadline) throw new Error(`the restarted server was still sealed after ${UNSEAL_WAIT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const read = await new CofferHttp(server.address, rootToken).expect([200], 'GET', 'certify-kv/seal');
    if (read?.data?.certify !== SECRET.certify) throw new Error(`the secret written before the restart reads back as ${describeBody(read?.data)}`);
  },
};

/** The seal suite in the order it runs; the restart check uses the server of the init check. */
export const sealChecks: readonly Check<SealContext>[] = [
  roundTripCheck,
  keyIdCheck,
  tamperCheck,
  aadCheck,
  wrongKeyCheck,
  unreachableCheck,
  serverInitCheck,
  serverRestartCheck,
].map(skippableByDescription);
