import assert from 'node:assert/strict';
import { test } from 'node:test';
import { haOptionsFrom } from './options.js';

const config = { apiAddr: 'https://from-config:8200', clusterAddr: 'https://from-config:8201', disableClustering: false };

test('config addresses without environment', () => {
  assert.deepEqual(haOptionsFrom(config, {}), config);
  assert.deepEqual(haOptionsFrom({ disableClustering: true }, {}), { disableClustering: true });
});

test('environment replaces config addresses', () => {
  const options = haOptionsFrom(config, { VAULT_API_ADDR: 'https://vault-env:8200/', COFFER_CLUSTER_ADDR: 'https://coffer-env:8201' });
  assert.equal(options.apiAddr, 'https://vault-env:8200');
  assert.equal(options.clusterAddr, 'https://coffer-env:8201');
});

test('COFFER_ variable wins over VAULT_', () => {
  const options = haOptionsFrom(config, { COFFER_API_ADDR: 'http://coffer:8200', VAULT_API_ADDR: 'http://vault:8200' });
  assert.equal(options.apiAddr, 'http://coffer:8200');
});

test('invalid environment address rejected', () => {
  assert.throws(() => haOptionsFrom(config, { VAULT_API_ADDR: 'coffer-1:8200' }), {
    message: 'invalid VAULT_API_ADDR "coffer-1:8200": expected a URL such as https://coffer-1.internal:8200',
  });
});
