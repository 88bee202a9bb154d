import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkUsernameTemplate, generatePassword, renderUsernameTemplate, UsernameTemplateError } from './username-template.js';

const VALUES = { displayName: 'userpass-alice', roleName: 'readonly-role' };

describe('username templates', () => {
  test('vault default for postgresql', () => {
    const name = renderUsernameTemplate(
      '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}',
      VALUES,
    );
    assert.match(name, /^v-userpass-readonly-[A-Za-z0-9]{20}-\d{10}$/);
  });

  test('literal text and fields', () => {
    assert.equal(renderUsernameTemplate('app_{{.RoleName}}_{{ .DisplayName }}', VALUES), 'app_readonly-role_userpass-alice');
  });

  test('string functions', () => {
    assert.equal(renderUsernameTemplate('{{ .RoleName | uppercase }}', VALUES), 'READONLY-ROLE');
    assert.equal(renderUsernameTemplate('{{ .RoleName | replace "-" "_" }}', VALUES), 'readonly_role');
    assert.equal(renderUsernameTemplate('{{ lowercase "ABC" }}', VALUES), 'abc');
    assert.equal(renderUsernameTemplate('{{ base64 "ab" }}', VALUES), 'YWI=');
    assert.equal(renderUsernameTemplate('{{ sha256 "" }}', VALUES), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(renderUsernameTemplate('{{ truncate_sha256 10 "abcdefghijklmnop" }}', VALUES), 'abf39dac6c');
    assert.equal(renderUsernameTemplate('{{ printf "%s-%d-%%" "a" 7 }}', VALUES), 'a-7-%');
    assert.match(renderUsernameTemplate('{{ uuid }}', VALUES), /^[0-9a-f-]{36}$/);
    assert.match(renderUsernameTemplate('{{ timestamp "2006-01-02" }}', VALUES), /^\d{4}-\d{2}-\d{2}$/);
  });

  test('errors name the problem', () => {
    assert.throws(() => checkUsernameTemplate('{{ nosuch }}'), new UsernameTemplateError('unknown function "nosuch"'));
    assert.throws(() => checkUsernameTemplate('{{ .Other }}'), new UsernameTemplateError('unknown field ".Other": use .DisplayName or .RoleName'));
    assert.throws(() => checkUsernameTemplate('{{ .RoleName'), new UsernameTemplateError('unclosed action at offset 0: add "}}"'));
    assert.throws(() => checkUsernameTemplate('{{ truncate "x" .RoleName }}'), new UsernameTemplateError('function "truncate" expects a non-negative integer, got "x"'));
    assert.throws(() => checkUsernameTemplate('{{ (random 3 }}'), new UsernameTemplateError('missing ")"'));
  });
});

describe('password generator', () => {
  test('length and character classes', () => {
    for (let round = 0; round < 50; round++) {
      const password = generatePassword();
      assert.equal(password.length, 20);
      assert.match(password, /^[A-Za-z0-9-]+$/);
      assert.match(password, /[a-z]/);
      assert.match(password, /[A-Z]/);
      assert.match(password, /[0-9]/);
      assert.match(password, /-/);
    }
  });

  test('too short length is rejected', () => {
    assert.throws(() => generatePassword(3), { message: 'password length must be an integer of at least 4, not 3' });
  });
});
