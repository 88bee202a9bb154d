import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeStandardBase64, type Base64Result } from './base64.js';

/** The character-class check that decodeStandardBase64 must agree with on every input. */
function referenceDecode(text: string): Base64Result {
  const compact = text.replace(/[\r\n]/g, '');
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  const body = compact.slice(0, compact.length - padding);
  if (!/^[A-Za-z0-9+/]*$/.test(body)) return { problem: 'illegal character' };
  if (compact.length % 4 !== 0) return { problem: 'bad length' };
  return { bytes: Buffer.from(compact, 'base64') };
}

/**
 * Characters that exercise each way the fast path could go wrong: the
 * alphabet's edges, padding, Node's URL-safe extras, whitespace, and
 * characters whose low byte is a base64 letter ("\u0144" ends in 0x44, "D").
 */
const TRICKY = ['A', 'Q', 'z', '0', '+', '/', '=', '-', '_', ' ', '\t', '\r', '\n', '\0', '.', '\u00e9', '\u00ff', '\u0100', '\u012b', '\u0131', '\u0141', '\u0144', '\ud83d'];

function assertAgrees(text: string): void {
  const expected = referenceDecode(text);
  const actual = decodeStandardBase64(text);
  if ('bytes' in expected) {
    assert.ok('bytes' in actual, `${JSON.stringify(text)} was rejected`);
    assert.ok(actual.bytes.equals(expected.bytes), `${JSON.stringify(text)} decoded to other bytes`);
  } else {
    assert.ok('problem' in actual, `${JSON.stringify(text)} was accepted`);
  }
}

describe('decodeStandardBase64', () => {
  test('decodes valid input', () => {
    assert.deepEqual(decodeStandardBase64('YWJj'), { bytes: Buffer.from('abc') });
    assert.deepEqual(decodeStandardBase64('YWI='), { bytes: Buffer.from('ab') });
    assert.deepEqual(decodeStandardBase64('YQ=='), { bytes: Buffer.from('a') });
    assert.deepEqual(decodeStandardBase64(''), { bytes: Buffer.alloc(0) });
    assert.deepEqual(decodeStandardBase64('YW\r\nJj\n'), { bytes: Buffer.from('abc') });
  });

  test('rejects what Node would skip', () => {
    const cases: Array<[string, string]> = [
      ['YW-j', 'illegal base64 character at offset 2'],
      ['YW_j', 'illegal base64 character at offset 2'],
      ['YW j', 'illegal base64 character at offset 2'],
      ['YW=j', 'illegal base64 character at offset 2'],
      ['YWJ\u0144', 'illegal base64 character at offset 3'],
      ['YWJ\u00e9', 'illegal base64 character at offset 3'],
      ['Y===', 'illegal base64 character at offset 1'],
      ['YWJjZ', 'base64 length 5 is not a multiple of 4'],
      ['YWJjZ\n', 'base64 length 5 is not a multiple of 4'],
    ];
    for (const [text, problem] of cases) {
      assert.deepEqual(decodeStandardBase64(text), { problem }, JSON.stringify(text));
    }
  });

  test('agrees with character check exhaustively', () => {
    const visit = (prefix: string, depth: number): void => {
      assertAgrees(prefix);
      if (depth === 0) return;
      for (const character of TRICKY) visit(prefix + character, depth - 1);
    };
    visit('', 4);
  });

  test('agrees on long mixed strings', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    // A fixed linear congruential sequence keeps failures reproducible.
    let seed = 12345;
    const next = (limit: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % limit;
    };
    for (let i = 0; i < 20000; i++) {
      const length = 4 * next(12) + next(4);
      let text = '';
      for (let j = 0; j < length; j++) text += next(10) === 0 ? TRICKY[next(TRICKY.length)] : alphabet[next(alphabet.length)];
      assertAgrees(text);
    }
  });
});
