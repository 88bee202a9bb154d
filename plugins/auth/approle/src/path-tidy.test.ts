import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHarness, createRole, dataOf, generateSecretId, MOUNT_PREFIX } from './test-support.js';

function tidyBody(response: Awaited<ReturnType<ReturnType<typeof createHarness>['send']>>): { status: number; body: Record<string, unknown> } {
  assert.ok(response?.raw !== undefined, 'expected a raw response');
  return { status: response.raw.status, body: JSON.parse(String(response.raw.body)) as Record<string, unknown> };
}

describe('tidy/secret-id', () => {
  test('removes expired secret IDs and keeps valid ones', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');
    const expiring = await generateSecretId(harness, 'web', { ttl: 30 });
    const lasting = await generateSecretId(harness, 'web');
    harness.clock.advance(31);

    const { status, body } = tidyBody(await harness.send('update', 'tidy/secret-id'));

    assert.equal(status, 202);
    assert.deepEqual(body.warnings, ['Tidy operation finished: removed 1 expired secret IDs, 0 secret IDs without an accessor and 0 accessors without a secret ID.']);
    assert.equal(body.request_id, 'req-0001');
    assert.equal(body.data, null);
    assert.equal(await harness.send('update', 'role/web/secret-id/lookup', { secret_id: expiring.secretId }), null);
    assert.ok(dataOf(await harness.send('update', 'role/web/secret-id/lookup', { secret_id: lasting.secretId })));
    assert.deepEqual(dataOf(await harness.send('list', 'role/web/secret-id')).keys, [lasting.accessor]);
  });

  test('removes broken index entries', async () => {
    const harness = createHarness();
    await createRole(harness, 'web');
    await generateSecretId(harness, 'web');
    await generateSecretId(harness, 'web');
    const snapshot = await harness.snapshot();
    const secretIdKey = [...snapshot.keys()].find((key) => key.startsWith(`${MOUNT_PREFIX}secret_id/`))!;
    const accessorKeys = [...snapshot.keys()].filter((key) => key.startsWith(`${MOUNT_PREFIX}accessor/`));
    // Break both pairs in the two ways a crash can: one secret ID loses its
    // accessor entry, and one accessor entry loses its secret ID.
    const orphanAccessor = JSON.parse(snapshot.get(secretIdKey)!.toString('utf8')) as { secretIdAccessor: string };
    await harness.storage.delete(secretIdKey);
    const otherAccessorKey = accessorKeys.find((key) => !snapshot.get(key)!.includes(secretIdKey.split('/').pop()!))!;
    await harness.storage.delete(otherAccessorKey);
    assert.ok(orphanAccessor.secretIdAccessor.length > 0);

    const { body } = tidyBody(await harness.send('update', 'tidy/secret-id'));

    assert.deepEqual(body.warnings, ['Tidy operation finished: removed 0 expired secret IDs, 1 secret IDs without an accessor and 1 accessors without a secret ID.']);
    const keys = [...(await harness.snapshot()).keys()];
    assert.equal(keys.filter((key) => key.startsWith(`${MOUNT_PREFIX}secret_id/`)).length, 0);
    assert.equal(keys.filter((key) => key.startsWith(`${MOUNT_PREFIX}accessor/`)).length, 0);
  });

  test('tidy of an empty mount', async () => {
    const harness = createHarness();

    const { status, body } = tidyBody(await harness.send('update', 'tidy/secret-id'));

    assert.equal(status, 202);
    assert.deepEqual(body.warnings, ['Tidy operation finished: removed 0 expired secret IDs, 0 secret IDs without an accessor and 0 accessors without a secret ID.']);
  });
});
