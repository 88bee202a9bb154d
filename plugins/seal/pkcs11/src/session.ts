/**
 * Loading a PKCS#11 library, opening a logged-in session on the configured
 * token, and finding or generating the seal's keys in it.
 */
import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { CKM_AES_GCM, CKM_RSA_PKCS_OAEP, type Pkcs11Settings } from './settings.js';

type Handle = Buffer;

/**
 * A PKCS#11 library may be initialized only once per process, so every seal
 * on the same library shares one module and the last to close finalizes it.
 * The module stays loaded afterwards because some libraries do not survive
 * being unloaded and loaded again.
 */
const libraries = new Map<string, { module: pkcs11js.PKCS11; users: number }>();

function acquireLibrary(path: string): pkcs11js.PKCS11 {
  let entry = libraries.get(path);
  if (entry === undefined) {
    const module = new pkcs11js.PKCS11();
    module.load(path);
    entry = { module, users: 0 };
    libraries.set(path, entry);
  }
  if (entry.users === 0) entry.module.C_Initialize();
  entry.users += 1;
  return entry.module;
}

function releaseLibrary(path: string): void {
  const entry = libraries.get(path);
  if (entry === undefined || entry.users === 0) return;
  entry.users -= 1;
  if (entry.users === 0) entry.module.C_Finalize();
}

/** The encryption key: one AES key, or an RSA key pair. */
export type EncryptionKey =
  | { mechanism: typeof CKM_AES_GCM; label: string; secret: Handle }
  | { mechanism: typeof CKM_RSA_PKCS_OAEP; label: string; publicKey: Handle; privateKey: Handle };

/** An open, logged-in session and the handles of the seal's current keys. */
export interface Connection {
  module: pkcs11js.PKCS11;
  session: Handle;
  encryption: EncryptionKey;
  hmac?: { label: string; handle: Handle };
}

/** RSA modulus size for generated key pairs, in bits. */
const RSA_MODULUS_BITS = 2048;
const RSA_PUBLIC_EXPONENT = Buffer.from([0x01, 0x00, 0x01]);

/**
 * Opens a session on the configured token, logs in and loads the keys,
 * generating missing ones when `generate_key` is set.
 * @throws Error naming the step that failed; never contains the PIN.
 */
export function connect(settings: Pkcs11Settings): Connection {
  const module = acquireLibrary(settings.lib);
  let session: Handle | undefined;
  try {
    const slot = findSlot(module, settings);
    const flags = pkcs11js.CKF_SERIAL_SESSION | (settings.generateKey ? pkcs11js.CKF_RW_SESSION : 0);
    session = module.C_OpenSession(slot, flags);
    login(module, session, settings.pin);

    const encryption = loadEncryptionKey(module, session, settings, settings.keyLabel, settings.generateKey);
    const connection: Connection = { module, session, encryption };
    if (settings.hmacKeyLabel !== undefined) {
      connection.hmac = { label: settings.hmacKeyLabel, handle: loadHmacKey(module, session, settings.hmacKeyLabel, settings.generateKey) };
    }
    return connection;
  } catch (err) {
    if (session !== undefined) closeQuietly(module, session);
    releaseLibrary(settings.lib);
    throw err;
  }
}

/**
 * Closes the session and releases the library. Errors are ignored: the
 * session may already be gone. There is no C_Logout: a login belongs to the
 * whole process, so logging out here would log out every other seal open on
 * the token, and PKCS#11 ends the login itself when the token's last session
 * closes.
 */
export function disconnect(settings: Pkcs11Settings, connection: Connection): void {
  closeQuietly(connection.module, connection.session);
  try {
    releaseLibrary(settings.lib);
  } catch {
    // The library reported an error while finalizing; it is finalized all the same.
  }
}

function closeQuietly(module: pkcs11js.PKCS11, session: Handle): void {
  try {
    module.C_CloseSession(session);
  } catch {
    // The session is already closed or the token was removed.
  }
}

function findSlot(module: pkcs11js.PKCS11, settings: Pkcs11Settings): Handle {
  const slots = module.C_GetSlotList(true);
  if (settings.slot !== undefined) {
    const slot = slots.find((candidate) => candidate.readBigUInt64LE(0) === settings.slot);
    if (slot === undefined) throw new Error(`no token present in slot ${settings.slot}`);
    return slot;
  }
  // Token labels are padded with spaces to 32 bytes.
  const slot = slots.find((candidate) => module.C_GetTokenInfo(candidate).label.trimEnd() === settings.tokenLabel);
  if (slot === undefined) throw new Error(`no token with label "${settings.tokenLabel}" found`);
  return slot;
}

function login(module: pkcs11js.PKCS11, session: Handle, pin: string): void {
  try {
    module.C_Login(session, pkcs11js.CKU_USER, pin);
  } catch (err) {
    // Another session of this process already logged the token in.
    if (err instanceof pkcs11js.Pkcs11Error && err.code === pkcs11js.CKR_USER_ALREADY_LOGGED_IN) return;
    throw err;
  }
}

