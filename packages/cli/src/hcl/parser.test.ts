import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HclSyntaxError } from './lexer.js';
import type { Attribute, Block } from './parser.js';
import { parseHcl } from './parser.js';

describe('parseHcl', () => {
  test('block, attributes and values', () => {
    const file = parseHcl('path "secret/*" {\n  capabilities = ["read"]\n  params = { "a" = [] }\n  ttl = 30\n}\n');
    assert.equal(file.items.length, 1);
    const block = file.items[0] as Block;
    assert.equal(block.kind, 'block');
    assert.equal(block.type, 'path');
    assert.deepEqual(block.labels, ['"secret/*"']);

    const [capabilities, params, ttl] = block.body.items as Attribute[];
    assert.equal(capabilities.key, 'capabilities');
    assert.deepEqual(capabilities.value, {
      kind: 'list',
      elements: [{ leading: [], value: { kind: 'literal', text: '"read"' } }],
      closing: [],
      multiline: false,
    });
    assert.equal(params.value.kind, 'object');
    assert.deepEqual(ttl.value, { kind: 'literal', text: '30' });
  });

  test('comments attach to items', () => {
    const file = parseHcl('# first\n\n# second\n\npath "a" { # same line\n  # inside\n}\n\n\n# closing\n\n');
    const block = file.items[0] as Block;
    assert.deepEqual(block.leading, ['# first', '', '# second', '']);
    assert.equal(block.trailing, undefined);
    assert.equal(block.body.opening, '# same line');
    assert.deepEqual(block.body.closing, ['# inside']);
    assert.deepEqual(file.closing, ['', '# closing']);
  });

  test('blank line between items is kept once', () => {
    const file = parseHcl('a = 1\n\n\n\nb = 2\nc = 3\n');
    assert.deepEqual(
      file.items.map((item) => item.leading),
      [[], [''], []],
    );
  });

  test('trailing comment after value', () => {
    const file = parseHcl('a = "x" // why\nb = 1');
    assert.equal(file.items[0].trailing, '// why');
    assert.equal(file.items[1].trailing, undefined);
  });

  test('object items take commas and colons', () => {
    const file = parseHcl('a = { x = 1, "y": 2 }');
    const value = (file.items[0] as Attribute).value;
    assert.equal(value.kind, 'object');
    if (value.kind === 'object') {
      assert.deepEqual(
        value.body.items.map((item) => (item as Attribute).key),
        ['x', '"y"'],
      );
    }
  });

  test('list comments and trailing comma', () => {
    const file = parseHcl('a = [\n  # lead\n  "x", # after x\n  "y",\n  # end\n]');
    const value = (file.items[0] as Attribute).value;
    assert.deepEqual(value, {
      kind: 'list',
      elements: [
        { leading: ['# lead'], value: { kind: 'literal', text: '"x"' }, trailing: '# after x' },
        { leading: [], value: { kind: 'literal', text: '"y"' } },
      ],
      closing: ['# end'],
      multiline: true,
    });
  });

  const errors: [string, string, number, number, string][] = [
    ['missing equals', 'path "a" {\n  capabilities\n}', 2, 15, 'expected "=" or "{" after capabilities, found a newline'],
    ['unclosed block', 'path "a" {\n  x = 1\n', 3, 1, 'expected "}" to close the "{" at line 1, column 10, found the end of the file'],
    ['extra closing brace', 'path "a" {}\n}', 2, 1, 'unexpected "}": there is no open block or object to close'],
    ['missing list comma', 'a = ["x" "y"]', 1, 10, 'expected "," or "]" after a list element, found "y"'],
    ['missing comma across lines', 'a = [\n  "x"\n  "y"\n]', 3, 3, 'expected "," between list elements, before "y"'],
    ['unclosed list', 'a = ["x",', 1, 10, 'expected "]" to close the "[" at line 1, column 5, found the end of the file'],
    ['bare word value', 'a = read', 1, 5, 'expected a value (a quoted string, number, true, false, list or object), found "read"'],
    ['two attributes on a line', 'a = 1 b = 2', 1, 7, 'expected a newline after the value of a, found "b"'],
    ['comma between body items', 'path "a" {\n  x = 1,\n}', 2, 8, 'expected a newline after the value of x, found ","'],
    ['equals after labels', 'path "a" = {}', 1, 10, 'unexpected "=" after the block labels of path: write path "a" { ... }'],
    ['value as item', '"a"\n= 1', 1, 4, 'expected "=" or "{" after "a", found a newline'],
    ['list as key', '[1]', 1, 1, 'expected an attribute name or a block type, found "["'],
  ];
  for (const [name, source, line, column, problem] of errors) {
    test(`${name} fails`, () => {
      assert.throws(
        () => parseHcl(source),
        (error: unknown) => {
          assert.ok(error instanceof HclSyntaxError);
          assert.equal(error.problem, problem);
          assert.equal(error.line, line);
          assert.equal(error.column, column);
          return true;
        },
      );
    });
  }
});
