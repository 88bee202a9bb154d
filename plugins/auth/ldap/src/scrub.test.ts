import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeConnectError, hostsOf, scrubMessage } from './scrub.js';

describe('scrubMessage', () => {
  test('removes secrets, urls and addresses', () => {
    const message = 'bind as cn=svc with s3cret-pw to ldap://ldap.corp.example:389 failed: connect ECONNREFUSED 10.2.3.4:389 and [fe80::1]:636 on ldap.corp.example';

    assert.equal(
      scrubMessage(message, ['s3cret-pw', 'ldap.corp.example']),
      'bind as cn=svc with [redacted] to [server] failed: connect ECONNREFUSED [server] and [server] on [redacted]',
    );
  });

  test('longer secret removed whole', () => {
    assert.equal(scrubMessage('pw=abcdef', ['abc', 'abcdef']), 'pw=[redacted]');
  });

  test('empty secret ignored', () => {
    assert.equal(scrubMessage('no secret here', ['']), 'no secret here');
  });
});

describe('describeConnectError', () => {
  test('known code described', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3890'), { code: 'ECONNREFUSED' });

    assert.equal(describeConnectError(err, []), 'connection refused');
  });

  test('unknown error scrubbed', () => {
    const err = new Error('Hostname/IP does not match certificate\'s altnames: Host: ldap.internal. is not in the cert\'s altnames: DNS:other');

    assert.equal(
      describeConnectError(err, ['ldap.internal']),
      'Hostname/IP does not match certificate\'s altnames: Host: [redacted]. is not in the cert\'s altnames: DNS:other',
    );
  });
});

describe('hostsOf', () => {
  test('hosts of every url', () => {
    assert.deepEqual(hostsOf('ldap://a.example:389, ldaps://[::1]:636,not a url'), ['a.example', '::1']);
  });
});
