import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyExclusions, ExclusionError, parseExclusions } from './exclusion.js';
import type { AuditFilterFields } from './filter-expression.js';

const UPDATE: AuditFilterFields = { mount_point: 'secret/', mount_type: 'kv', namespace: '', operation: 'update', path: 'secret/data/app' };
const READ: AuditFilterFields = { ...UPDATE, operation: 'read' };

function sampleEntry() {
  return {
    time: '2024-01-15T10:30:45Z',
    auth: { policies: ['default', 'app'], metadata: { 'a/b': 'x', 'c~d': 'y' } },
    request: { id: 'r1', operation: 'update', data: { password: 'hmac-sha256:aa', list: ['p', 'q', 'r'] } },
    type: 'request',
  };
}

describe('audit exclusion', () => {
  test('removes fields when condition matches', () => {
    const exclusions = parseExclusions(JSON.stringify([{ condition: 'operation == "update"', fields: ['/request/data'] }]));
    const entry = sampleEntry();

    const updated = applyExclusions(entry, UPDATE, exclusions);
    assert.equal('data' in updated.request, false);
    assert.equal(updated.request.id, 'r1');
    assert.deepEqual(entry.request.data, { password: 'hmac-sha256:aa', list: ['p', 'q', 'r'] }, 'original entry unchanged');

    const read = applyExclusions(entry, READ, exclusions);
    assert.equal(read, entry, 'no match returns the same object');
  });

  test('empty condition applies to every entry', () => {
    const exclusions = parseExclusions('[{"condition": "", "fields": ["/auth/policies/1", "/time"]}, {"fields": ["/request/data/list/0"]}]');
    const result = applyExclusions(sampleEntry(), READ, exclusions);
    assert.deepEqual(result.auth.policies, ['default']);
    assert.equal('time' in result, false);
    assert.deepEqual(result.request.data.list, ['q', 'r']);
  });

  test('decodes escaped pointer tokens', () => {
    const exclusions = parseExclusions('[{"fields": ["/auth/metadata/a~1b", "/auth/metadata/c~0d"]}]');
    assert.deepEqual(applyExclusions(sampleEntry(), UPDATE, exclusions).auth.metadata, {});
  });

  test('missing fields are left alone', () => {
    const exclusions = parseExclusions('[{"fields": ["/response/data", "/request/data/list/7", "/request/data/list/01", "/time/deeper"]}]');
    const entry = sampleEntry();
    assert.equal(applyExclusions(entry, UPDATE, exclusions), entry);
  });

  test('conditions see the original entry', () => {
    const exclusions = parseExclusions(
      JSON.stringify([
        { condition: 'operation == "update"', fields: ['/request/operation'] },
        { condition: 'operation == "update"', fields: ['/request/id'] },
      ]),
    );
    const result = applyExclusions(sampleEntry(), UPDATE, exclusions);
    assert.equal('operation' in result.request, false);
    assert.equal('id' in result.request, false);
  });

  const invalid: [string, string][] = [
    ['[{"fields": ["/a"]', 'invalid JSON: '],
    ['{"fields": ["/a"]}', 'expected a JSON array of objects with "condition" and "fields"'],
    ['["/a"]', 'entry 0 is not an object'],
    ['[{"condition": "operation == \\"update\\""}]', 'entry 0: missing "fields"'],
    ['[{"fields": []}]', 'entry 0: "fields" must be a non-empty list of JSON pointers'],
    ['[{"fields": "/a"}]', 'entry 0: "fields" must be a non-empty list of JSON pointers'],
    ['[{"fields": ["/a"]}, {"fields": ["request/data"]}]', 'entry 1: invalid JSON pointer "request/data": it must start with "/"'],
    ['[{"fields": [""]}]', 'entry 0: invalid JSON pointer "": it must start with "/"'],
    ['[{"fields": ["/a~2b"]}]', 'entry 0: invalid JSON pointer "/a~2b": "~" must be followed by "0" or "1"'],
    ['[{"fields": ["/a~"]}]', 'entry 0: invalid JSON pointer "/a~": "~" must be followed by "0" or "1"'],
    ['[{"condition": 5, "fields": ["/a"]}]', 'entry 0: "condition" must be a string'],
    ['[{"condition": "op == \\"x\\"", "fields": ["/a"]}]', 'entry 0: invalid "condition": unknown selector "op" at offset 0: use one of mount_point, mount_type, namespace, operation, path'],
    ['[{"fields": ["/a"], "field": ["/b"]}]', 'entry 0 has unknown key "field": use "condition" and "fields"'],
  ];
  for (const [text, message] of invalid) {
    test(`rejects ${text}`, () => {
      assert.throws(() => parseExclusions(text), (err: unknown) => {
        assert.ok(err instanceof ExclusionError);
        if (message.endsWith(': ')) assert.ok(err.message.startsWith(message), err.message);
        else assert.equal(err.message, message);
        return true;
      });
    });
  }
});
