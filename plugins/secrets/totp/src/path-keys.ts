/**
 * `keys/` and `keys/:name`: list, create, read and delete keys.
 */
import { randomBytes } from 'node:crypto';
import { badRequest, definePath, nameSegment, type FieldData, type FieldMap, type PathDefinition, type Response } from '@coffer/sdk';
import { buildKeyUrl, parseKeyUrl } from './key-url.js';
import { deleteKey, listKeys, readKey, writeKey, type TotpKey } from './keys.js';
import { ALGORITHMS, decodeBase32, encodeBase32, isAlgorithm, isDigits } from './otp.js';
import { MAX_QR_SIZE, renderQrPng } from './qr.js';

/**
 * Maximum key size in bytes, generated or imported. Vault sets no maximum.
 * This one bounds the memory of one request, and a 1024-byte key still fits
 * a QR code when the issuer and account name are short.
 */
export const MAX_KEY_BYTES = 1024;

const KEY_FIELDS = {
  name: { type: 'string', description: 'Name of the key.' },
  generate: { type: 'bool', default: false, description: 'Generate the key here (true) or import one through key or url (false).' },
  exported: { type: 'bool', default: true, description: 'Return the url and a QR code of a generated key. Only used if generate is true.' },
  key_size: { type: 'int', default: 20, description: `Size in bytes of a generated key, from 1 to ${MAX_KEY_BYTES}. Only used if generate is true.` },
  url: { type: 'string', description: 'An otpauth://totp/ URL with the key and its settings, which override the other fields. Only used if generate is false.' },
  key: { type: 'string', description: 'The key in base32, required if generate is false and url is empty.' },
  issuer: { type: 'string', description: 'Name of the organization that issued the key. Required if generate is true.' },
  account_name: { type: 'string', description: 'Name of the account the key belongs to. Required if generate is true.' },
  period: { type: 'duration', default: 30, description: 'Length of a time step in seconds, or a duration such as "1m".' },
  algorithm: { type: 'string', default: 'SHA1', description: `Hash algorithm of the HMAC: ${ALGORITHMS.join(', ')}.` },
  digits: { type: 'int', default: 6, description: 'Number of digits in a code: 6 or 8.' },
  skew: { type: 'int', default: 1, description: 'Time steps before and after the current one in which a code is still accepted: 0 or 1.' },
  qr_size: {
    type: 'int',
    default: 200,
    description: `Width and height in pixels of the QR code of a generated key, at most ${MAX_QR_SIZE}; 0 returns no QR code. Only used if generate and exported are true.`,
  },
} as const;

type KeyFields = FieldData<typeof KEY_FIELDS>;

/** Declares `keys/`, which lists the key names. */
export function pathListKeys(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'keys/?',
    fields: {},
    operations: {
      list: async (request) => {
        const names = await listKeys(request.storage);
        return names.length === 0 ? null : { data: { keys: names } };
      },
    },
    helpSynopsis: 'List the names of the keys.',
    helpDescription: 'Lists the names of the keys of the mount, never the keys themselves.',
  });
}

/** Declares `keys/:name`, which creates, reads and deletes one key. */
export function pathKeys(): PathDefinition<FieldMap> {
  return definePath({
    pattern: `keys/${nameSegment('name')}`,
    fields: KEY_FIELDS,
    operations: {
      update: async (request, fields) => {
        const { key, url } = settingsFromRequest(fields);
        // The QR code is drawn before the write, so a url too long for one changes nothing.
        const response = url === undefined ? null : await exportedKeyResponse(url, fields.get('qr_size'));
        await writeKey(request.storage, fields.get('name'), key);
        return response;
      },
      read: async (request, fields) => {
        const key = await readKey(request.storage, fields.get('name'));
        if (key === null) return null;
        return {
          data: { issuer: key.issuer, account_name: key.account_name, period: key.period, algorithm: key.algorithm, digits: key.digits },
        };
      },
      delete: async (request, fields) => {
        await deleteKey(request.storage, fields.get('name'));
        return null;
      },
    },
    helpSynopsis: 'Create, read and delete a named key.',
    helpDescription: `
A write generates a new key (generate=true) or imports one from a base32 key or
an otpauth:// URL, and replaces any key of the same name. A generated key is
returned only as its url and a QR code of it, and only when exported is true.
A read returns the key's settings, never the key.`,
  });
}

/**
 * Checks the request in Vault's order and returns the key to store, with
 * the URL to return when the key was generated with exported=true.
 *
 * @throws CofferError (400) naming the first field that is wrong.
 */
