import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FieldData } from './field-data.js';
import type { FieldMap } from './field.js';

const SCHEMA = {
  name: { type: 'string', description: 'A name.', default: 'fallback' },
  count: { type: 'int', description: 'A count.', default: 3 },
  enabled: { type: 'bool', description: 'A switch.' },
  tags: { type: 'comma_string_slice', description: 'Tags.', default: ['a', 'b'] },
  labels: { type: 'map', description: 'Labels.', default: { team: 'web' } },
} as const satisfies FieldMap;

describe('FieldData.get', () => {
  test('primitive defaults and zero values', () => {
    const fields = FieldData.parse(SCHEMA, {}, false);
    assert.equal(fields.get('name'), 'fallback');
    assert.equal(fields.get('count'), 3);
    assert.equal(fields.get('enabled'), false);
  });

  test('set values win over defaults', () => {
    const fields = FieldData.parse(SCHEMA, { name: 'given', count: '7', tags: 'x,y' }, false);
    assert.equal(fields.get('name'), 'given');
    assert.equal(fields.get('count'), 7);
    assert.deepEqual(fields.get('tags'), ['x', 'y']);
  });

  test('object defaults are copies', () => {
    const first = FieldData.parse(SCHEMA, {}, false);
    first.get('tags').push('changed');
    first.get('labels').team = 'changed';

    const second = FieldData.parse(SCHEMA, {}, false);
    assert.deepEqual(second.get('tags'), ['a', 'b']);
    assert.deepEqual(second.get('labels'), { team: 'web' });
    assert.deepEqual(SCHEMA.tags.default, ['a', 'b']);
    assert.deepEqual(SCHEMA.labels.default, { team: 'web' });
  });
});

describe('FieldData.parse required fields', () => {
  const REQUIRED = {
    first: { type: 'string', description: 'First.', required: true },
    optional: { type: 'string', description: 'Optional.' },
    second: { type: 'int', description: 'Second.', required: true },
  } as const satisfies FieldMap;

  test('names each missing field in order', () => {
    assert.throws(() => FieldData.parse(REQUIRED, {}, false), { status: 400, message: 'missing required field "first"; missing required field "second"' });
    // A second parse of the same schema reports the same fields.
    assert.throws(() => FieldData.parse(REQUIRED, { first: 'x' }, false), { status: 400, message: 'missing required field "second"' });
  });

  test('null counts as missing', () => {
    assert.throws(() => FieldData.parse(REQUIRED, { first: null, second: 2 }, false), { status: 400, message: 'missing required field "first"' });
  });

  test('all required fields set', () => {
    const fields = FieldData.parse(REQUIRED, { first: 'x', second: '2' }, false);
    assert.equal(fields.get('first'), 'x');
    assert.equal(fields.get('second'), 2);
  });
});
