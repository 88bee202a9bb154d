import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createArgon2Hasher } from './password.js';

describe('argon2 hasher', () => {
  test('hash and verify', async () => {
    const hasher = createArgon2Hasher();

    const hash = await hasher.hash('correct horse');

    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    assert.equal(await hasher.verify(hash, 'correct horse'), true);
    assert.equal(await hasher.verify(hash, 'correct horsE'), false);
  });

  test('salts each hash', async () => {
    const hasher = createArgon2Hasher();

    assert.notEqual(await hasher.hash('same'), await hasher.hash('same'));
  });

  test('dummy hash is computed once', async () => {
    const hasher = createArgon2Hasher();

    const first = await hasher.dummyHash();

    assert.equal(await hasher.dummyHash(), first);
    assert.match(first, /^\$argon2id\$/);
  });

  test('hashing leaves the event loop free', async () => {
    const hasher = createArgon2Hasher();
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 1);

    try {
      await Promise.all([hasher.hash('a'), hasher.hash('b'), hasher.hash('c')]);
    } finally {
      clearInterval(timer);
    }

    // A hash on the main thread would keep the timer from firing until it ended.
    assert.ok(ticks >= 2, `timer fired ${ticks} times while hashing`);
  });
});
