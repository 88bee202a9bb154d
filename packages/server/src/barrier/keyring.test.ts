import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_ROTATION_CONFIG, Keyring } from './keyring.js';

describe('Keyring', () => {
  test('older keyring loads Vault defaults', () => {
    const legacy = { activeTerm: 1, keys: [{ term: 1, key: Buffer.alloc(32, 7).toString('base64'), installTime: '2025-01-01T00:00:00.000Z' }] };
    const keyring = Keyring.deserialize(Buffer.from(JSON.stringify(legacy)));

    assert.deepEqual(keyring.rotationConfig, { maxOperations: 3865470566, intervalSeconds: 0, enabled: true });
    assert.equal(keyring.activeTerm.encryptions, 0);
    assert.equal(keyring.activeTerm.persistedEncryptions, 0);
  });

  test('round trip keeps config and stored counts', () => {
    const config = { maxOperations: 2_000_000, intervalSeconds: 86400, enabled: false };
    const keyring = Keyring.generate(Date.parse('2026-01-01T00:00:00.000Z')).withRotationConfig(config);
    keyring.activeTerm.encryptions = 10;
    keyring.activeTerm.persistedEncryptions = 2010;

    const loaded = Keyring.deserialize(keyring.serialize());

    assert.deepEqual(loaded.rotationConfig, config);
    assert.equal(loaded.activeTerm.installTime, '2026-01-01T00:00:00.000Z');
    // The count resumes from the stored reservation, never from the lower in-memory count.
    assert.equal(loaded.activeTerm.encryptions, 2010);
    assert.equal(loaded.activeTerm.persistedEncryptions, 2010);
  });

  test('rotation stores the exact count of the old term', () => {
    const keyring = Keyring.generate(0);
    keyring.activeTerm.encryptions = 42;
    keyring.activeTerm.persistedEncryptions = 1042;

    const rotated = keyring.rotated(Date.parse('2026-02-01T00:00:00.000Z'));
    const loaded = Keyring.deserialize(rotated.serialize());

    assert.equal(loaded.activeTerm.term, 2);
    assert.equal(loaded.activeTerm.installTime, '2026-02-01T00:00:00.000Z');
    assert.equal(loaded.activeTerm.encryptions, 0);
    assert.equal(loaded.termKey(1)?.encryptions, 42);
    assert.deepEqual(loaded.rotationConfig, DEFAULT_ROTATION_CONFIG);
  });
});
