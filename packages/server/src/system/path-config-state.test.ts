import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createThrowawayDatabase, type ThrowawayDatabase } from '@coffer/storage-postgresql/testing';
import type { ServerConfig } from '../config/index.js';
import { startServer, type RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { sanitizeConfig } from './path-config-state.js';

const silent = { write: () => true };
/** The PostgreSQL server trusts local connections, so it ignores this password, but the config contains it as it would a real one. */
const STORAGE_PASSWORD = 'storage-pw-5f1c9e7a';
const NS = 1e9;

describe('sys/config/state/sanitized', () => {
  let directory = '';
  let database: ThrowawayDatabase;
  let provider: RunningServer;
  let server: RunningServer;
  let root = '';
  let sealToken = '';
  let connectionUrl = '';

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'coffer-config-state-'));
    database = await createThrowawayDatabase();
    const url = new URL(database.url);
    url.password = STORAGE_PASSWORD;
    connectionUrl = url.toString();

    // A second server provides the transit seal, with a token that may only use its key.
    provider = await startDevServer('root-config-state-provider');
    const providerRoot = 'root-config-state-provider';
    assert.equal((await api(provider, 'POST', 'sys/mounts/transit', { token: providerRoot, body: { type: 'transit' } })).status, 204);
    assert.equal((await api(provider, 'POST', 'transit/keys/autounseal', { token: providerRoot, body: {} })).status, 200);
    const policy = 'path "transit/encrypt/autounseal" { capabilities = ["update"] }\npath "transit/decrypt/autounseal" { capabilities = ["update"] }';
    assert.equal((await api(provider, 'PUT', 'sys/policies/acl/autounseal', { token: providerRoot, body: { policy } })).status, 204);
    const created = await api(provider, 'POST', 'auth/token/create', { token: providerRoot, body: { policies: ['autounseal'], no_default_policy: true } });
    sealToken = created.body.auth.client_token;

    const configPath = join(directory, 'config.hcl');
    await writeFile(
      configPath,
      [
        `storage "postgresql" {\n  connection_url = "${connectionUrl}"\n}`,
        `seal "transit" {\n  address = "${provider.address}"\n  token = "${sealToken}"\n  key_name = "autounseal"\n  mount_path = "transit/"\n}`,
        'listener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}',
        'api_addr = "http://127.0.0.1:8200"',
        'default_lease_ttl = "1h"',
        'max_lease_ttl = "24h"',
        'ui = false',
      ].join('\n'),
    );
    server = await startServer({ configPaths: [configPath], logDestination: silent });
    const init = await api(server, 'PUT', 'sys/init', { body: { recovery_shares: 1, recovery_threshold: 1 } });
    assert.equal(init.status, 200);
    root = init.body.root_token;
  });
  after(async () => {
    await server?.close();
    await provider?.close();
    await database?.drop();
    await rm(directory, { recursive: true, force: true });
  });

  test('returns the config in Vault shape', async () => {
    const response = await api(server, 'GET', 'sys/config/state/sanitized', { token: root });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, {
      api_addr: 'http://127.0.0.1:8200',
      cache_size: 131072,
      cluster_addr: '',
      cluster_cipher_suites: '',
      cluster_name: '',
      default_lease_ttl: 3600 * NS,
      default_max_request_duration: 0,
      disable_cache: false,
      disable_clustering: false,
      disable_indexing: false,
      disable_mlock: false,
      disable_performance_standby: false,
      disable_printable_check: false,
      disable_sealwrap: false,
      enable_ui: false,
      listeners: [
        {
          config: { address: '127.0.0.1:0', tls_disable: true, tls_require_and_verify_client_cert: false, tls_disable_client_certs: false },
          type: 'tcp',
        },
      ],
      log_format: '',
      log_level: 'info',
      max_lease_ttl: 24 * 3600 * NS,
      pid_file: '',
      plugin_directory: '',
      raw_storage_endpoint: false,
      seals: [{ disabled: false, type: 'transit' }],
      storage: { cluster_addr: '', disable_clustering: false, redirect_addr: 'http://127.0.0.1:8200', type: 'postgresql' },
    });
  });

  test('never contains a storage or seal secret', async () => {
    const response = await fetch(`${server.address}/v1/sys/config/state/sanitized`, { headers: { 'X-Vault-Token': root } });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.equal(text.includes(STORAGE_PASSWORD), false, 'storage password');
    assert.equal(text.includes(connectionUrl), false, 'storage connection URL');
    assert.equal(text.includes(database.name), false, 'storage database name');
    assert.equal(text.includes(sealToken), false, 'seal token');
    assert.equal(text.includes(provider.address), false, 'seal address');
  });

  test('needs a policy for the path but not sudo', async () => {
    const plain = await api(server, 'POST', 'auth/token/create', { token: root, body: { policies: ['default'] } });
    assert.equal((await api(server, 'GET', 'sys/config/state/sanitized', { token: plain.body.auth.client_token })).status, 403);

    // Vault's own example policies grant only "read" here, so Coffer requires no sudo either.
    const policy = 'path "sys/config/state/sanitized" { capabilities = ["read"] }';
    assert.equal((await api(server, 'PUT', 'sys/policies/acl/config-reader', { token: root, body: { policy } })).status, 204);
    const reader = await api(server, 'POST', 'auth/token/create', { token: root, body: { policies: ['config-reader'] } });
    assert.equal((await api(server, 'GET', 'sys/config/state/sanitized', { token: reader.body.auth.client_token })).status, 200);
  });
});

