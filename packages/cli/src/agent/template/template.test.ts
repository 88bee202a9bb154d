import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSecret } from '../../secret.js';
import { SecretValue, executeTemplate } from './execute.js';
import { builtinFunctions, sprintf } from './functions.js';
import { TemplateError } from './lexer.js';
import { parseTemplate } from './parser.js';

const names = new Set([...Object.keys(builtinFunctions), 'secret']);

const kvSecret = new SecretValue(
  parseSecret({
    request_id: 'r-1',
    lease_id: '',
    lease_duration: 0,
    renewable: false,
    data: { data: { password: 'p<&>', user: 'app', port: 5432, tags: ['a', 'b'] }, metadata: { version: 3 } },
  }),
);

async function render(source: string, data: unknown = kvSecret, errorOnMissingKey = false): Promise<string> {
  const nodes = parseTemplate('test.tpl', source, names);
  return executeTemplate(nodes, { name: 'test.tpl', errorOnMissingKey, functions: builtinFunctions }, data);
}

async function renderError(source: string, data: unknown = kvSecret, errorOnMissingKey = false): Promise<string> {
  try {
    await render(source, data, errorOnMissingKey);
  } catch (error) {
    assert.ok(error instanceof TemplateError, String(error));
    return error.message;
  }
  throw new Error('the template rendered without an error');
}

describe('template execution', () => {
  const cases: [string, string, string][] = [
    ['KV v2 field', '{{ .Data.data.password }}', 'p<&>'],
    ['secret fields', '{{ .RequestID }} {{ .LeaseDuration }} {{ .Renewable }} {{ .Data.metadata.version }}', 'r-1 0 false 3'],
    ['with sets dot', '{{ with .Data.data }}{{ .user }}{{ end }}', 'app'],
    ['with else', '{{ with .Data.data.missing }}yes{{ else }}no{{ end }}', 'no'],
    ['if else if', '{{ if eq .Data.data.user "x" }}x{{ else if eq .Data.data.user "app" }}app{{ else }}other{{ end }}', 'app'],
    ['range map sorted', '{{ range $k, $v := .Data.data }}{{ $k }};{{ end }}', 'password;port;tags;user;'],
    ['range list', '{{ range $i, $t := .Data.data.tags }}{{ $i }}={{ $t }} {{ end }}', '0=a 1=b '],
    ['range empty else', '{{ range .Data.data.none }}x{{ else }}empty{{ end }}', 'empty'],
    ['trim markers', 'a  {{- " b " -}}  c', 'a b c'],
    ['comment', 'a{{/* note */}}b', 'ab'],
    ['variables and assign', '{{ $x := "one" }}{{ $x = "two" }}{{ $x }}', 'two'],
    ['pipe to function', '{{ .Data.data.user | toUpper | printf "<%s>" }}', '<APP>'],
    ['parenthesized field', '{{ (index .Data "data").user }}', 'app'],
    ['toJSON sorts and escapes', '{{ toJSON .Data.data }}', '{"password":"p\\u003c\\u0026\\u003e","port":5432,"tags":["a","b"],"user":"app"}'],
    ['map and list printing', '{{ .Data.data.tags }} {{ .Data.metadata }}', '[a b] map[version:3]'],
    ['missing key', '{{ .Data.data.nothing }}', '<no value>'],
    ['and or not', '{{ and 1 "" }}|{{ or "" "x" }}|{{ not .Data.data.user }}', '|x|false'],
    ['len and join', '{{ len .Data.data.tags }} {{ .Data.data.tags | join "," }}', '2 a,b'],
    ['base64', '{{ "hi" | base64Encode }} {{ "aGk=" | base64Decode }}', 'aGk= hi'],
  ];
  for (const [name, source, expected] of cases) {
    test(name, async () => {
      assert.equal(await render(source), expected);
    });
  }

  test('error_on_missing_key names key and line', async () => {
    assert.equal(await renderError('line one\n{{ .Data.data.nothing }}', kvSecret, true), 'test.tpl:2: map has no entry for key "nothing"');
  });

  test('unknown secret field is an error', async () => {
    assert.equal(
      await renderError('{{ .Data.data.user }}\n\n{{ .Payload }}'),
      'test.tpl:3: can\'t evaluate field Payload in a secret: a secret has the fields RequestID, LeaseID, LeaseDuration, Renewable, Data, Warnings, Auth and WrapInfo',
    );
  });

  test('field of missing value is an error', async () => {
    assert.equal(await renderError('{{ .Data.nope.deeper }}'), "test.tpl:1: can't evaluate field deeper of a missing value (nil)");
  });
});

