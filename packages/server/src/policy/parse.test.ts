import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CREATE, DELETE, DENY, LIST, PATCH, READ, SUDO, UPDATE } from './capabilities.js';
import { parsePolicy } from './parse.js';

const PREFIX = 'invalid policy "dev"';

/** Parses `text` as policy "dev" and checks the 400 error message. */
async function assertRejects(text: string, message: string): Promise<void> {
  await assert.rejects(parsePolicy('dev', text), (error: unknown) => {
    assert.equal((error as { status?: number }).status, 400);
    assert.equal((error as Error).message, message);
    return true;
  });
}

describe('parsePolicy accepts', () => {
  test('capabilities as bits', async () => {
    const policy = await parsePolicy('dev', 'path "secret/foo" {\n  capabilities = ["create", "read", "update", "patch", "delete", "list", "sudo"]\n}\n');
    assert.equal(policy.name, 'dev');
    assert.equal(policy.templated, false);
    assert.equal(policy.paths.length, 1);
    assert.equal(policy.paths[0].path, 'secret/foo');
    assert.equal(policy.paths[0].permissions.capabilities, CREATE | READ | UPDATE | PATCH | DELETE | LIST | SUDO);
  });

  test('deny drops other capabilities', async () => {
    const policy = await parsePolicy('dev', 'path "a" {\n  capabilities = ["read", "deny", "sudo"]\n}\n');
    assert.equal(policy.paths[0].permissions.capabilities, DENY);
  });

  test('legacy policy values', async () => {
    const text = ['deny', 'read', 'write', 'sudo'].map((value) => `path "${value}" {\n  policy = "${value}"\n}\n`).join('');
    const policy = await parsePolicy('dev', text);
    const bits = Object.fromEntries(policy.paths.map((rule) => [rule.path, rule.permissions.capabilities]));
    assert.deepEqual(bits, {
      deny: DENY,
      read: READ | LIST,
      write: CREATE | READ | UPDATE | DELETE | LIST,
      sudo: CREATE | READ | UPDATE | DELETE | LIST | SUDO,
    });
  });

  test('legacy policy adds to capabilities', async () => {
    const policy = await parsePolicy('dev', 'path "a" {\n  policy = "read"\n  capabilities = ["patch"]\n}\n');
    assert.equal(policy.paths[0].permissions.capabilities, READ | LIST | PATCH);
  });

  test('parameters, ttls and comment', async () => {
    const text = `name = "ignored"
path "/secret/foo" {
  comment = "who may write what"
  capabilities = ["create"]
  allowed_parameters = {
    "Bar" = ["zip", 7, true]
    "*" = []
  }
  denied_parameters = {
    "secret" = []
  }
  required_parameters = ["bar"]
  min_wrapping_ttl = "1m"
  max_wrapping_ttl = 3600
}
`;
    const rule = (await parsePolicy('dev', text)).paths[0];
    assert.equal(rule.path, 'secret/foo');
    assert.deepEqual(new Map(rule.permissions.allowedParameters), new Map<string, unknown[]>([
      ['bar', ['zip', 7, true]],
      ['*', []],
    ]));
    assert.deepEqual([...rule.permissions.deniedParameters!], [['secret', []]]);
    assert.deepEqual(rule.permissions.requiredParameters, ['bar']);
    assert.equal(rule.permissions.minWrappingTtl, 60);
    assert.equal(rule.permissions.maxWrappingTtl, 3600);
  });

  test('empty parameter object is no limit', async () => {
    const rule = (await parsePolicy('dev', 'path "a" {\n  capabilities = ["read"]\n  allowed_parameters = {}\n}\n')).paths[0];
    assert.equal(rule.permissions.allowedParameters, undefined);
  });

  test('templated path', async () => {
    const policy = await parsePolicy('dev', 'path "secret/{{identity.entity.id}}/*" {\n  capabilities = ["read"]\n}\n');
    assert.equal(policy.templated, true);
    assert.equal(policy.paths[0].path, 'secret/{{identity.entity.id}}/*');
    assert.notEqual(policy.paths[0].template, undefined);
  });

  test('repeated path blocks', async () => {
    const policy = await parsePolicy('dev', 'path "a" {\n  capabilities = ["read"]\n}\npath "a" {\n  capabilities = ["list"]\n}\n');
    assert.deepEqual(
      policy.paths.map((rule) => rule.permissions.capabilities),
      [READ, LIST],
    );
  });

  test('json object of bodies', async () => {
    const text = '{"path": {"secret/foo": {"capabilities": ["read"]}, "secret/bar": {"policy": "write"}}}';
    const policy = await parsePolicy('dev', text);
    assert.deepEqual(
      policy.paths.map((rule) => rule.path),
      ['secret/foo', 'secret/bar'],
    );
    assert.equal(policy.raw, text);
  });

  test('json lists of blocks', async () => {
    const text = '{"path": [{"a": {"capabilities": ["read"]}}, {"a": [{"capabilities": ["list"]}]}]}';
    const policy = await parsePolicy('dev', text);
    assert.deepEqual(
      policy.paths.map((rule) => rule.permissions.capabilities),
      [READ, LIST],
    );
  });

  test('document without paths', async () => {
    assert.deepEqual((await parsePolicy('dev', '# nothing yet\n')).paths, []);
    assert.deepEqual((await parsePolicy('dev', '{}')).paths, []);
  });
});

