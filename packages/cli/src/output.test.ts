import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UI } from './io.js';
import type { OutputFormat } from './io.js';
import {
  columnize,
  goJson,
  goQuotedList,
  goYaml,
  goTimeString,
  goValue,
  headerForMap,
  humanDuration,
  outputData,
  outputList,
  outputSecret,
  padEqualSigns,
  printField,
  table,
  wrapAtLength,
} from './output.js';
import type { Secret } from './secret.js';
import { parseSecret } from './secret.js';
import { captureIO } from './test-io.js';

function captureUI(format: OutputFormat = 'table', stdoutIsTerminal = false) {
  const captured = captureIO({ stdoutIsTerminal });
  return { ui: new UI(captured.io, format), stdout: captured.stdout, stderr: captured.stderr };
}

const kvSecret: Secret = parseSecret({
  request_id: 'req-1',
  lease_id: '',
  lease_duration: 0,
  renewable: false,
  data: { password: 'hunter2', user: 'admin', port: 5432, tags: ['a', 'b'], empty: '' },
  warnings: null,
});

describe('goValue', () => {
  test('formats like Go %v', () => {
    assert.equal(goValue(null), '<nil>');
    assert.equal(goValue('text'), 'text');
    assert.equal(goValue(42), '42');
    assert.equal(goValue(true), 'true');
    assert.equal(goValue(['a', 1, null]), '[a 1 <nil>]');
    assert.equal(goValue({ b: 2, a: { c: [] } }), 'map[a:map[c:[]] b:2]');
  });

  test('quoted list like Go %q', () => {
    assert.equal(goQuotedList(['root', 'dev']), '["root" "dev"]');
    assert.equal(goQuotedList(null), '[]');
  });
});

describe('humanDuration', () => {
  test('drops zero units', () => {
    assert.equal(humanDuration(0), '0s');
    assert.equal(humanDuration(59), '59s');
    assert.equal(humanDuration(60), '1m');
    assert.equal(humanDuration(90), '1m30s');
    assert.equal(humanDuration(3600), '1h');
    assert.equal(humanDuration(3601), '1h1s');
    assert.equal(humanDuration(3660), '1h1m');
    assert.equal(humanDuration(2764800), '768h');
  });
});

describe('tables', () => {
  test('columnize pads all but last column', () => {
    assert.equal(columnize([['a', 'bb', 'c'], ['ddd', 'e', '']]), 'a      bb    c\nddd    e     n/a');
  });

  test('table adds dashed header line', () => {
    assert.equal(table(['Key', 'Value'], [['name', 'x']]), 'Key     Value\n---     -----\nname    x');
  });

  test('padEqualSigns centers title', () => {
    assert.equal(padEqualSigns('Secret Path', 17), '== Secret Path ==');
    assert.equal(padEqualSigns('Secret Path', 15), '= Secret Path =');
    assert.equal(padEqualSigns('Data', 12), '=== Data ===');
    assert.equal(padEqualSigns('Long Title', 3), '== Long Title ==');
  });

  test('headerForMap sizes to longest key', () => {
    const metadata = { created_time: '', custom_metadata: null, deletion_time: '', destroyed: false, version: 1 };
    assert.equal(headerForMap('Metadata', metadata), '======= Metadata =======');
    assert.equal(headerForMap('Data', { bar: 'baz' }), '=== Data ===');
  });

  test('wrapAtLength wraps and pads', () => {
    const text = 'word '.repeat(20).trim();
    const wrapped = wrapAtLength(text, 2);
    const lines = wrapped.split('\n');
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => line.startsWith('  word') && line.length <= 78));
  });
});

describe('goJson', () => {
  test('sorts keys and escapes HTML characters', () => {
    assert.equal(goJson({ b: '<&>', a: [1, { z: 1, y: 2 }] }), '{\n  "a": [\n    1,\n    {\n      "y": 2,\n      "z": 1\n    }\n  ],\n  "b": "\\u003c\\u0026\\u003e"\n}');
  });

  test('keeps top-level order when asked', () => {
    assert.equal(goJson({ z: 1, a: { d: 1, c: 2 } }, true), '{\n  "z": 1,\n  "a": {\n    "c": 2,\n    "d": 1\n  }\n}');
  });
});

describe('outputSecret', () => {
  test('table format prints sorted data', () => {
    const { ui, stdout } = captureUI();
    outputSecret(ui, kvSecret);
    assert.equal(
      stdout.text,
      [
        'Key         Value',
        '---         -----',
        'empty       n/a',
        'password    hunter2',
        'port        5432',
        'tags        [a b]',
        'user        admin',
        '',
      ].join('\n'),
    );
  });

  test('table format shows refresh interval and durations', () => {
    const { ui, stdout } = captureUI();
    outputSecret(ui, parseSecret({ lease_duration: 2764800, data: { ttl: 3600, max_ttl: 'x' } }));
    assert.equal(
      stdout.text,
      'Key                 Value\n---                 -----\nrefresh_interval    768h\nmax_ttl             x\nttl                 1h\n',
    );
  });

  test('table format shows lease fields with lease id', () => {
    const { ui, stdout } = captureUI();
    outputSecret(ui, parseSecret({ lease_id: 'db/creds/1', lease_duration: 60, renewable: true, data: {} }));
    assert.equal(
      stdout.text,
      'Key                Value\n---                -----\nlease_id           db/creds/1\nlease_duration     1m\nlease_renewable    true\n',
    );
  });

  test('table format shows auth block', () => {
    const { ui, stdout } = captureUI();
    outputSecret(
      ui,
      parseSecret({
        auth: { client_token: 'tok', accessor: 'acc', policies: ['default'], token_policies: ['default'], lease_duration: 0 },
      }),
    );
    assert.equal(
      stdout.text,
      [
        'Key                  Value',
        '---                  -----',
        'token                tok',
        'token_accessor       acc',
        'token_duration       ∞',
        'token_renewable      false',
        'token_policies       ["default"]',
        'identity_policies    []',
        'policies             ["default"]',
        '',
      ].join('\n'),
    );
  });

  test('warnings go to stderr', () => {
    const { ui, stdout, stderr } = captureUI();
    outputSecret(ui, parseSecret({ data: { a: 'b' }, warnings: ['field x is deprecated'] }));
    assert.equal(stderr.text, 'WARNING! The following warnings were returned from the server:\n\n  * field x is deprecated\n\n');
    assert.equal(stdout.text, 'Key    Value\n---    -----\na      b\n');
  });

  test('json format prints full envelope in Vault order', () => {
    const { ui, stdout } = captureUI('json');
    outputSecret(ui, parseSecret({ data: { b: 1, a: 2 }, request_id: 'r', mount_type: 'kv' }));
    assert.equal(
      stdout.text,
      '{\n  "request_id": "r",\n  "lease_id": "",\n  "lease_duration": 0,\n  "renewable": false,\n  "data": {\n    "a": 2,\n    "b": 1\n  },\n  "warnings": null,\n  "mount_type": "kv"\n}\n',
    );
  });
});