/** Returns the handles of the objects with `label` and `objectClass`. */
function findObjects(module: pkcs11js.PKCS11, session: Handle, objectClass: number, label: string): Handle[] {
  module.C_FindObjectsInit(session, [
    { type: pkcs11js.CKA_CLASS, value: objectClass },
    { type: pkcs11js.CKA_LABEL, value: label },
  ]);
  try {
    return module.C_FindObjects(session, 2);
  } finally {
    module.C_FindObjectsFinal(session);
  }
}

function findOne(module: pkcs11js.PKCS11, session: Handle, objectClass: number, label: string, what: string): Handle | undefined {
  const found = findObjects(module, session, objectClass, label);
  if (found.length > 1) throw new Error(`more than one ${what} with label "${label}" found: give each key a unique label`);
  return found[0];
}

function keyType(module: pkcs11js.PKCS11, session: Handle, key: Handle): number {
  const [attribute] = module.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_KEY_TYPE }]);
  return attribute.value.readUInt32LE(0);
}

/**
 * Finds the encryption key with `label`, or generates it when `generate` is
 * set. Decryption passes `generate = false` for older key labels.
 */
export function loadEncryptionKey(
  module: pkcs11js.PKCS11,
  session: Handle,
  settings: Pkcs11Settings,
  label: string,
  generate: boolean,
): EncryptionKey {
  const secret = findOne(module, session, pkcs11js.CKO_SECRET_KEY, label, 'secret key');
  const privateKey = secret === undefined ? findOne(module, session, pkcs11js.CKO_PRIVATE_KEY, label, 'private key') : undefined;

  if (secret !== undefined) {
    if (keyType(module, session, secret) !== pkcs11js.CKK_AES) throw new Error(`key "${label}" is not an AES key`);
    if (settings.mechanism === CKM_RSA_PKCS_OAEP) throw new Error(`key "${label}" is an AES key, but "mechanism" is RSA-OAEP`);
    return { mechanism: CKM_AES_GCM, label, secret };
  }
  if (privateKey !== undefined) {
    if (settings.mechanism === CKM_AES_GCM) throw new Error(`key "${label}" is an RSA key, but "mechanism" is AES-GCM`);
    const publicKey = findOne(module, session, pkcs11js.CKO_PUBLIC_KEY, label, 'public key');
    if (publicKey === undefined) throw new Error(`RSA public key "${label}" not found beside its private key`);
    return { mechanism: CKM_RSA_PKCS_OAEP, label, publicKey, privateKey };
  }

  if (!generate) throw new Error(`key "${label}" not found: create it in the HSM, or set generate_key = "true"`);
  if (settings.mechanism === CKM_RSA_PKCS_OAEP) return { mechanism: CKM_RSA_PKCS_OAEP, label, ...generateRsaKeyPair(module, session, label) };
  return { mechanism: CKM_AES_GCM, label, secret: generateSecretKey(module, session, label, 'aes') };
}

function loadHmacKey(module: pkcs11js.PKCS11, session: Handle, label: string, generate: boolean): Handle {
  const found = findOne(module, session, pkcs11js.CKO_SECRET_KEY, label, 'HMAC key');
  if (found !== undefined) return found;
  if (!generate) throw new Error(`HMAC key "${label}" not found: create it in the HSM, or set generate_key = "true"`);
  return generateSecretKey(module, session, label, 'hmac');
}

/** Attributes every generated key shares: stored on the token, private, and never readable outside the HSM. */
function protectedKeyAttributes(label: string, id: Buffer): pkcs11js.Template {
  return [
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_ID, value: id },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
  ];
}

function generateSecretKey(module: pkcs11js.PKCS11, session: Handle, label: string, use: 'aes' | 'hmac'): Handle {
  const aes = use === 'aes';
  return module.C_GenerateKey(session, { mechanism: aes ? pkcs11js.CKM_AES_KEY_GEN : pkcs11js.CKM_GENERIC_SECRET_KEY_GEN }, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: aes ? pkcs11js.CKK_AES : pkcs11js.CKK_GENERIC_SECRET },
    { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
    ...protectedKeyAttributes(label, randomBytes(16)),
    { type: pkcs11js.CKA_ENCRYPT, value: aes },
    { type: pkcs11js.CKA_DECRYPT, value: aes },
    { type: pkcs11js.CKA_SIGN, value: !aes },
    { type: pkcs11js.CKA_VERIFY, value: !aes },
  ]);
}

/**
 * Generates an RSA key pair for OAEP.
 * NOTE: this calls the synchronous C_GenerateKeyPair, which blocks the event
 * loop for the generation (once, at init), because pkcs11js 2.1.7's
 * C_GenerateKeyPairAsync crashed the process against SoftHSM 2.6.1.
 */
function generateRsaKeyPair(module: pkcs11js.PKCS11, session: Handle, label: string): { publicKey: Handle; privateKey: Handle } {
  const id = randomBytes(16);
  const pair = module.C_GenerateKeyPair(
    session,
    { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
    [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_ID, value: id },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_MODULUS_BITS, value: RSA_MODULUS_BITS },
      { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: RSA_PUBLIC_EXPONENT },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_VERIFY, value: false },
    ],
    [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
      ...protectedKeyAttributes(label, id),
      { type: pkcs11js.CKA_DECRYPT, value: true },
      { type: pkcs11js.CKA_SIGN, value: false },
    ],
  );
  return { publicKey: pair.publicKey, privateKey: pair.privateKey };
}
