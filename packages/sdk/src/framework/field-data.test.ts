import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseJson } from '../json.js';
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

describe('FieldData.parse with integers past 2^53', () => {
  const schema = {
    count: { type: 'int', description: 'A count.' },
    ttl: { type: 'duration', description: 'A TTL.' },
    name: { type: 'string', description: 'A name.' },
    tags: { type: 'comma_string_slice', description: 'Tags.' },
  } as const satisfies FieldMap;
  const limit = 'expected an integer from -9007199254740991 to 9007199254740991';

  test('int field rejects a bigint', () => {
    assert.throws(() => FieldData.parse(schema, { count: 12345678901234567890n }, false), {
      status: 400,
      message: `invalid field "count": the number 12345678901234567890 is too large: ${limit}`,
    });
  });

  test('int field rejects unsafe digits', () => {
    assert.throws(() => FieldData.parse(schema, { count: '-98765432109876543210' }, false), {
      status: 400,
      message: `invalid field "count": the number -98765432109876543210 is too large: ${limit}`,
    });
  });

  test('duration field rejects a bigint', () => {
    assert.throws(() => FieldData.parse(schema, { ttl: 98765432109876543210n }, false), {
      status: 400,
      message: 'invalid field "ttl": 98765432109876543210 is longer than the maximum of 2562047h47m16s: use a shorter duration',
    });
    assert.throws(() => FieldData.parse(schema, { ttl: -98765432109876543210n }, false), {
      status: 400,
      message: 'invalid field "ttl": expected a duration such as 30, "30s", "90m" or "1h", got number -98765432109876543210',
    });
  });

  test('string fields keep the digits', () => {
    const fields = FieldData.parse(schema, { name: 12345678901234567890n, tags: [12345678901234567890n, 'x'] }, false);
    assert.equal(fields.get('name'), '12345678901234567890');
    assert.deepEqual(fields.get('tags'), ['12345678901234567890', 'x']);
  });
});

describe('duration fields past the longest Go duration', () => {
  const schema = {
    ttl: { type: 'duration', description: 'A TTL.' },
    period: { type: 'duration', description: 'A period.', tooLong: (raw: unknown, seconds: number) => `${String(raw)} is ${seconds}s, too long` },
  } as const satisfies FieldMap;
  const tooLong = (shown: string) => `invalid field "ttl": ${shown} is longer than the maximum of 2562047h47m16s: use a shorter duration`;

  test('the longest is accepted', () => {
    for (const ttl of ['2562047h47m16s', '2562047h47m16.854775807s', '9223372036', 9223372036, 9223372036.5]) {
      assert.equal(FieldData.parse(schema, { ttl }, false).get('ttl'), 9223372036, String(ttl));
    }
  });

  test('anything longer is a 400 that names the field', () => {
    const cases: Array<[unknown, string]> = [
      ['2562047h47m17s', '"2562047h47m17s"'],
      ['2562047h47m16.854775808s', '"2562047h47m16.854775808s"'],
      ['9223372037', '"9223372037"'],
      ['99999999999999999h', '"99999999999999999h"'],
      [9223372037, '9223372037'],
      [1e300, '1e+300'],
      [12345678901234567890n, '12345678901234567890'],
    ];
    for (const [ttl, shown] of cases) {
      assert.throws(() => FieldData.parse(schema, { ttl }, false), { status: 400, message: tooLong(shown) }, String(ttl));
    }
  });

  test('numbers in a JSON body are checked too', () => {
    const cases: Array<[string, string]> = [
      ['{"ttl": 1e300}', '1e+300'],
      ['{"ttl": 9223372037}', '9223372037'],
      ['{"ttl": 9223372036.9}', '9223372036.9'],
      ['{"ttl": 99999999999999999999}', '99999999999999999999'],
    ];
    for (const [body, shown] of cases) {
      assert.throws(() => FieldData.parse(schema, parseJson(body) as Record<string, unknown>, false), { status: 400, message: tooLong(shown) }, body);
    }
    assert.equal(FieldData.parse(schema, parseJson('{"ttl": 9223372036}') as Record<string, unknown>, false).get('ttl'), 9223372036);
  });

  test('custom too-long error with other problems', () => {
    assert.throws(() => FieldData.parse(schema, { period: '2562048h', ttl: 1e300, other: 1 }, false), {
      status: 400,
      message: `invalid field "period": 2562048h is 9223372800s, too long; ${tooLong('1e+300')}; unknown field "other"`,
    });
  });
});

describe('kv_pairs fields', () => {
  const schema = { options: { type: 'kv_pairs', description: 'Options.' } } as const;

  test('scalars in an object become strings', () => {
    const fields = FieldData.parse(schema, { options: { version: 2, flag: true, name: 'x', gone: null } }, false);
    assert.deepEqual(fields.get('options'), { version: '2', flag: 'true', name: 'x' });
  });

  test('key=value strings are pairs', () => {
    assert.deepEqual(FieldData.parse(schema, { options: 'version=2' }, false).get('options'), { version: '2' });
    assert.deepEqual(FieldData.parse(schema, { options: ['a=1', 'b=c=d'] }, false).get('options'), { a: '1', b: 'c=d' });
  });

  test('nested values are rejected', () => {
    assert.throws(() => FieldData.parse(schema, { options: { version: { major: 2 } } }, false), {
      status: 400,
      message: 'invalid field "options": expected an object of strings or a list of "key=value" strings, got an object',
    });
  });
});
