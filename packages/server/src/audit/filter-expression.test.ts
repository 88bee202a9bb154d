import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FilterExpressionError, parseFilterExpression, type AuditFilterFields } from './filter-expression.js';

const KV_WRITE: AuditFilterFields = { mount_point: 'secret/', mount_type: 'kv', namespace: '', operation: 'update', path: 'secret/data/app' };
const SYS_READ: AuditFilterFields = { mount_point: 'sys/', mount_type: 'system', namespace: '', operation: 'read', path: 'sys/mounts' };

function matches(expression: string, fields: AuditFilterFields): boolean {
  return parseFilterExpression(expression)(fields);
}

describe('audit filter expression', () => {
  const cases: [string, boolean, boolean][] = [
    // expression, matches KV_WRITE, matches SYS_READ
    ['mount_type == "kv"', true, false],
    ['mount_type == kv', true, false],
    ['mount_type==`kv`', true, false],
    ['mount_type != "kv"', false, true],
    ['operation == "update" and mount_point == "secret/"', true, false],
    ['operation == "read" or mount_type == "kv"', true, true],
    ['not operation == "read"', true, false],
    ['not (operation == "read" or mount_type == "kv")', false, false],
    ['path matches "^secret/data/"', true, false],
    ['path not matches "^secret/"', false, true],
    ['"data" in path', true, false],
    ['"data" not in path', false, true],
    ['path contains "mounts"', false, true],
    ['path not contains "mounts"', true, false],
    ['namespace is empty', true, true],
    ['namespace is not empty', false, false],
    ['operation == "read" or operation == "list" and mount_type == "kv"', false, true],
    ['(operation == "read" or operation == "update") and mount_type == "kv"', true, false],
    ['path == "secret/data/app"', true, false],
  ];
  for (const [expression, kv, sys] of cases) {
    test(`evaluates ${expression}`, () => {
      assert.equal(matches(expression, KV_WRITE), kv, 'kv write');
      assert.equal(matches(expression, SYS_READ), sys, 'sys read');
    });
  }

  test('escaped quote in string value', () => {
    assert.equal(matches('path == "a\\"b"', { ...KV_WRITE, path: 'a"b' }), true);
  });

  const invalid: [string, string][] = [
    ['', 'the expression is empty'],
    ['   ', 'the expression is empty'],
    ['mount == "kv"', 'unknown selector "mount" at offset 0: use one of mount_point, mount_type, namespace, operation, path'],
    ['mount_type = "kv"', 'unexpected character "=" at offset 11'],
    ['mount_type == "kv', 'unterminated string starting at offset 14'],
    ['mount_type == `kv', 'unterminated string starting at offset 14'],
    ['mount_type ==', 'unexpected end of expression at offset 13: expected a value'],
    ['mount_type == "kv" and', 'unexpected end of expression at offset 22: expected a selector, a value, "not" or "("'],
    ['(mount_type == "kv"', 'unexpected end of expression at offset 19: expected ")"'],
    ['mount_type == "kv")', 'unexpected ")" at offset 18: expected "and", "or" or the end of the expression'],
    ['mount_type "kv"', 'unexpected "kv" at offset 11: expected "==", "!=", "matches", "not matches", "contains", "not contains" or "is"'],
    ['mount_type not == "kv"', 'unexpected "==" at offset 15: expected "matches" or "contains"'],
    ['mount_type is full', 'unexpected "full" at offset 14: expected "empty"'],
    ['"kv" == mount_type', 'unexpected "kv" at offset 0: expected a selector'],
    ['"kv" in "path"', 'unexpected "path" at offset 8: expected a selector'],
    ['"kv" in bogus', 'unknown selector "bogus" at offset 8: use one of mount_point, mount_type, namespace, operation, path'],
    ['path == "\\q"', 'invalid escape "\\q" at offset 9'],
    ['mount_type == and', 'unexpected "and" at offset 14: expected a value'],
  ];
  for (const [expression, message] of invalid) {
    test(`rejects ${JSON.stringify(expression)}`, () => {
      assert.throws(() => parseFilterExpression(expression), (err: unknown) => {
        assert.ok(err instanceof FilterExpressionError);
        assert.equal(err.message, message);
        return true;
      });
    });
  }

  test('rejects invalid regular expression', () => {
    assert.throws(() => parseFilterExpression('path matches "("'), (err: unknown) => {
      assert.ok(err instanceof FilterExpressionError);
      assert.match(err.message, /^invalid regular expression "\(" at offset 13: /);
      return true;
    });
  });
});
