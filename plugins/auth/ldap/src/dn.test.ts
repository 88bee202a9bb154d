import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commonName, escapeDnValue, escapeFilterValue, parseDn } from './dn.js';

describe('escapeDnValue', () => {
  const cases: Array<[string, string]> = [
    ['alice', 'alice'],
    ['Smith, John', 'Smith\\, John'],
    ['a+b=c', 'a\\+b=c'],
    ['"quoted"<x>;y\\z', '\\"quoted\\"\\<x\\>\\;y\\\\z'],
    ['#hash', '\\#hash'],
    [' lead', '\\ lead'],
    ['trail ', 'trail\\ '],
    ['nul\0', 'nul\\00'],
  ];
  for (const [input, expected] of cases) {
    test(`escapes ${JSON.stringify(input)}`, () => {
      assert.equal(escapeDnValue(input), expected);
    });
  }
});

describe('escapeFilterValue', () => {
  test('escapes filter specials', () => {
    assert.equal(escapeFilterValue('a*(b)\\c\0'), 'a\\2a\\28b\\29\\5cc\\00');
  });

  test('escapes non-ascii bytes', () => {
    assert.equal(escapeFilterValue('José'), 'Jos\\c3\\a9');
  });

  test('leaves injection inert', () => {
    assert.equal(escapeFilterValue('*)(uid=*'), '\\2a\\29\\28uid=\\2a');
  });
});

describe('parseDn', () => {
  test('splits attributes in order', () => {
    assert.deepEqual(parseDn('cn=admins,ou=groups,dc=example,dc=com'), [
      { type: 'cn', value: 'admins' },
      { type: 'ou', value: 'groups' },
      { type: 'dc', value: 'example' },
      { type: 'dc', value: 'com' },
    ]);
  });

  test('unescapes values', () => {
    assert.deepEqual(parseDn('CN=Smith\\, John+uid=js,OU=x'), [
      { type: 'CN', value: 'Smith, John' },
      { type: 'uid', value: 'js' },
      { type: 'OU', value: 'x' },
    ]);
    assert.deepEqual(parseDn('cn=Jos\\C3\\A9'), [{ type: 'cn', value: 'José' }]);
    assert.deepEqual(parseDn('cn="a,b" , ou=x'), [
      { type: 'cn', value: 'a,b' },
      { type: 'ou', value: 'x' },
    ]);
  });

  test('keeps escaped spaces', () => {
    assert.deepEqual(parseDn('cn=\\ padded\\ ,ou=x'), [
      { type: 'cn', value: ' padded ' },
      { type: 'ou', value: 'x' },
    ]);
  });

  test('rejects non-DN text', () => {
    assert.equal(parseDn('admins'), null);
    assert.equal(parseDn('Domain Admins'), null);
    assert.equal(parseDn('cn=a,broken'), null);
    assert.equal(parseDn('cn="open'), null);
  });
});

describe('commonName', () => {
  test('first cn of a DN', () => {
    assert.equal(commonName('cn=developers,ou=groups,dc=example,dc=com'), 'developers');
    assert.equal(commonName('CN=Domain Admins,CN=Users,DC=corp'), 'Domain Admins');
  });

  test('text that is not a DN unchanged', () => {
    assert.equal(commonName('admins'), 'admins');
  });

  test('DN without cn unchanged', () => {
    assert.equal(commonName('ou=groups,dc=example,dc=com'), 'ou=groups,dc=example,dc=com');
  });
});
