/**
 * Root token generation: a quorum of key holders creates a new root token
 * without any existing token. The holders submit unseal key shares, or
 * recovery key shares with an auto-unseal seal. Once the threshold is met
 * and the shares prove correct, a root token is created. It is returned
 * XORed with a one-time password (OTP), so only the holder of the OTP can
 * read it.
 *
 * The encoding follows Vault 1.10 and later: the OTP is a base62 string as
 * long as a root token, the token's characters are XORed with the OTP's, and
 * the result is sent as base64 without padding.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { badRequest } from '@coffer/sdk';
import { decodeShare, ShareCollector } from './key-shares.js';

/** Length of a root token: `hvs.` and 24 base62 characters. The OTP must match it. */
export const ROOT_TOKEN_LENGTH = 28;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The largest multiple of 62 below 256; bytes at or above it are redrawn to avoid modulo bias. */
const BASE62_LIMIT = 248;

/** Callbacks that root generation makes into the core and the seal. */
export interface RootGenerationHooks {
  /** Number of key shares that authorize a generation. */
  threshold(): number;
  /**
   * Checks that the collected shares combine to the right key.
   * @throws CofferError (400) when they do not.
   */
  verify(collector: ShareCollector): Promise<void>;
  /** Creates a new root token in the token store. */
  createRootToken(): Promise<string>;
}

/** The body of `sys/generate-root/attempt` and `sys/generate-root/update`, as Vault returns it. */
export interface RootGenerationStatus {
  started: boolean;
  nonce: string;
  progress: number;
  required: number;
  encoded_token: string;
  encoded_root_token: string;
  pgp_fingerprint: string;
  /** The OTP the server generated; set only in the response that started the attempt. */
  otp: string;
  otp_length: number;
  complete: boolean;
}

interface Attempt {
  readonly nonce: string;
  readonly otp: string;
  collector: ShareCollector;
}

/** Makes a random base62 string of `length` characters. */
export function randomBase62(length: number): string {
  let text = '';
  while (text.length < length) {
    for (const byte of randomBytes(length)) {
      if (byte >= BASE62_LIMIT) continue;
      text += BASE62[byte % 62];
      if (text.length === length) break;
    }
  }
  return text;
}

/**
 * XORs `token` with `otp` character by character and returns unpadded
 * base64. Both must have the same length.
 */
export function encodeToken(token: string, otp: string): string {
  const tokenBytes = Buffer.from(token, 'utf8');
  const otpBytes = Buffer.from(otp, 'utf8');
  if (tokenBytes.length !== otpBytes.length) {
    throw new Error(`token and OTP lengths differ: ${tokenBytes.length} and ${otpBytes.length} bytes`);
  }
  const encoded = Buffer.alloc(tokenBytes.length);
  for (let i = 0; i < encoded.length; i++) encoded[i] = tokenBytes[i] ^ otpBytes[i];
  return encoded.toString('base64').replace(/=+$/, '');
}

/** Reverses `encodeToken`. */
export function decodeToken(encoded: string, otp: string): string {
  const encodedBytes = Buffer.from(encoded, 'base64');
  const otpBytes = Buffer.from(otp, 'utf8');
  if (encodedBytes.length !== otpBytes.length) {
    throw new Error(`encoded token and OTP lengths differ: ${encodedBytes.length} and ${otpBytes.length} bytes`);
  }
  const token = Buffer.alloc(encodedBytes.length);
  for (let i = 0; i < token.length; i++) token[i] = encodedBytes[i] ^ otpBytes[i];
  return token.toString('utf8');
}

/** One root token generation at a time, held in memory. */
export class RootGeneration {
  private attempt: Attempt | undefined;

  constructor(private readonly hooks: RootGenerationHooks) {}

  status(): RootGenerationStatus {
    return {
      started: this.attempt !== undefined,
      nonce: this.attempt?.nonce ?? '',
      progress: this.attempt?.collector.progress ?? 0,
      required: this.hooks.threshold(),
      encoded_token: '',
      encoded_root_token: '',
      pgp_fingerprint: '',
      otp: '',
      otp_length: ROOT_TOKEN_LENGTH,
      complete: false,
    };
  }

  /**
   * Starts an attempt. Without `otp` the server generates one and returns
   * it in this response only.
   * @throws CofferError (400) when an attempt is in progress or the OTP has
   *   the wrong length.
   */
  start(otp: string): RootGenerationStatus {
    if (this.attempt !== undefined) {
      throw badRequest('root token generation already in progress: cancel it first with DELETE sys/generate-root/attempt');
    }
    const generated = otp === '';
    if (!generated && otp.length !== ROOT_TOKEN_LENGTH) {
      throw badRequest(
        `invalid "otp": must be ${ROOT_TOKEN_LENGTH} characters, the length of a root token, but has ${otp.length}; ` +
          'omit it to let the server generate one',
      );
    }

    const attemptOtp = generated ? randomBase62(ROOT_TOKEN_LENGTH) : otp;
    this.attempt = { nonce: randomUUID(), otp: attemptOtp, collector: new ShareCollector(this.hooks.threshold()) };
    return { ...this.status(), otp: generated ? attemptOtp : '' };
  }

  /** Cancels the attempt in progress, if any, and wipes its shares. */
  cancel(): void {
    this.attempt?.collector.reset();
    this.attempt = undefined;
  }

  /**
   * Adds one key share. Once the threshold is reached and the shares are
   * correct, creates a root token and returns it encoded with the OTP. Wrong
   * shares reset the progress but keep the attempt, as Vault does.
   */
  async submit(keyText: string, nonce: string): Promise<RootGenerationStatus> {
    const attempt = this.attempt;
    if (attempt === undefined) throw badRequest('no root token generation in progress: start one with PUT sys/generate-root/attempt');
    if (nonce !== attempt.nonce) {
      throw badRequest(`invalid "nonce" "${nonce}": it does not match the root token generation in progress`);
    }
    const share = decodeShare(keyText, attempt.collector.threshold);
    if (!attempt.collector.add(share)) {
      share.fill(0);
      throw badRequest('invalid "key": this key share was already submitted to the root token generation');
    }
    share.fill(0);
    if (!attempt.collector.complete) return this.status();

    // Swap in an empty collector before the first await, so a share that
    // arrives meanwhile starts a new round instead of completing this one twice.
    const collector = attempt.collector;
    attempt.collector = new ShareCollector(collector.threshold);
    try {
      await this.hooks.verify(collector);
    } finally {
      collector.reset();
    }
    if (this.attempt !== attempt) throw badRequest('root token generation was canceled while the key shares were checked; start again');
    this.attempt = undefined;

    const encoded = encodeToken(await this.hooks.createRootToken(), attempt.otp);
    return {
      started: true,
      nonce: attempt.nonce,
      progress: collector.threshold,
      required: collector.threshold,
      encoded_token: encoded,
      encoded_root_token: encoded,
      pgp_fingerprint: '',
      otp: '',
      otp_length: ROOT_TOKEN_LENGTH,
      complete: true,
    };
  }
}
