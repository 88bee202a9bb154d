import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LdifError, parseLdif } from './ldif.js';

function rejects(text: string, message: string): void {
  assert.throws(() => parseLdif(text), (err: unknown) => {
    assert.ok(err instanceof LdifError);
    assert.equal(err.message, message);
    return true;
  });
}

describe('parseLdif', () => {
  test('add, modify and delete records', () => {
    const text = [
      'version: 1',
      '# a comment',
      'dn: cn=u1,ou=people,dc=example,dc=com',
      'changetype: add',
      'objectClass: inetOrgPerson',
      'objectClass: person',
      'cn: u1',
      'sn:: VXNlciDDlm5l',
      '',
      'dn: cn=staff,ou=groups,dc=example,dc=com',
      'changetype: modify',
      'add: member',
      'member: cn=u1,ou=people,',
      ' dc=example,dc=com',
      '-',
      'replace: description',
      'description: updated',
      '-',
      'delete: seeAlso',
      '-',
      '',
      'dn: cn=old,ou=people,dc=example,dc=com',
      'changetype: delete',
      '',
    ].join('\n');

    assert.deepEqual(parseLdif(text), [
      { changetype: 'add', dn: 'cn=u1,ou=people,dc=example,dc=com', attributes: { objectClass: ['inetOrgPerson', 'person'], cn: ['u1'], sn: ['User Öne'] }, line: 3 },
      {
        changetype: 'modify',
        dn: 'cn=staff,ou=groups,dc=example,dc=com',
        changes: [
          { operation: 'add', attribute: 'member', values: ['cn=u1,ou=people,dc=example,dc=com'] },
          { operation: 'replace', attribute: 'description', values: ['updated'] },
          { operation: 'delete', attribute: 'seeAlso', values: [] },
        ],
        line: 10,
      },
      { changetype: 'delete', dn: 'cn=old,ou=people,dc=example,dc=com', line: 22 },
    ]);
  });

  test('record without changetype adds', () => {
    assert.deepEqual(parseLdif('dn: cn=x,dc=example,dc=com\ncn: x\r\nobjectClass: person\r\n'), [
      { changetype: 'add', dn: 'cn=x,dc=example,dc=com', attributes: { cn: ['x'], objectClass: ['person'] }, line: 1 },
    ]);
  });

  test('unsupported input names the line', () => {
    rejects('', 'line 1: no change records found');
    rejects('cn: x\n', 'line 1: a record must start with "dn:", got "cn:"');
    rejects('dn: cn=x,dc=example,dc=com\nchangetype: modrdn\nnewrdn: cn=y\n', 'line 2: changetype "modrdn" is not supported; use add, modify or delete');
    rejects('dn: cn=x,dc=example,dc=com\ncontrol: 1.2.3 true\nchangetype: delete\n', 'line 2: controls are not supported');
    rejects('dn: cn=x,dc=example,dc=com\njpegPhoto:< file:///etc/passwd\n', 'line 2: values read from a URL ("jpegPhoto:<") are not supported');
    rejects('dn: cn=x,dc=example,dc=com\ncn:: !!!\n', 'line 2: the value of "cn::" is not valid base64');
    rejects('dn: cn=x,dc=example,dc=com\nthis is not ldif\n', 'line 2: expected "attribute: value", got "this is not ldif"');
    rejects('dn: cn=x,dc=example,dc=com\nchangetype: delete\ncn: x\n', 'line 3: a delete record takes no attributes, got "cn:"');
    rejects('dn: cn=x,dc=example,dc=com\nchangetype: modify\nadd: member\nmember: cn=a\n', 'line 4: the "add: member" change must end with a "-" line');
    rejects('dn: cn=x,dc=example,dc=com\nchangetype: modify\nreplace: cn\nsn: y\n-\n', 'line 4: expected a value of "cn" or "-", got "sn:"');
    rejects('dn: cn=x,dc=example,dc=com\nchangetype: modify\nrename: cn\n-\n', 'line 3: expected "add:", "delete:" or "replace:" in a modify record, got "rename:"');
    rejects('dn: cn=x,dc=example,dc=com\nchangetype: modify\n', 'line 1: a modify record needs at least one change');
    rejects('dn: cn=x,dc=example,dc=com\nchangetype: add\n', 'line 1: an add record needs at least one attribute');
    rejects('dn:\ncn: x\n', 'line 1: the dn is empty');
    rejects('version: 2\ndn: cn=x,dc=example,dc=com\ncn: x\n', 'line 1: unsupported LDIF version "2"; only 1 is defined');
  });
});
