import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { passedHeaders } from './request-handling.js';

describe('passedHeaders', () => {
  test('picks listed headers in any case', () => {
    const raw = ['X-Request-Source', 'ci', 'Accept', 'text/plain', 'x-request-source', 'cd', 'Host', 'h'];
    assert.deepEqual(passedHeaders(raw, ['x-REQUEST-source', 'accept']), { 'x-request-source': 'ci, cd', accept: 'text/plain' });
  });

  test('never passes the token header', () => {
    assert.deepEqual(passedHeaders(['X-Vault-Token', 'hvs.secret', 'X-A', '1'], ['X-Vault-Token', 'X-A']), { 'x-a': '1' });
  });

  test('object member names are ordinary headers', () => {
    assert.deepEqual(passedHeaders(['constructor', 'x', '__proto__', 'y'], ['constructor', '__proto__']), Object.fromEntries([['constructor', 'x'], ['__proto__', 'y']]));
  });
});
