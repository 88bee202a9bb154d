import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, certificateText, createHarness, dataOf } from './test-support.js';

describe('config/urls', () => {
  test('empty before the first write', async () => {
    const harness = createHarness();

    assert.deepEqual(dataOf(await harness.send('read', 'config/urls')), { issuing_certificates: [], crl_distribution_points: [], ocsp_servers: [] });
  });

  test('write changes only sent fields', async () => {
    const harness = createHarness();
    await harness.send('update', 'config/urls', { issuing_certificates: 'http://127.0.0.1/v1/pki/ca', ocsp_servers: ['http://127.0.0.1/ocsp'] });

    const written = dataOf(await harness.send('update', 'config/urls', { crl_distribution_points: 'http://127.0.0.1/v1/pki/crl' }));

    assert.deepEqual(written, {
      issuing_certificates: ['http://127.0.0.1/v1/pki/ca'],
      crl_distribution_points: ['http://127.0.0.1/v1/pki/crl'],
      ocsp_servers: ['http://127.0.0.1/ocsp'],
    });
    assert.deepEqual(dataOf(await harness.send('read', 'config/urls')), written);
  });

  test('ocsp url lands in issued roots', async () => {
    const harness = createHarness();
    await harness.send('update', 'config/urls', { ocsp_servers: 'http://127.0.0.1/ocsp' });

    const root = dataOf(await harness.send('update', 'root/generate/internal', { common_name: 'Root', key_type: 'ec' }));

    assert.match(await certificateText(String(root.certificate)), /OCSP - URI:http:\/\/127\.0\.0\.1\/ocsp/);
  });

  test('invalid urls are rejected', async () => {
    const harness = createHarness();
    await harness.send('update', 'config/urls', { issuing_certificates: 'http://127.0.0.1/ca' });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config/urls', { issuing_certificates: 'http://127.0.0.1/ok', crl_distribution_points: 'not a url' }),
      'invalid field "crl_distribution_points": "not a url" is not a valid URL',
    );
    await assertRejectedUnchanged(harness, () => harness.send('update', 'config/urls', { ocsp_servers: { a: 1 } }), 'invalid field "ocsp_servers": expected a list of strings or a comma-separated string, got an object');
  });
});
