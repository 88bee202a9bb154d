/**
 * OpenSSH certificates, as PROTOCOL.certkeys in OpenSSH's sources defines
 * them: the `*-cert-v01@openssh.com` key types, whose body is a nonce, the
 * certified public key's fields, serial, type, key id, principals,
 * validity, critical options, extensions, a reserved string, the CA's public
 * key and the CA's signature over everything before it.
 */
import { randomBytes } from 'node:crypto';
import { sshSign, type RsaSignatureAlgorithm, type SshKeyPair } from './private-keys.js';
import { authorizedKeyLine, type SshPublicKey } from './ssh-keys.js';
import { SshReader, SshWriter } from './ssh-wire.js';

/** The certificate types of PROTOCOL.certkeys. */
export const USER_CERTIFICATE = 1;
export const HOST_CERTIFICATE = 2;

/** Everything a certificate states about the key it certifies. */
export interface CertificateTemplate {
  publicKey: SshPublicKey;
  serial: bigint;
  type: typeof USER_CERTIFICATE | typeof HOST_CERTIFICATE;
  keyId: string;
  principals: string[];
  /** Seconds since the Unix epoch. */
  validAfter: number;
  /** Seconds since the Unix epoch. */
  validBefore: number;
  criticalOptions: Record<string, string>;
  extensions: Record<string, string>;
}

/** A signed certificate. */
export interface SignedCertificate {
  /** The certificate key type, such as `ssh-ed25519-cert-v01@openssh.com`. */
  type: string;
  blob: Buffer;
  /** One authorized_keys line with a trailing newline, as Vault's `signed_key`. */
  line: string;
  serial: bigint;
}

/**
 * Encodes critical options or extensions: name and data pairs sorted by
 * name, as PROTOCOL.certkeys requires. A non-empty value is itself wrapped
 * as an SSH string inside the data field, and an empty value stays empty.
 */
function encodeOptions(options: Record<string, string>): Buffer {
  const writer = new SshWriter();
  const names = Object.keys(options).sort((left, right) => Buffer.compare(Buffer.from(left), Buffer.from(right)));
  for (const name of names) {
    const value = options[name]!;
    writer.string(name).string(value === '' ? Buffer.alloc(0) : new SshWriter().string(value).toBuffer());
  }
  return writer.toBuffer();
}

/** Returns the fields of the certified key that follow the nonce: the key blob without its type name. */
function keyFields(publicKey: SshPublicKey): Buffer {
  const reader = new SshReader(publicKey.blob);
  reader.string();
  return reader.rest();
}

/**
 * Builds and signs a certificate for `template` with the CA key pair.
 * `rsaAlgorithm` chooses the signature hash of an RSA CA key.
 */
export function signCertificate(template: CertificateTemplate, ca: SshKeyPair, rsaAlgorithm?: RsaSignatureAlgorithm): SignedCertificate {
  const type = `${template.publicKey.type}-cert-v01@openssh.com`;
  const principals = new SshWriter();
  for (const principal of template.principals) principals.string(principal);

  const body = new SshWriter()
    .string(type)
    .string(randomBytes(32))
    .raw(keyFields(template.publicKey))
    .uint64(template.serial)
    .uint32(template.type)
    .string(template.keyId)
    .string(principals.toBuffer())
    .uint64(BigInt(Math.max(0, template.validAfter)))
    .uint64(BigInt(template.validBefore))
    .string(encodeOptions(template.criticalOptions))
    .string(encodeOptions(template.extensions))
    .string('')
    .string(ca.publicKey.blob)
    .toBuffer();

  const signature = sshSign(ca, body, rsaAlgorithm);
  const blob = new SshWriter().raw(body).string(signature).toBuffer();
  return { type, blob, line: authorizedKeyLine(type, blob), serial: template.serial };
}

/** Returns a random serial number that is not zero, since zero means the CA uses no serials. */
export function randomSerial(): bigint {
  for (;;) {
    const serial = randomBytes(8).readBigUInt64BE();
    if (serial !== 0n) return serial;
  }
}