describe('parsePolicy rejects', () => {
  test('hcl syntax error', async () => {
    await assertRejects(
      'path "x" {\n  capabilities = ["read"\n}',
      `${PREFIX} at line 3, column 1: Missing item separator; Expected a comma to mark the beginning of the next item.`,
    );
  });

  test('json syntax error', async () => {
    await assertRejects('{"path": {"x": {"capabilities": ["read",]}}}', `${PREFIX} at line 1, column 41: invalid JSON: expected a value, found ']'`);
  });

  test('unknown top-level key typo', async () => {
    await assertRejects('paths "x" {\n  capabilities = ["read"]\n}', `${PREFIX} at line 1: unknown key "paths"; did you mean "path"?`);
  });

  test('unknown top-level key', async () => {
    await assertRejects(
      'foo = 1\npath "x" {\n  capabilities = ["read"]\n}',
      `${PREFIX} at line 1: unknown key "foo"; a policy holds only "path" blocks and an optional "name"`,
    );
  });

  test('name not a string', async () => {
    await assertRejects('name = 5\n', `${PREFIX} at line 1: "name" must be a string`);
  });

  test('path as an attribute', async () => {
    await assertRejects('path = "x"\n', `${PREFIX} at line 1: "path" must be a block such as path "secret/*" { capabilities = ["read"] }`);
  });

  test('json path body not an object', async () => {
    await assertRejects('{\n  "path": {\n    "x": "read"\n  }\n}', `${PREFIX} at line 3: path "x" must be a block such as path "x" { capabilities = ["read"] }`);
  });

  test('empty path', async () => {
    await assertRejects('path "" {\n  capabilities = ["read"]\n}', `${PREFIX} at line 1: path "": the path is empty; name a path such as "secret/*"`);
  });

  test('unknown key with suggestion', async () => {
    await assertRejects(
      '# comment\npath "secret/foo" {\n  capabilites = ["read"]\n}',
      `${PREFIX} at line 3: path "secret/foo": unknown key "capabilites"; did you mean "capabilities"?`,
    );
  });

  test('unknown key without suggestion', async () => {
    await assertRejects(
      'path "secret/foo" {\n  colour = "red"\n}',
      `${PREFIX} at line 2: path "secret/foo": unknown key "colour"; use capabilities, policy, allowed_parameters, denied_parameters, required_parameters, min_wrapping_ttl, max_wrapping_ttl or comment`,
    );
  });

  test('enterprise key', async () => {
    await assertRejects(
      'path "secret/foo" {\n  capabilities = ["read"]\n  mfa_methods = ["x"]\n}',
      `${PREFIX} at line 3: path "secret/foo": "mfa_methods" is a Vault Enterprise feature that Coffer does not support; remove it`,
    );
  });

  test('capabilities not a list', async () => {
    await assertRejects(
      'path "secret/foo" {\n  capabilities = "read"\n}',
      `${PREFIX} at line 2: path "secret/foo": capabilities must be a list of strings such as ["read", "list"]`,
    );
  });

  test('unknown capability with suggestion', async () => {
    await assertRejects(
      'path "a" {\n  capabilities = ["read"]\n}\n\npath "secret/foo" {\n  capabilities = ["reed"]\n}',
      `${PREFIX} at line 6: path "secret/foo": unknown capability "reed"; use create, read, update, patch, delete, list, sudo or deny. Did you mean "read"?`,
    );
  });

  test('unknown capability', async () => {
    await assertRejects(
      'path "secret/foo" {\n  capabilities = ["subscribe"]\n}',
      `${PREFIX} at line 2: path "secret/foo": unknown capability "subscribe"; use create, read, update, patch, delete, list, sudo or deny`,
    );
  });

  test('unknown capability in json', async () => {
    await assertRejects(
      '{\n  "path": {\n    "secret/foo": {\n      "capabilities": ["raed"]\n    }\n  }\n}',
      `${PREFIX} at line 4: path "secret/foo": unknown capability "raed"; use create, read, update, patch, delete, list, sudo or deny`,
    );
  });

  test('second block of a path', async () => {
    await assertRejects(
      'path "secret/foo" {\n  capabilities = ["read"]\n}\npath "secret/foo" {\n  capabilities = ["nope"]\n}',
      `${PREFIX} at line 5: path "secret/foo": unknown capability "nope"; use create, read, update, patch, delete, list, sudo or deny`,
    );
  });

  test('unknown legacy policy', async () => {
    await assertRejects(
      'path "secret/foo" {\n  policy = "admin"\n}',
      `${PREFIX} at line 2: path "secret/foo": unknown policy value "admin"; use "deny", "read", "write" or "sudo", or list capabilities`,
    );
  });

  test('plus followed by glob', async () => {
    await assertRejects('path "secret/+*" {\n  capabilities = ["read"]\n}', `${PREFIX} at line 1: path "secret/+*": invalid use of wildcards: "+*" is forbidden`);
  });

  test('glob before the end', async () => {
    await assertRejects(
      'path "secret/*/foo" {\n  capabilities = ["read"]\n}',
      `${PREFIX} at line 1: path "secret/*/foo": "*" is only allowed as the last character; use "+" to match one segment`,
    );
  });

  test('unknown template parameter', async () => {
    await assertRejects(
      'path "secret/{{identity.entity.foo}}" {\n  capabilities = ["read"]\n}',
      `${PREFIX} at line 1: path "secret/{{identity.entity.foo}}": unknown template parameter "identity.entity.foo"; use identity.entity.id, ` +
        'identity.entity.name, identity.entity.metadata.<key>, identity.entity.aliases.<mount accessor>.id, ' +
        'identity.entity.aliases.<mount accessor>.name, identity.entity.aliases.<mount accessor>.metadata.<key>, ' +
        'identity.entity.aliases.<mount accessor>.custom_metadata.<key>, identity.groups.ids.<group id>.name, ' +
        'identity.groups.names.<group name>.id, identity.groups.ids.<group id>.metadata.<key> and ' +
        'identity.groups.names.<group name>.metadata.<key>',
    );
  });

  test('template without closing braces', async () => {
    await assertRejects(
      'path "secret/{{identity.entity.id" {\n  capabilities = ["read"]\n}',
      `${PREFIX} at line 1: path "secret/{{identity.entity.id": unbalanced template: "{{" without a matching "}}"`,
    );
  });

  test('template without opening braces', async () => {
    await assertRejects(
      'path "secret/identity.entity.id}}" {\n  capabilities = ["read"]\n}',
      `${PREFIX} at line 1: path "secret/identity.entity.id}}": unbalanced template: "}}" without a matching "{{"`,
    );
  });

  test('template for a list', async () => {
    await assertRejects(
      'path "secret/{{identity.entity.groups.names}}" {\n  capabilities = ["read"]\n}',
      `${PREFIX} at line 1: path "secret/{{identity.entity.groups.names}}": unknown template parameter "identity.entity.groups.names"; use identity.entity.id, ` +
        'identity.entity.name, identity.entity.metadata.<key>, identity.entity.aliases.<mount accessor>.id, ' +
        'identity.entity.aliases.<mount accessor>.name, identity.entity.aliases.<mount accessor>.metadata.<key>, ' +
        'identity.entity.aliases.<mount accessor>.custom_metadata.<key>, identity.groups.ids.<group id>.name, ' +
        'identity.groups.names.<group name>.id, identity.groups.ids.<group id>.metadata.<key> and ' +
        'identity.groups.names.<group name>.metadata.<key>',
    );
  });

  test('parameters not an object', async () => {
    await assertRejects(
      'path "secret/foo" {\n  capabilities = ["create"]\n  allowed_parameters = ["bar"]\n}',
      `${PREFIX} at line 3: path "secret/foo": allowed_parameters must be an object of parameter names and value lists, such as { "foo" = [] }`,
    );
  });

  test('parameter values not a list', async () => {
    await assertRejects(
      'path "secret/foo" {\n  capabilities = ["create"]\n  allowed_parameters = {\n    "bar" = "zip"\n  }\n}',
      `${PREFIX} at line 3: path "secret/foo": allowed_parameters "bar" must be a list of values such as [] or ["zip", "zap"]`,
    );
  });

  test('star parameter with values', async () => {
    await assertRejects(
      'path "secret/foo" {\n  capabilities = ["create"]\n  denied_parameters = {\n    "*" = ["x"]\n  }\n}',
      `${PREFIX} at line 3: path "secret/foo": denied_parameters "*" must be [] because "*" stands for every parameter`,
    );
  });

  test('glob in a parameter name', async () => {
    await assertRejects(
      'path "secret/foo" {\n  capabilities = ["create"]\n  allowed_parameters = {\n    "ba*" = []\n  }\n}',
      `${PREFIX} at line 3: path "secret/foo": allowed_parameters name "ba*" may not contain "*"; use "*" alone for every parameter`,
    );
  });

  test('required parameters not a list', async () => {
    await assertRejects(
      'path "secret/foo" {\n  capabilities = ["create"]\n  required_parameters = "bar"\n}',
      `${PREFIX} at line 3: path "secret/foo": required_parameters must be a list of parameter names such as ["bar"]`,
    );
  });

  test('glob in a required parameter', async () => {
    await assertRejects(
      'path "secret/foo" {\n  capabilities = ["create"]\n  required_parameters = ["b*"]\n}',
      `${PREFIX} at line 3: path "secret/foo": required_parameters name "b*" may not contain "*"; name each required parameter`,
    );
  });

  test('bad duration', async () => {
    await assertRejects(
      'path "secret/foo" {\n  capabilities = ["create"]\n  min_wrapping_ttl = "soon"\n}',
      `${PREFIX} at line 3: path "secret/foo": invalid min_wrapping_ttl "soon"; use seconds or a duration such as "90s", "5m" or "1h"`,
    );
  });

  test('negative duration', async () => {
    await assertRejects(
      'path "secret/foo" {\n  capabilities = ["create"]\n  max_wrapping_ttl = -5\n}',
      `${PREFIX} at line 3: path "secret/foo": invalid max_wrapping_ttl -5; use seconds or a duration such as "90s", "5m" or "1h"`,
    );
  });

  test('max ttl below min ttl', async () => {
    await assertRejects(
      'path "secret/foo" {\n  capabilities = ["create"]\n  min_wrapping_ttl = "2m"\n  max_wrapping_ttl = "60s"\n}',
      `${PREFIX} at line 4: path "secret/foo": max_wrapping_ttl (60s) is less than min_wrapping_ttl (120s)`,
    );
  });
});
