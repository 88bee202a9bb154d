/**
 * RADIUS packets as RFC 2865 defines them, for the client side of an
 * Access-Request: encoding with a hidden User-Password and a
 * Message-Authenticator (RFC 3579), and verification of the response.
 *
 * A packet is Code (1 byte), Identifier (1), Length (2, big-endian),
 * Authenticator (16) and then attributes of Type (1), Length (1) and Value.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const CODE_ACCESS_REQUEST = 1;
export const CODE_ACCESS_ACCEPT = 2;
export const CODE_ACCESS_REJECT = 3;
export const CODE_ACCESS_CHALLENGE = 11;

export const ATTRIBUTE_USER_NAME = 1;
export const ATTRIBUTE_USER_PASSWORD = 2;
export const ATTRIBUTE_NAS_PORT = 5;
export const ATTRIBUTE_NAS_IDENTIFIER = 32;
export const ATTRIBUTE_MESSAGE_AUTHENTICATOR = 80;

const HEADER_LENGTH = 20;
const AUTHENTICATOR_OFFSET = 4;
const AUTHENTICATOR_LENGTH = 16;
/** RFC 2865 section 3: packets are 20 to 4096 bytes long. */
const MAX_PACKET_LENGTH = 4096;
/** RFC 2865 section 5.2: the hidden password is 16 to 128 bytes. */
export const MAX_PASSWORD_LENGTH = 128;
/** An attribute value has at most 253 bytes, since its length byte covers the 2-byte header. */
export const MAX_ATTRIBUTE_LENGTH = 253;

export interface Attribute {
  type: number;
  value: Buffer;
}

export interface AccessRequest {
  identifier: number;
  /** The 16 random bytes of the Request Authenticator. */
  authenticator: Buffer;
  username: string;
  password: string;
  nasPort: number;
  /** Left out of the packet when empty. */
  nasIdentifier: string;
}

