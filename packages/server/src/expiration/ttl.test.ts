import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { issueTtl, mountLimits, renewalTtl, type LeaseLimits } from './ttl.js';

const limits: LeaseLimits = { defaultTtl: 3600, maxTtl: 86400 };
const issueTime = Date.UTC(2024, 4, 1);

describe('issueTtl', () => {
  test('issueTtl takes the backend TTL', () => {
    assert.equal(issueTtl({ ttl: 600, maxTtl: 0 }, limits), 600);
  });

  test('issueTtl falls back to the default', () => {
    assert.equal(issueTtl({ ttl: 0, maxTtl: 0 }, limits), 3600);
  });

  test('issueTtl caps at the mount max', () => {
    assert.equal(issueTtl({ ttl: 90000, maxTtl: 0 }, limits), 86400);
  });

  test('issueTtl caps at a lower backend max', () => {
    assert.equal(issueTtl({ ttl: 0, maxTtl: 120 }, limits), 120);
    assert.equal(issueTtl({ ttl: 600, maxTtl: 100000 }, limits), 600);
  });
});

describe('mountLimits', () => {
  test('mountLimits prefers the tuned values', () => {
    assert.deepEqual(mountLimits({ defaultLeaseTtl: () => 60, maxLeaseTtl: () => 120 }, limits), { defaultTtl: 60, maxTtl: 120 });
  });

  test('mountLimits takes the server values for zero', () => {
    assert.deepEqual(mountLimits({ defaultLeaseTtl: () => 0, maxLeaseTtl: () => 0 }, limits), limits);
  });
});

describe('renewalTtl', () => {
  test('renewalTtl grants the increment', () => {
    const now = issueTime + 1000_000;
    const renewal = renewalTtl({ increment: 1800, backendTtl: 600, backendMaxTtl: 0, issueTime, now }, limits);
    assert.equal(renewal.ttl, 1800);
    assert.equal(renewal.expireTime, now + 1800_000);
    assert.deepEqual(renewal.warnings, []);
  });

  test('renewalTtl without increment takes the backend TTL, then the default', () => {
    const now = issueTime + 10_000;
    assert.equal(renewalTtl({ increment: 0, backendTtl: 600, backendMaxTtl: 0, issueTime, now }, limits).ttl, 600);
    assert.equal(renewalTtl({ increment: 0, backendTtl: 0, backendMaxTtl: 0, issueTime, now }, limits).ttl, 3600);
  });

  test('renewalTtl caps at the max TTL with Vault warning', () => {
    const now = issueTime + 3000_000;
    const renewal = renewalTtl({ increment: 3600, backendTtl: 0, backendMaxTtl: 3600, issueTime, now }, limits);
    assert.equal(renewal.ttl, 600);
    assert.equal(renewal.expireTime, issueTime + 3600_000);
    assert.deepEqual(renewal.warnings, ['TTL of "1h0m0s" exceeded the effective max_ttl of "10m0s"; TTL value is capped accordingly']);
  });

  test('renewalTtl caps only past the remaining time', () => {
    const now = issueTime + 3000_000;
    const exact = renewalTtl({ increment: 600, backendTtl: 0, backendMaxTtl: 3600, issueTime, now }, limits);
    assert.equal(exact.ttl, 600);
    assert.deepEqual(exact.warnings, []);
    const over = renewalTtl({ increment: 601, backendTtl: 0, backendMaxTtl: 3600, issueTime, now }, limits);
    assert.equal(over.ttl, 600);
    assert.deepEqual(over.warnings, ['TTL of "10m1s" exceeded the effective max_ttl of "10m0s"; TTL value is capped accordingly']);
  });

  test('renewalTtl counts whole seconds', () => {
    // 0.9 s after issue still counts as the issue second, as Vault truncates both times.
    const now = issueTime + 900;
    const renewal = renewalTtl({ increment: 100, backendTtl: 0, backendMaxTtl: 100, issueTime, now }, limits);
    assert.equal(renewal.ttl, 100);
    assert.deepEqual(renewal.warnings, []);
    assert.equal(renewal.expireTime, issueTime + 100_000);
  });

  test('renewalTtl past the max TTL fails', () => {
    const now = issueTime + 86400_000;
    assert.throws(() => renewalTtl({ increment: 60, backendTtl: 0, backendMaxTtl: 0, issueTime, now }, limits), {
      status: 400,
      message: 'past the max TTL, cannot renew',
    });
  });
});
