/**
 * otpauth:// key URIs, the format authenticator apps scan from a QR code:
 * `otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`.
 * The format comes from Google Authenticator's "Key Uri Format" page; Vault
 * writes and reads the same parameters.
 */
import { badRequest } from '@coffer/sdk';
import type { Algorithm, Digits } from './otp.js';

/** The settings an otpauth URL carries for a new key. */
export interface KeyUrlSettings {
  issuer: string;
  accountName: string;
  /** The key as unpadded base32. */
  secret: string;
  algorithm: Algorithm;
  digits: Digits;
  period: number;
}

/** The settings of an imported otpauth URL. A parameter the URL leaves out is `undefined`. */
export interface ParsedKeyUrl {
  issuer: string | undefined;
  accountName: string;
  secret: string | undefined;
  algorithm: string | undefined;
  digits: number | undefined;
  period: number | undefined;
}

/**
 * Builds the URL of a generated key. The label is `issuer:account`, each
 * part percent-encoded so that a colon inside it cannot move the split; `@`
 * stays readable, as in Vault's URLs. Query parameters come in name order,
 * as Vault's OTP library (github.com/pquerna/otp) writes them.
 */
export function buildKeyUrl(settings: KeyUrlSettings): string {
  const label = `${encodeLabelPart(settings.issuer)}:${encodeLabelPart(settings.accountName)}`;
  const query = [
    ['algorithm', settings.algorithm],
    ['digits', String(settings.digits)],
    ['issuer', settings.issuer],
    ['period', String(settings.period)],
    ['secret', settings.secret],
  ]
    .map(([name, value]) => `${name}=${encodeURIComponent(value!)}`)
    .join('&');
  return `otpauth://totp/${label}?${query}`;
}

/**
 * Reads the settings of an imported key from its otpauth URL, with Vault's
 * precedence: the `issuer` parameter wins over the label's issuer part.
 *
 * @throws CofferError (400) naming the url field and the problem. Messages
 *   never repeat the URL, because it contains the key.
 */
export function parseKeyUrl(text: string): ParsedKeyUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badRequest('the url value is not a valid URL: use the form otpauth://totp/ISSUER:ACCOUNT?secret=BASE32');
  }
  if (url.protocol !== 'otpauth:' || url.host.toLowerCase() !== 'totp') {
    throw badRequest('the url value must start with otpauth://totp/: only TOTP key URLs are supported');
  }

  // Split the label before decoding it, so an encoded colon (%3A) stays part of a name.
  const label = url.pathname.replace(/^\//, '');
  const colon = label.indexOf(':');
  const labelIssuer = colon === -1 ? undefined : decodeLabelPart(label.slice(0, colon));
  const accountName = decodeLabelPart(colon === -1 ? label : label.slice(colon + 1));

  const parameters = url.searchParams;
  const issuerParameter = parameters.get('issuer');
  return {
    issuer: issuerParameter !== null && issuerParameter !== '' ? issuerParameter : labelIssuer,
    accountName,
    secret: nonEmpty(parameters.get('secret')),
    algorithm: nonEmpty(parameters.get('algorithm')),
    digits: parseIntegerParameter(parameters.get('digits'), 'digits'),
    period: parseIntegerParameter(parameters.get('period'), 'period'),
  };
}

/** Percent-encodes one part of the label, keeping `@` as it is. */
function encodeLabelPart(part: string): string {
  return encodeURIComponent(part).replaceAll('%40', '@');
}

function decodeLabelPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw badRequest('the url value has an invalid percent-encoding in its label');
  }
}

function nonEmpty(value: string | null): string | undefined {
  return value === null || value === '' ? undefined : value;
}

/** Parses a decimal parameter as Go's `strconv.Atoi` does in Vault, keeping Vault's message. */
function parseIntegerParameter(value: string | null, name: 'digits' | 'period'): number | undefined {
  if (value === null || value === '') return undefined;
  const number = /^[+-]?\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw badRequest(`an error occurred while parsing ${name} value in url: expected an integer`);
  return number;
}
