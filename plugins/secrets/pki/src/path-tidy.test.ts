import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { x509 } from './x509.js';
import { assertRejectedUnchanged, createHarness, dataOf, generateRoot, ManualClock, rawOf } from './test-support.js';

async function setUp() {
  const clock = new ManualClock();
  const harness = createHarness('pki/', clock);
  const root = await generateRoot(harness);
  await harness.send('create', 'roles/web', { allow_any_name: true, key_type: 'ec' });
  const issue = async (name: string, ttl: string) => dataOf(await harness.send('update', 'issue/web', { common_name: name, ttl }));
  return { clock, harness, root, issue };
}

describe('tidy', () => {
  test('removes expired certificates and revocations past the buffer', async () => {
    const { clock, harness, root, issue } = await setUp();
    const short = await issue('short.example.com', '1h');
    const long = await issue('long.example.com', '1000h');
    await harness.send('update', 'revoke', { serial_number: short.serial_number });
    await harness.send('update', 'revoke', { serial_number: long.serial_number });
    clock.advance(3600 + 72 * 3600 + 60);

    const response = rawOf(await harness.send('update', 'tidy', { tidy_cert_store: true, tidy_revoked_certs: true }));

    assert.equal(response.status, 202);
    assert.deepEqual(JSON.parse(response.body.toString()).warnings, [
      "Tidy operation successfully started. Any information from the operation will be printed to Coffer's server logs.",
    ]);
    const keys = dataOf(await harness.send('list', 'certs')).keys as string[];
    assert.deepEqual([...keys].sort(), [String(root.serial_number), String(long.serial_number)].sort());
    const crl = new x509.X509Crl(rawOf(await harness.send('read', 'crl')).body);
    assert.deepEqual(
      crl.entries.map((entry) => entry.serialNumber.toLowerCase()),
      [String(long.serial_number).replace(/:/g, '')],
    );
    const status = dataOf(await harness.send('read', 'tidy-status'));
    assert.equal(status.state, 'Finished');
    assert.equal(status.cert_store_deleted_count, 1);
    assert.equal(status.revoked_cert_deleted_count, 1);
    assert.equal(status.safety_buffer, 259200);
  });

  test('keeps certificates inside the buffer', async () => {
    const { clock, harness, issue } = await setUp();
    const short = await issue('short.example.com', '1h');
    clock.advance(7200);

    await harness.send('update', 'tidy', { tidy_cert_store: true, safety_buffer: '72h' });

    assert.equal(dataOf(await harness.send('read', `cert/${String(short.serial_number)}`)).certificate, short.certificate);
  });

  test('status before any tidy', async () => {
    const harness = createHarness();

    assert.deepEqual(dataOf(await harness.send('read', 'tidy-status')), { state: 'Inactive' });
  });

  test('nothing to tidy and bad buffer', async () => {
    const { harness } = await setUp();

    const response = await harness.send('update', 'tidy', {});

    assert.deepEqual(response?.warnings, ['no targets to tidy; set tidy_cert_store, tidy_revoked_certs or both to true']);
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'tidy', { tidy_cert_store: true, safety_buffer: 0 }),
      'invalid field "safety_buffer": 0s: safety_buffer must be greater than zero',
    );
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'tidy', { tidy_cert_store: 'maybe' }),
      'invalid field "tidy_cert_store": expected a boolean, got "maybe"',
    );
  });
});
