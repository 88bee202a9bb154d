import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Logger } from '@coffer/sdk';
import { createHarness, createKey, dataOf, ManualClock, MOUNT_PREFIX } from './test-support.js';

/** Creates a logger that records its entries, so a test can check what rotation logs. */
function recordingLogger(entries: Array<{ level: string; fields: object; message: string }>): Logger {
  const log = (level: string) => (fields: object, message: string) => void entries.push({ level, fields, message });
  const logger: Logger = {
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
  };
  return logger;
}

async function latestVersion(harness: ReturnType<typeof createHarness>, name: string): Promise<unknown> {
  return dataOf(await harness.send('read', `keys/${name}`)).latest_version;
}

describe('automatic rotation', () => {
  test('rotates keys whose period has passed', async () => {
    const entries: Array<{ level: string; fields: object; message: string }> = [];
    const harness = createHarness({ logger: recordingLogger(entries) });
    await createKey(harness, 'hourly', { auto_rotate_period: '1h' });
    await createKey(harness, 'manual');

    harness.clock.advance(3599);
    await harness.backend.autoRotation.check();
    assert.equal(await latestVersion(harness, 'hourly'), 1);

    harness.clock.advance(1);
    await harness.backend.autoRotation.check();
    assert.equal(await latestVersion(harness, 'hourly'), 2);
    assert.equal(await latestVersion(harness, 'manual'), 1);
    assert.deepEqual(entries, [{ level: 'info', fields: { key: 'hourly', version: 2 }, message: 'key rotated automatically' }]);

    // The period restarts from the new version.
    harness.clock.advance(1800);
    await harness.backend.autoRotation.check();
    assert.equal(await latestVersion(harness, 'hourly'), 2);
  });

  test('a manual rotation restarts the period', async () => {
    const harness = createHarness();
    await createKey(harness, 'key', { auto_rotate_period: '2h' });
    harness.clock.advance(5400);
    await harness.send('update', 'keys/key/rotate');

    harness.clock.advance(3600);
    await harness.backend.autoRotation.check();

    assert.equal(await latestVersion(harness, 'key'), 2);
  });

  test('schedule survives a restart', async () => {
    const clock = new ManualClock();
    const first = createHarness({ clock });
    await createKey(first, 'key', { auto_rotate_period: '1h' });
    await first.backend.cleanup();

    clock.advance(1800);
    const early = createHarness({ storage: first.storage, clock });
    await early.backend.initialize();
    await early.backend.autoRotation.check();
    await early.backend.cleanup();
    assert.equal(await latestVersion(early, 'key'), 1);

    clock.advance(1800);
    const due = createHarness({ storage: first.storage, clock });
    await due.backend.initialize();
    await due.backend.autoRotation.check();
    await due.backend.cleanup();
    assert.equal(await latestVersion(due, 'key'), 2);
    const stored = JSON.parse(String((await first.storage.get(`${MOUNT_PREFIX}policy/key`))?.value)) as { latest_version: number };
    assert.equal(stored.latest_version, 2);
  });

  test('timer runs the check', async () => {
    const harness = createHarness({ rotationCheckMs: 5 });
    await createKey(harness, 'key', { auto_rotate_period: '1h' });
    harness.clock.advance(3600);

    await harness.backend.initialize();
    const deadline = Date.now() + 2000;
    while ((await latestVersion(harness, 'key')) === 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await harness.backend.cleanup();

    assert.equal(await latestVersion(harness, 'key'), 2);
  });

  test('a failing key is logged and the others still rotate', async () => {
    const entries: Array<{ level: string; fields: object; message: string }> = [];
    const harness = createHarness({ logger: recordingLogger(entries) });
    await createKey(harness, 'good', { auto_rotate_period: '1h' });
    await harness.storage.put({ key: `${MOUNT_PREFIX}policy/broken`, value: Buffer.from('{}') });
    harness.clock.advance(3600);

    await harness.backend.autoRotation.check();

    assert.equal(await latestVersion(harness, 'good'), 2);
    const failure = entries.find((entry) => entry.level === 'error');
    assert.equal(failure?.message, 'automatic key rotation failed');
    assert.equal((failure?.fields as { key: string }).key, 'broken');
  });
});