function settingsFromRequest(fields: KeyFields): { key: TotpKey; url?: string } {
  const generate = fields.get('generate');
  const imported = importedSettings(fields, generate);
  const { digits, algorithm, period, skew } = imported;

  if (!isDigits(digits)) throw badRequest(`the digits value can only be 6 or 8, not ${digits}`);
  if (!isAlgorithm(algorithm)) throw badRequest(`the algorithm value is not valid: use ${ALGORITHMS.join(', ')}`);
  if (period <= 0) throw badRequest('the period value must be greater than zero');
  if (!Number.isSafeInteger(period)) throw badRequest(`the period value must be at most ${Number.MAX_SAFE_INTEGER} seconds`);
  if (skew !== 0 && skew !== 1) throw badRequest('the skew value must be 0 or 1');
  checkSizes(fields.get('qr_size'), fields.get('key_size'));

  const settings = { issuer: imported.issuer, account_name: imported.accountName, period, algorithm, digits, skew };
  if (!generate) return { key: { key: importedKey(imported.key, imported.fromUrl), ...settings } };

  if (settings.account_name === '') throw badRequest('the account_name value is required for generated keys');
  if (settings.issuer === '') throw badRequest('the issuer value is required for generated keys');
  const secret = encodeBase32(randomBytes(fields.get('key_size')));
  const key = { key: secret, ...settings };
  if (!fields.get('exported')) return { key };
  return { key, url: buildKeyUrl({ ...settings, accountName: settings.account_name, secret }) };
}

interface ImportedSettings {
  key: string;
  fromUrl: boolean;
  issuer: string;
  accountName: string;
  period: number;
  digits: number;
  algorithm: string;
  skew: number;
}

/** Merges the fields with the settings of `url`, which win, as in Vault. */
function importedSettings(fields: KeyFields, generate: boolean): ImportedSettings {
  const key = fields.get('key');
  const url = fields.get('url');
  if (generate && key !== '') throw badRequest('a key should not be passed if generate is true');
  if (generate && url !== '') throw badRequest('a url should not be passed if generate is true');
  if (key !== '' && url !== '') throw badRequest('a key should not be passed together with a url: the url carries the key');

  const settings: ImportedSettings = {
    key,
    fromUrl: false,
    issuer: fields.get('issuer'),
    accountName: fields.get('account_name'),
    period: fields.get('period'),
    digits: fields.get('digits'),
    algorithm: fields.get('algorithm'),
    skew: fields.get('skew'),
  };
  if (url === '') return settings;

  const parsed = parseKeyUrl(url);
  return {
    ...settings,
    key: parsed.secret ?? '',
    fromUrl: true,
    issuer: parsed.issuer ?? settings.issuer,
    accountName: parsed.accountName,
    period: parsed.period ?? settings.period,
    digits: parsed.digits ?? settings.digits,
    algorithm: parsed.algorithm ?? settings.algorithm,
  };
}

function checkSizes(qrSize: number, keySize: number): void {
  if (qrSize < 0) throw badRequest('the qr_size value must be greater than or equal to zero');
  if (qrSize > MAX_QR_SIZE) throw badRequest(`the qr_size value must be at most ${MAX_QR_SIZE}`);
  if (keySize <= 0) throw badRequest('the key_size value must be greater than zero');
  if (keySize > MAX_KEY_BYTES) throw badRequest(`the key_size value must be at most ${MAX_KEY_BYTES}`);
}

/**
 * Checks an imported base32 key and returns it in the stored form: uppercase
 * without padding.
 *
 * @throws CofferError (400) naming the key (or url) field and the problem,
 *   never the key itself.
 */
function importedKey(text: string, fromUrl: boolean): string {
  if (text === '') throw badRequest(fromUrl ? 'the url value has no secret parameter' : 'the key value is required');

  const field = fromUrl ? 'secret value in url' : 'key value';
  const decoded = decodeBase32(text);
  if ('problem' in decoded) throw badRequest(`invalid ${field}: ${decoded.problem}`);
  if (decoded.bytes.length === 0) throw badRequest(`invalid ${field}: the key is empty`);
  if (decoded.bytes.length > MAX_KEY_BYTES) throw badRequest(`invalid ${field}: the key is longer than ${MAX_KEY_BYTES} bytes`);
  return encodeBase32(decoded.bytes);
}

async function exportedKeyResponse(url: string, qrSize: number): Promise<Response> {
  if (qrSize === 0) return { data: { url } };
  const barcode = await renderQrPng(url, qrSize);
  return { data: { url, barcode: barcode.toString('base64') } };
}
