import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_JSON_DEPTH, parseJsonBody } from './body.js';

test('parseJsonBody accepts a wide array', () => {
  const items = Array.from({ length: 300_000 }, () => 'SELECT 1');
  const parsed = parseJsonBody(Buffer.from(JSON.stringify({ creation_statements: items })));

  assert.equal((parsed.creation_statements as string[]).length, 300_000);
});

test('parseJsonBody rejects deep nesting', () => {
  const deep = '{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1);

  assert.throws(() => parseJsonBody(Buffer.from(deep)), {
    status: 400,
    message: `failed to parse JSON input: nesting is deeper than the limit of ${MAX_JSON_DEPTH} levels`,
  });
});

test('parseJsonBody rejects a non-object body', () => {
  assert.throws(() => parseJsonBody(Buffer.from('[1,2]')), {
    status: 400,
    message: 'failed to parse JSON input: the body must be a JSON object',
  });
});
