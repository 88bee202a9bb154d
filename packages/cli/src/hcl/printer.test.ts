import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatHcl } from './printer.js';

/** Joins lines and adds the final newline that formatted output ends with. */
function lines(...text: string[]): string {
  return `${text.join('\n')}\n`;
}

describe('formatHcl', () => {
  test('indents and spaces a policy', () => {
    const source = 'path "secret/*" {\ncapabilities=["read","list"]\n}\n';
    assert.equal(formatHcl(source), lines('path "secret/*" {', '  capabilities = ["read", "list"]', '}'));
  });

  test('aligns equals of neighbouring attributes', () => {
    const source = lines('path "a" {', '  capabilities = ["read"]', '  min_wrapping_ttl = "1s"', '', '  max_wrapping_ttl = "90s"', '}');
    assert.equal(
      formatHcl(source),
      lines('path "a" {', '  capabilities     = ["read"]', '  min_wrapping_ttl = "1s"', '', '  max_wrapping_ttl = "90s"', '}'),
    );
  });

  test('multiline value ends alignment run', () => {
    const source = lines('a = 1', 'bbbb = 2', 'object = {', 'k = "v"', '}', 'cc = 3');
    assert.equal(formatHcl(source), lines('a    = 1', 'bbbb = 2', 'object = {', '  k = "v"', '}', 'cc = 3'));
  });

  test('comment line ends alignment run', () => {
    assert.equal(formatHcl('a = 1\n# note\nlonger = 2\n'), lines('a = 1', '# note', 'longer = 2'));
  });

  test('expands one-line blocks and objects', () => {
    const source = 'path "sys/*" { capabilities = ["deny"] }\npath "x" { allowed_parameters = { "foo" = [], "bar" = ["a"] } }\n';
    assert.equal(
      formatHcl(source),
      lines(
        'path "sys/*" {',
        '  capabilities = ["deny"]',
        '}',
        'path "x" {',
        '  allowed_parameters = {',
        '    "foo" = []',
        '    "bar" = ["a"]',
        '  }',
        '}',
      ),
    );
  });

  test('keeps empty block and object short', () => {
    assert.equal(formatHcl('path "a" {\n\n}\nx = {\n}\n'), lines('path "a" {}', 'x = {}'));
  });

  test('keeps comments and one blank line', () => {
    const source = lines('# header', '', '', '', 'path "a" {   # why', '    # inside', '  capabilities = ["read"] // same line', '  # last', '}', '/* end */');
    assert.equal(
      formatHcl(source),
      lines('# header', '', 'path "a" { # why', '  # inside', '  capabilities = ["read"] // same line', '  # last', '}', '/* end */'),
    );
  });

  test('multiline list gets trailing commas', () => {
    const source = lines('capabilities = [', '"read", # first', '  # before list', '"list"', ']');
    assert.equal(formatHcl(source), lines('capabilities = [', '  "read", # first', '  # before list', '  "list",', ']'));
  });

  test('heredoc content is kept', () => {
    const source = lines('path "a" {', 'description = <<EOT', '  keep   this', 'EOT', '}');
    assert.equal(formatHcl(source), lines('path "a" {', '  description = <<EOT', '  keep   this', 'EOT', '}'));
  });

  test('comment after opening brace stays there', () => {
    assert.equal(formatHcl('x = { # why\n}\npath "a" { # empty\n}\n'), lines('x = { # why', '}', 'path "a" { # empty', '}'));
  });

  test('colon in object becomes equals', () => {
    assert.equal(formatHcl('x = { "a": 1, b: 2 }'), lines('x = {', '  "a" = 1', '  b   = 2', '}'));
  });

  test('empty file stays empty', () => {
    assert.equal(formatHcl(''), '');
    assert.equal(formatHcl('\n\n'), '');
  });

  test('output formats to itself', () => {
    const source = [
      '# Policy for the app',
      'path "secret/data/app/*" {',
      'capabilities = ["read","list"]   # read only',
      '    allowed_parameters = {',
      '"foo" = []',
      '  nested = { deep = [ { a = 1 } ] }',
      '  }',
      '}',
      '',
      '',
      '// second',
      'path "sys/*" { capabilities = ["deny"] }',
      'x = [',
      '  "a", # one',
      ']',
    ].join('\n');
    const once = formatHcl(source);
    assert.equal(formatHcl(once), once);
    assert.equal(
      once,
      lines(
        '# Policy for the app',
        'path "secret/data/app/*" {',
        '  capabilities = ["read", "list"] # read only',
        '  allowed_parameters = {',
        '    "foo" = []',
        '    nested = {',
        '      deep = [',
        '        {',
        '          a = 1',
        '        },',
        '      ]',
        '    }',
        '  }',
        '}',
        '',
        '// second',
        'path "sys/*" {',
        '  capabilities = ["deny"]',
        '}',
        'x = [',
        '  "a", # one',
        ']',
      ),
    );
  });
});
