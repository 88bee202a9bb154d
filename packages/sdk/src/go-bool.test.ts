import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGoBool } from './go-bool.js';

test('parseGoBool reads Go spellings', () => {
  for (const text of ['1', 't', 'T', 'true', 'TRUE', 'True']) assert.equal(parseGoBool(text), true, text);
  for (const text of ['0', 'f', 'F', 'false', 'FALSE', 'False']) assert.equal(parseGoBool(text), false, text);
});

test('parseGoBool rejects other text', () => {
  for (const text of ['', 'yes', 'tRUE', ' true', 'true ', '2', 'on', 'constructor', 'toString']) assert.equal(parseGoBool(text), undefined, text);
});
