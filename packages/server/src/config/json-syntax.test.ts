import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findJsonSyntaxError } from './json-syntax.js';

describe('findJsonSyntaxError', () => {
  test('valid documents', () => {
    const documents = [
      '{}',
      '[]',
      ' {"a": 1, "b": [true, false, null], "c": {"d": "e\\n\\u00e9"}} ',
      '"text"',
      '-1.5e+3',
      '{"a": {"a": 1}}',
    ];
    for (const text of documents) {
      assert.equal(findJsonSyntaxError(text), undefined, text);
      assert.doesNotThrow(() => JSON.parse(text), text);
    }
  });

  test('errors with offsets', () => {
    const cases: Array<[string, number, string]> = [
      ['', 0, 'expected a value, found the end of the file'],
      ['{"a": }', 6, "expected a value, found '}'"],
      ['{"a": 1,}', 8, "expected a quoted key, found '}'"],
      ['{a: 1}', 1, "expected a quoted key, found 'a'"],
      ['{"a" 1}', 5, "expected ':' after a key, found '1'"],
      ['{"a": 1 "b": 2}', 8, "expected ',' or '}' after a value, found '\"'"],
      ['[1 2]', 3, "expected ',' or ']' after a value, found '2'"],
      ['[1,', 3, 'expected a value, found the end of the file'],
      ['{"a": "b', 6, 'unterminated string'],
      ['{"a": "\\x"}', 7, 'invalid escape sequence in a string'],
      ['{"a": "line\nbreak"}', 11, 'unescaped control character in a string (write a newline as \\n)'],
      ['{"a": -}', 6, "invalid number, found '-'"],
      ['{"a": tru}', 6, "expected a value, found 't'"],
      ['{} {}', 3, 'unexpected text after the end of the JSON document'],
      ['{"a": 1, "a": 2}', 9, 'duplicate key "a". A key may appear only once in an object.'],
    ];
    for (const [text, offset, detail] of cases) {
      assert.deepEqual(findJsonSyntaxError(text), { offset, detail }, text);
    }
  });

  test('same key in different objects', () => {
    assert.equal(findJsonSyntaxError('[{"a": 1}, {"a": 2}]'), undefined);
  });
});
