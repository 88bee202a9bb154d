/**
 * Rewriting a PKCS#8 RSA-PSS private key as a plain RSA one. Some tools
 * (`openssl genpkey -algorithm RSA-PSS`, some HSMs) label RSA keys with the
 * id-RSASSA-PSS algorithm, which Node.js then restricts to PSS signatures.
 * Vault imports such keys as ordinary RSA keys, so Coffer relabels them.
 * Both labels wrap the same RSAPrivateKey (RFC 8017, appendix A.1.2).
 * The DER reader here also finds where a key's outer SEQUENCE ends.
 */

/** AlgorithmIdentifier of rsaEncryption with NULL parameters. */
const RSA_ENCRYPTION_ALGORITHM = Buffer.from('300d06092a864886f70d0101010500', 'hex');

/** DER of the OID id-RSASSA-PSS, 1.2.840.113549.1.1.10. */
const RSASSA_PSS_OID = Buffer.from('06092a864886f70d01010a', 'hex');

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;

interface Element {
  tag: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the element. */
  end: number;
}

/**
 * Returns a PKCS#8 DER RSA-PSS private key relabelled as rsaEncryption, or
 * null when `pkcs8` is not a PrivateKeyInfo with the id-RSASSA-PSS algorithm.
 * Optional attributes after the private key are dropped.
 */
export function relabelRsaPssKey(pkcs8: Buffer): Buffer | null {
  const outer = readElement(pkcs8, 0);
  if (outer === null || outer.tag !== SEQUENCE || outer.end !== pkcs8.length) return null;
  const version = readElement(pkcs8, outer.contentStart);
  if (version === null || version.tag !== INTEGER) return null;
  const algorithm = readElement(pkcs8, version.end);
  if (algorithm === null || algorithm.tag !== SEQUENCE) return null;
  const oid = pkcs8.subarray(algorithm.contentStart, algorithm.contentStart + RSASSA_PSS_OID.length);
  if (!oid.equals(RSASSA_PSS_OID)) return null;
  const privateKey = readElement(pkcs8, algorithm.end);
  if (privateKey === null || privateKey.tag !== OCTET_STRING || privateKey.end > outer.end) return null;

  const content = Buffer.concat([pkcs8.subarray(outer.contentStart, version.end), RSA_ENCRYPTION_ALGORITHM, pkcs8.subarray(algorithm.end, privateKey.end)]);
  return Buffer.concat([Buffer.from([SEQUENCE]), encodeLength(content.length), content]);
}

/**
 * Returns the offset just past the DER SEQUENCE at the start of `der`, or
 * null when it does not start with one. OpenSSL parses that first element
 * and ignores any bytes after it.
 */
export function leadingSequenceEnd(der: Buffer): number | null {
  const outer = readElement(der, 0);
  return outer !== null && outer.tag === SEQUENCE ? outer.end : null;
}

/** Reads the tag and definite length of the DER element at `offset`, or returns null when they do not fit in `data`. */
function readElement(data: Buffer, offset: number): Element | null {
  if (offset + 2 > data.length) return null;
  const tag = data[offset];
  const first = data[offset + 1];
  let length = first;
  let contentStart = offset + 2;
  if (first >= 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4 || contentStart + count > data.length) return null;
    length = 0;
    for (let index = 0; index < count; index++) length = length * 256 + data[contentStart + index];
    contentStart += count;
  }
  const end = contentStart + length;
  return end > data.length ? null : { tag, contentStart, end };
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
