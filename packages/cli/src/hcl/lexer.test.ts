import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HclSyntaxError, tokenize } from './lexer.js';

/** Kind and text of each token, the shape most checks compare. */
function kinds(source: string): string[] {
  return tokenize(source).map((token) => `${token.kind}:${token.text}`);
}

describe('tokenize', () => {
  test('block with list attribute', () => {
    assert.deepEqual(kinds('path "a/*" {\n  capabilities = ["read", "list"]\n}\n'), [
      'identifier:path',
      'string:"a/*"',
      'punctuation:{',
      'newline:\n',
      'identifier:capabilities',
      'punctuation:=',
      'punctuation:[',
      'string:"read"',
      'punctuation:,',
      'string:"list"',
      'punctuation:]',
      'newline:\n',
      'punctuation:}',
      'newline:\n',
      'end:',
    ]);
  });

  test('positions are one-based', () => {
    const tokens = tokenize('a = 1\n  b = "x"');
    const b = tokens.find((token) => token.text === 'b');
    assert.deepEqual({ line: b?.line, column: b?.column }, { line: 2, column: 3 });
    const end = tokens.at(-1);
    assert.deepEqual({ kind: end?.kind, line: end?.line, column: end?.column }, { kind: 'end', line: 2, column: 10 });
  });

  test('three comment styles', () => {
    assert.deepEqual(kinds('# hash\n// slashes\r\n/* block\n spans */ x = 1'), [
      'comment:# hash',
      'newline:\n',
      'comment:// slashes',
      'newline:\n',
      'comment:/* block\n spans */',
      'identifier:x',
      'punctuation:=',
      'number:1',
      'end:',
    ]);
  });

  test('string keeps escapes', () => {
    assert.deepEqual(kinds('x = "say \\"hi\\" \\\\"'), ['identifier:x', 'punctuation:=', 'string:"say \\"hi\\" \\\\"', 'end:']);
  });

  test('numbers and identifiers', () => {
    assert.deepEqual(kinds('a-b.c = -1.5e3 true'), ['identifier:a-b.c', 'punctuation:=', 'number:-1.5e3', 'identifier:true', 'end:']);
  });

  test('heredoc runs to its marker', () => {
    const tokens = kinds('x = <<EOT\n  keep   this\n  EOT\ny = 2');
    assert.deepEqual(tokens, ['identifier:x', 'punctuation:=', 'heredoc:<<EOT\n  keep   this\n  EOT', 'newline:\n', 'identifier:y', 'punctuation:=', 'number:2', 'end:']);
    assert.equal(kinds('x = <<-EOT\nbody\nEOT')[2], 'heredoc:<<-EOT\nbody\nEOT');
  });

  const errors: [string, string, number, number, string][] = [
    ['unterminated string', 'x = "abc\n', 1, 5, 'unterminated string: add the closing quote on the same line'],
    ['unterminated comment', 'x = 1 /* open', 1, 7, 'unterminated comment: add "*/" to close the comment that starts here'],
    ['heredoc without marker line', 'x = <<EOT\nbody\n', 1, 5, 'unterminated heredoc: add a line that contains only "EOT" to close it'],
    ['heredoc without newline', 'x = <<EOT body', 1, 5, 'invalid heredoc: expected a marker such as <<EOT, then a newline'],
    ['unknown character', 'x = 1\ny = @z', 2, 5, 'unexpected character "@"'],
  ];
  for (const [name, source, line, column, problem] of errors) {
    test(`${name} fails`, () => {
      assert.throws(
        () => tokenize(source),
        (error: unknown) => {
          assert.ok(error instanceof HclSyntaxError);
          assert.equal(error.problem, problem);
          assert.equal(error.line, line);
          assert.equal(error.column, column);
          assert.equal(error.message, `line ${line}, column ${column}: ${problem}`);
          return true;
        },
      );
    });
  }
});
