import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigSource } from './source.js';

const HCL = `# listener "tcp" in a comment
// tls_disable in a comment
ui = true
storage "file" { path = "/data" }

listener "tcp" {
  tls_cert_file = "/a.pem"
  tls_disable   = true
}

listener tcp {
  tls_disable = false
}
`;

function positionOf(source: ConfigSource, offset: number | undefined): string {
  assert.notEqual(offset, undefined);
  const { line, column } = source.position(offset as number);
  return `${line},${column}`;
}

describe('ConfigSource', () => {
  test('findKey skips comment lines', () => {
    const source = new ConfigSource('c.hcl', HCL, 'hcl');
    assert.equal(positionOf(source, source.findKey('listener')), '6,1');
    assert.equal(positionOf(source, source.findKey('tls_disable')), '8,3');
  });

  test('findKey matches whole names only', () => {
    const source = new ConfigSource('c.hcl', HCL, 'hcl');
    assert.equal(source.findKey('tls_cert'), undefined);
    assert.equal(source.findKey('disable'), undefined);
  });

  test('findKey inside a one-line block', () => {
    const source = new ConfigSource('c.hcl', HCL, 'hcl');
    assert.equal(positionOf(source, source.findKey('path')), '4,18');
  });

  test('findKey from an offset', () => {
    const source = new ConfigSource('c.hcl', HCL, 'hcl');
    const second = source.findBlock('listener', 'tcp', 1);
    assert.equal(positionOf(source, second), '11,1');
    assert.equal(positionOf(source, source.findKey('tls_disable', second)), '12,3');
  });

  test('findBlock counts occurrences', () => {
    const source = new ConfigSource('c.hcl', HCL, 'hcl');
    assert.equal(positionOf(source, source.findBlock('listener', 'tcp', 0)), '6,1');
    assert.equal(positionOf(source, source.findBlock('listener', 'tcp', 1)), '11,1');
    assert.equal(positionOf(source, source.findBlock('listener', 'TCP', 0)), '6,1');
    assert.equal(positionOf(source, source.findBlock('storage', 'file', 0)), '4,1');
  });

  test('findBlock in JSON list form', () => {
    const text = '{\n  "listener": [\n    {"tcp": {"address": "a:1"}},\n    {"tcp": {"address": "b:2"}}\n  ]\n}';
    const source = new ConfigSource('c.json', text, 'json');
    assert.equal(positionOf(source, source.findBlock('listener', 'tcp', 0)), '3,6');
    assert.equal(positionOf(source, source.findBlock('listener', 'tcp', 1)), '4,6');
    assert.equal(positionOf(source, source.findKey('address', source.findBlock('listener', 'tcp', 1))), '4,14');
  });

  test('findKey in JSON ignores values', () => {
    const source = new ConfigSource('c.json', '{"name": "ui", "ui": true}', 'json');
    assert.equal(positionOf(source, source.findKey('ui')), '1,16');
  });

  test('error carries file, position and setting', () => {
    const source = new ConfigSource('c.hcl', HCL, 'hcl');
    const error = source.error('bad value', 'ui', source.findKey('ui'));
    assert.equal(error.message, 'c.hcl:3,1: bad value');
    assert.equal(error.detail, 'bad value');
    assert.equal(error.file, 'c.hcl');
    assert.equal(error.line, 3);
    assert.equal(error.column, 1);
    assert.equal(error.setting, 'ui');
  });

  test('error without a position', () => {
    const source = new ConfigSource('c.hcl', HCL, 'hcl');
    const error = source.error('bad value', 'ui', undefined);
    assert.equal(error.message, 'c.hcl: bad value');
    assert.equal(error.line, undefined);
    assert.equal(error.column, undefined);
  });
});