describe('template parsing', () => {
  const cases: [string, string, string][] = [
    ['unknown function', 'ok\n{{ shout .Data }}', 'test.tpl:2: function "shout" is not supported by coffer agent templates; the supported functions are '],
    ['define', '{{ define "x" }}{{ end }}', 'test.tpl:1: {{define}} is not supported by coffer agent templates'],
    ['unclosed action', 'a\nb {{ .Data', 'test.tpl:2: unclosed action: add "}}" to close the "{{" on this line'],
    ['unclosed block', '{{ if .Data }}\nyes', 'test.tpl:1: unclosed {{if}}: add {{end}}'],
    ['stray end', 'x\n\n{{ end }}', 'test.tpl:3: unexpected {{end}}: there is no open if, with or range block'],
    ['argument to a field', '{{ .Data "x" }}', 'test.tpl:1: can\'t give an argument to a value that is not a function: .Data'],
  ];
  for (const [name, source, expected] of cases) {
    test(name, async () => {
      const message = await renderError(source);
      assert.ok(message.startsWith(expected), message);
    });
  }
});

describe('template delimiters', () => {
  test('custom delimiters leave braces alone', async () => {
    const nodes = parseTemplate('test.tpl', 'a  [[- .Data.data.user -]]  {{ .Data }} [[ "x" ]]', names, { left: '[[', right: ']]' });
    assert.equal(await executeTemplate(nodes, { name: 'test.tpl', errorOnMissingKey: false, functions: builtinFunctions }, kvSecret), 'aapp{{ .Data }} x');
  });

  test('unclosed custom delimiter names both', () => {
    assert.throws(() => parseTemplate('test.tpl', '<% .Data', names, { left: '<%', right: '%>' }), {
      message: 'test.tpl:1: unclosed action: add "%>" to close the "<%" on this line',
    });
  });
});

describe('printf', () => {
  test('verbs width and precision', () => {
    assert.equal(sprintf('%s|%5s|%-4s|%q|%d|%03d|%.2f|%x|%t|%v|%%', 'a', 'b', 'c', 'q"', 7, 5, 1.5, 'hi', true, ['x', 1]), 'a|    b|c   |"q\\""|7|005|1.50|6869|true|[x 1]|%');
  });

  test('zero padding keeps sign first', () => {
    assert.equal(sprintf('%05d', -3), '-0003');
    assert.equal(sprintf('%+05d', 3), '+0003');
    assert.equal(sprintf('%08.3f', -1.5), '-001.500');
    assert.equal(sprintf('%-5d|', -3), '-3   |');
  });

  test('huge width and precision are rejected', () => {
    assert.equal(sprintf('%1000001d', 5), '%!(BADWIDTH)5');
    assert.equal(sprintf('%.1000001f', 1.5), '%!(BADPREC)1.500000');
    assert.equal(sprintf('%1000000d', 5).length, 1_000_000);
  });

  test('wrong and missing arguments', () => {
    assert.equal(sprintf('%d %s', 'x'), '%!d(string=x) %!s(MISSING)');
    assert.equal(sprintf('%s', 'a', 2), 'a%!(EXTRA json.Number=2)');
  });
});

describe('toJSON', () => {
  test('keeps a __proto__ key', () => {
    const data = JSON.parse('{"b":2,"__proto__":{"a":1}}') as unknown;
    assert.equal(builtinFunctions.toJSON(data), '{"__proto__":{"a":1},"b":2}');
  });
});

describe('template nesting', () => {
  test('deep nesting is a parse error', () => {
    const parentheses = `{{ ${'('.repeat(5000)}1${')'.repeat(5000)} }}`;
    assert.throws(() => parseTemplate('deep.tpl', parentheses, names), {
      name: 'TemplateError',
      message: 'deep.tpl:1: max nesting depth of 1000 blocks and parentheses exceeded',
    });
    const blocks = `${'{{ if true }}'.repeat(5000)}x${'{{ end }}'.repeat(5000)}`;
    assert.throws(() => parseTemplate('deep.tpl', blocks, names), {
      name: 'TemplateError',
      message: 'deep.tpl:1: max nesting depth of 1000 blocks and parentheses exceeded',
    });
  });

  test('nesting at the limit renders', async () => {
    assert.equal(await render(`${'{{ if true }}'.repeat(1000)}x${'{{ end }}'.repeat(1000)}`), 'x');
    assert.equal(await render(`{{ ${'('.repeat(1000)}1${')'.repeat(1000)} }}`), '1');
  });
});

describe('base64Decode', () => {
  test('invalid input is an error', async () => {
    assert.equal(await render('{{ base64Decode "aGk=" }}'), 'hi');
    assert.equal(await renderError('{{ base64Decode "not base64!" }}'), 'test.tpl:1: error calling base64Decode: illegal base64 data at input byte 3');
    assert.equal(await renderError('{{ base64Decode "aGk" }}'), 'test.tpl:1: error calling base64Decode: illegal base64 data at input byte 0');
  });
});
