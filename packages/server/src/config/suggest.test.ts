import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closestName, editDistance } from './suggest.js';

describe('suggestions', () => {
  test('editDistance counts edits', () => {
    assert.equal(editDistance('listner', 'listener'), 1);
    assert.equal(editDistance('tls_disabel', 'tls_disable'), 2);
    assert.equal(editDistance('', 'ui'), 2);
    assert.equal(editDistance('same', 'same'), 0);
  });

  test('closestName within two edits', () => {
    const known = ['listener', 'storage', 'seal', 'ui'];
    assert.equal(closestName('listner', known), 'listener');
    assert.equal(closestName('Storage', known), 'storage');
    assert.equal(closestName('stroage', known), 'storage');
    assert.equal(closestName('pid_file', known), undefined);
  });

  test('closestName for short names allows one edit', () => {
    const known = ['ui', 'seal'];
    assert.equal(closestName('uii', known), 'ui');
    assert.equal(closestName('sl', known), undefined);
  });
});