describe('sanitizeConfig', () => {
  test('keeps TLS file paths and drops stanza settings', () => {
    const config: ServerConfig = {
      storage: { type: 'etcd', settings: { address: 'https://127.0.0.1:2379', password: 'etcd-secret', username: 'coffer' } },
      listeners: [
        {
          type: 'tcp',
          address: '0.0.0.0:8200',
          tlsDisable: false,
          tlsCertFile: '/etc/coffer/tls/server.crt',
          tlsKeyFile: '/etc/coffer/tls/server.key',
          tlsClientCaFile: '/etc/coffer/tls/ca.crt',
          tlsRequireAndVerifyClientCert: true,
          tlsDisableClientCerts: false,
        },
      ],
      seal: { type: 'awskms', disabled: false, settings: { access_key: 'AKIAEXAMPLE', secret_key: 'aws-secret-key', kms_key_id: 'key-1' } },
      sealMigrationSource: { type: 'shamir', disabled: true, settings: {} },
      defaultLeaseTtl: 60,
      maxLeaseTtl: 120,
      logLevel: 'warn',
      ui: true,
      disableMlock: true,
      cacheSize: 1000,
      disableCache: true,
      disableClustering: true,
      ignoredSettings: [],
      userLockout: {},
      sourceFiles: ['/etc/coffer/config.hcl'],
      telemetry: { prometheusRetentionSeconds: 30, disableHostname: true },
    };

    const sanitized = sanitizeConfig(config);

    assert.deepEqual(sanitized.listeners, [
      {
        config: {
          address: '0.0.0.0:8200',
          tls_disable: false,
          tls_require_and_verify_client_cert: true,
          tls_disable_client_certs: false,
          tls_cert_file: '/etc/coffer/tls/server.crt',
          tls_key_file: '/etc/coffer/tls/server.key',
          tls_client_ca_file: '/etc/coffer/tls/ca.crt',
        },
        type: 'tcp',
      },
    ]);
    assert.deepEqual(sanitized.seals, [
      { disabled: false, type: 'awskms' },
      { disabled: true, type: 'shamir' },
    ]);
    assert.deepEqual(sanitized.storage, { cluster_addr: '', disable_clustering: true, redirect_addr: '', type: 'etcd' });
    assert.deepEqual(sanitized.telemetry, { disable_hostname: true, metrics_prefix: '', prometheus_retention_time: 30 * NS, usage_gauge_period: 0 });
    const text = JSON.stringify(sanitized);
    for (const secret of ['etcd-secret', 'AKIAEXAMPLE', 'aws-secret-key', 'key-1', 'coffer"']) {
      assert.equal(text.includes(secret), false, secret);
    }
  });
});