describe('goYaml', () => {
  test('sorts keys and quotes ambiguous strings', () => {
    const text = goYaml({ b: 'plain', a: '5432', c: 'yes', d: '', e: 'two words', f: 7, g: true, h: null, i: 'line\nbreak' });
    assert.equal(text, 'a: "5432"\nb: plain\nc: "yes"\nd: ""\ne: "two words"\nf: 7\ng: true\nh: null\ni: "line\\nbreak"');
  });

  test('nests maps and lists as go-yaml does', () => {
    const text = goYaml({ data: { keys: ['a', 'b/'], meta: { v: 1 } }, list: [{ x: 1, y: [] }, ['n']], empty: {} });
    assert.equal(text, ['data:', '  keys:', '  - a', '  - b/', '  meta:', '    v: 1', 'empty: {}', 'list:', '- x: 1', '  "y": []', '- - "n"'].join('\n'));
  });

  test('top-level scalar and list', () => {
    assert.equal(goYaml('hunter2'), 'hunter2');
    assert.equal(goYaml(['default', 'root']), '- default\n- root');
  });
});

describe('outputList and outputData', () => {
  test('list table sorts keys', () => {
    const { ui, stdout } = captureUI();
    outputList(ui, kvSecret, ['b/', 'a']);
    assert.equal(stdout.text, 'Keys\n----\na\nb/\n');
  });

  test('list json prints keys array', () => {
    const { ui, stdout } = captureUI('json');
    outputList(ui, kvSecret, ['b', 'a']);
    assert.equal(stdout.text, '[\n  "b",\n  "a"\n]\n');
  });

  test('empty map prints nothing in table format', () => {
    const { ui, stdout } = captureUI();
    outputData(ui, {});
    assert.equal(stdout.text, '');
  });
});

describe('printField', () => {
  test('raw value without newline when piped', () => {
    const { ui, stdout } = captureUI();
    assert.equal(printField(ui, kvSecret, 'password'), 0);
    assert.equal(stdout.text, 'hunter2');
  });

  test('newline added on terminal', () => {
    const { ui, stdout } = captureUI('table', true);
    assert.equal(printField(ui, kvSecret, 'user'), 0);
    assert.equal(stdout.text, 'admin\n');
  });

  test('json format prints field as JSON', () => {
    const { ui, stdout } = captureUI('json');
    assert.equal(printField(ui, kvSecret, 'tags'), 0);
    assert.equal(stdout.text, '[\n  "a",\n  "b"\n]');
  });

  test('yaml format prints field as YAML', () => {
    const { ui, stdout } = captureUI('yaml');
    assert.equal(printField(ui, kvSecret, 'tags'), 0);
    assert.equal(stdout.text, '- a\n- b');
  });

  test('auth token field', () => {
    const { ui, stdout } = captureUI();
    assert.equal(printField(ui, parseSecret({ auth: { client_token: 'tok' } }), 'token'), 0);
    assert.equal(stdout.text, 'tok');
  });

  test('missing field exits 1', () => {
    const { ui, stdout, stderr } = captureUI();
    assert.equal(printField(ui, kvSecret, 'nope'), 1);
    assert.equal(stdout.text, '');
    assert.equal(stderr.text, 'Field "nope" not present in secret\n');
  });

  test('field of plain map', () => {
    const { ui, stdout } = captureUI();
    assert.equal(printField(ui, { inner: 'v' }, 'inner'), 0);
    assert.equal(stdout.text, 'v');
  });
});

describe('goTimeString', () => {
  test('formats like Go time String', () => {
    assert.equal(goTimeString('2024-05-01T10:00:00Z'), '2024-05-01 10:00:00 +0000 UTC');
    assert.equal(goTimeString('2024-05-01T10:00:00.500Z'), '2024-05-01 10:00:00.5 +0000 UTC');
    assert.equal(goTimeString('2024-05-01T10:00:00.000Z'), '2024-05-01 10:00:00 +0000 UTC');
    assert.equal(goTimeString('2024-05-01T12:00:00.123456789+02:00'), '2024-05-01 12:00:00.123456789 +0200 +0200');
  });

  test('other text is unchanged', () => {
    assert.equal(goTimeString(''), '');
    assert.equal(goTimeString('yesterday'), 'yesterday');
  });
});