function md5(...parts: Buffer[]): Buffer {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/**
 * Hides a password as RFC 2865 section 5.2 specifies. The password is padded
 * with zeros to a multiple of 16 bytes. Each 16-byte block is XORed with
 * MD5(secret + previous), where previous is the Request Authenticator for
 * the first block and the previous hidden block after that.
 * @throws Error when the password is longer than 128 bytes.
 */
export function hidePassword(password: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  if (password.length > MAX_PASSWORD_LENGTH) throw new Error(`password is longer than ${MAX_PASSWORD_LENGTH} bytes`);
  const blocks = Math.max(1, Math.ceil(password.length / 16));
  const padded = Buffer.alloc(blocks * 16);
  password.copy(padded);

  const hidden = Buffer.alloc(padded.length);
  let previous = requestAuthenticator;
  for (let offset = 0; offset < padded.length; offset += 16) {
    const mask = md5(secret, previous);
    for (let i = 0; i < 16; i++) hidden[offset + i] = padded[offset + i] ^ mask[i];
    previous = hidden.subarray(offset, offset + 16);
  }
  return hidden;
}

function attribute(type: number, value: Buffer): Buffer {
  if (value.length > MAX_ATTRIBUTE_LENGTH) throw new Error(`attribute ${type} is longer than ${MAX_ATTRIBUTE_LENGTH} bytes`);
  return Buffer.concat([Buffer.from([type, value.length + 2]), value]);
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

/**
 * Encodes an Access-Request with User-Name, the hidden User-Password,
 * NAS-Port, NAS-Identifier when set, and a Message-Authenticator. The
 * Message-Authenticator (RFC 3579 section 3.2) is the HMAC-MD5, keyed with
 * the secret, of the whole packet with its own value zeroed. It protects
 * the request against the forgery known as BlastRADIUS (CVE-2024-3596).
 */
export function encodeAccessRequest(request: AccessRequest, secret: Buffer): Buffer {
  const attributes = [
    attribute(ATTRIBUTE_USER_NAME, Buffer.from(request.username, 'utf8')),
    attribute(ATTRIBUTE_USER_PASSWORD, hidePassword(Buffer.from(request.password, 'utf8'), secret, request.authenticator)),
    attribute(ATTRIBUTE_NAS_PORT, uint32(request.nasPort)),
  ];
  if (request.nasIdentifier !== '') attributes.push(attribute(ATTRIBUTE_NAS_IDENTIFIER, Buffer.from(request.nasIdentifier, 'utf8')));
  // The Message-Authenticator goes first, as RFC 3579 recommends, with a zeroed value until the HMAC is known.
  const messageAuthenticator = attribute(ATTRIBUTE_MESSAGE_AUTHENTICATOR, Buffer.alloc(16));

  const body = Buffer.concat([messageAuthenticator, ...attributes]);
  const packet = Buffer.alloc(HEADER_LENGTH + body.length);
  packet[0] = CODE_ACCESS_REQUEST;
  packet[1] = request.identifier;
  packet.writeUInt16BE(packet.length, 2);
  request.authenticator.copy(packet, AUTHENTICATOR_OFFSET);
  body.copy(packet, HEADER_LENGTH);

  createHmac('md5', secret).update(packet).digest().copy(packet, HEADER_LENGTH + 2);
  return packet;
}

export interface ParsedPacket {
  code: number;
  identifier: number;
  attributes: Attribute[];
}

/**
 * Parses a packet's header and attributes.
 * @throws Error naming the problem when the packet is malformed.
 */
export function parsePacket(packet: Buffer): ParsedPacket {
  if (packet.length < HEADER_LENGTH) throw new Error(`packet of ${packet.length} bytes is shorter than the 20-byte header`);
  const length = packet.readUInt16BE(2);
  // RFC 2865 section 3: octets beyond Length are padding and ignored; a shorter packet is silently discarded.
  if (length < HEADER_LENGTH || length > MAX_PACKET_LENGTH || length > packet.length) throw new Error(`invalid packet length ${length}`);

  const attributes: Attribute[] = [];
  for (let offset = HEADER_LENGTH; offset < length; ) {
    if (offset + 2 > length) throw new Error('truncated attribute header');
    const attributeLength = packet[offset + 1];
    if (attributeLength < 2 || offset + attributeLength > length) throw new Error(`invalid length ${attributeLength} of attribute ${packet[offset]}`);
    attributes.push({ type: packet[offset], value: packet.subarray(offset + 2, offset + attributeLength) });
    offset += attributeLength;
  }
  return { code: packet[0], identifier: packet[1], attributes };
}

/**
 * Verifies a response to a request. Its identifier must match the request's.
 * Its Response Authenticator must equal MD5(Code + Identifier + Length +
 * Request Authenticator + Attributes + secret), as RFC 2865 section 3
 * specifies. A Message-Authenticator, when present, must be the HMAC-MD5 of
 * the packet with the Request Authenticator in the header and its own value
 * zeroed. Authenticators are compared in constant time.
 * @returns the parsed packet, or a reason to discard it.
 */
export function verifyResponse(
  response: Buffer,
  requestIdentifier: number,
  requestAuthenticator: Buffer,
  secret: Buffer,
): { packet: ParsedPacket } | { problem: string } {
  let packet: ParsedPacket;
  try {
    packet = parsePacket(response);
  } catch (err) {
    return { problem: `malformed response: ${(err as Error).message}` };
  }
  if (packet.identifier !== requestIdentifier) return { problem: `response identifier ${packet.identifier} does not match request identifier ${requestIdentifier}` };

  const length = response.readUInt16BE(2);
  const received = response.subarray(AUTHENTICATOR_OFFSET, AUTHENTICATOR_OFFSET + AUTHENTICATOR_LENGTH);
  const expected = md5(response.subarray(0, AUTHENTICATOR_OFFSET), requestAuthenticator, response.subarray(HEADER_LENGTH, length), secret);
  if (!timingSafeEqual(received, expected)) return { problem: 'invalid response authenticator' };

  const signatures = packet.attributes.filter((item) => item.type === ATTRIBUTE_MESSAGE_AUTHENTICATOR);
  if (signatures.length > 1) return { problem: 'more than one Message-Authenticator' };
  if (signatures.length === 1 && !messageAuthenticatorValid(response.subarray(0, length), requestAuthenticator, secret)) {
    return { problem: 'invalid Message-Authenticator' };
  }
  return { packet };
}

function messageAuthenticatorValid(response: Buffer, requestAuthenticator: Buffer, secret: Buffer): boolean {
  const copy = Buffer.from(response);
  requestAuthenticator.copy(copy, AUTHENTICATOR_OFFSET);
  let received: Buffer | undefined;
  for (let offset = HEADER_LENGTH; offset < copy.length; offset += copy[offset + 1]) {
    if (copy[offset] !== ATTRIBUTE_MESSAGE_AUTHENTICATOR) continue;
    if (copy[offset + 1] !== 18) return false;
    received = Buffer.from(copy.subarray(offset + 2, offset + 18));
    copy.fill(0, offset + 2, offset + 18);
  }
  if (received === undefined) return false;
  return timingSafeEqual(received, createHmac('md5', secret).update(copy).digest());
}
