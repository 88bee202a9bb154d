import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from './load.js';
import { loadError, makeConfigDir, PLAIN_LISTENER } from './test-helpers.js';

describe('merging files', () => {
  test('single settings: later file wins', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': `api_addr = "https://a:8200"
cluster_addr = "https://a:8201"
log_level = "debug"
log_format = "json"
plugin_directory = "/a/plugins"
`,
      'b.hcl': `api_addr = "https://b:8200"
log_level = "error"
`,
    });
    const config = await loadConfig([dir]);
    assert.equal(config.apiAddr, 'https://b:8200');
    assert.equal(config.clusterAddr, 'https://a:8201');
    assert.equal(config.logLevel, 'error');
    assert.equal(config.logFormat, 'json');
    assert.equal(config.pluginDirectory, '/a/plugins');
  });

  test('ui and disable_mlock: any true wins', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': 'ui = true\ndisable_mlock = false\n',
      'b.hcl': 'ui = false\ndisable_mlock = true\n',
    });
    const config = await loadConfig([dir]);
    assert.equal(config.ui, true);
    assert.equal(config.disableMlock, true);
  });

  test('disable_cache: any true wins', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': 'disable_cache = true\n',
      'b.hcl': 'disable_cache = false\n',
    });
    assert.equal((await loadConfig([dir])).disableCache, true);
    assert.equal((await loadConfig([join(dir, 'b.hcl')])).disableCache, false);
  });

  test('cache_size: later non-zero file wins', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': 'cache_size = 1000\n',
      'b.hcl': 'cache_size = 2000\n',
      'c.hcl': 'cache_size = 0\n',
    });
    assert.equal((await loadConfig([dir])).cacheSize, 2000);
    assert.equal((await loadConfig([join(dir, 'c.hcl'), join(dir, 'a.hcl')])).cacheSize, 1000);
    assert.equal((await loadConfig([join(dir, 'c.hcl')])).cacheSize, 131072);
  });

  test('disable_clustering: later file wins', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': 'disable_clustering = true\n',
      'b.hcl': 'disable_clustering = false\n',
    });
    assert.equal((await loadConfig([dir])).disableClustering, false);
    assert.equal((await loadConfig([join(dir, 'a.hcl')])).disableClustering, true);
    const bad = await makeConfigDir(t, { 'c.hcl': 'disable_clustering = "sometimes"\n' });
    assert.equal(
      (await loadError([join(bad, 'c.hcl')])).message,
      `${join(bad, 'c.hcl')}:1,1: invalid "disable_clustering": expected a boolean (true or false), got "sometimes"`,
    );
  });

  test('lease TTLs: largest wins', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': 'default_lease_ttl = "2h"\nmax_lease_ttl = "100h"\n',
      'b.hcl': 'default_lease_ttl = "1h"\nmax_lease_ttl = "200h"\n',
    });
    const config = await loadConfig([dir]);
    assert.equal(config.defaultLeaseTtl, 2 * 3600);
    assert.equal(config.maxLeaseTtl, 200 * 3600);
  });

  test('listeners add up in file order', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': PLAIN_LISTENER,
      'b.json': JSON.stringify({
        listener: { tcp: { address: '0.0.0.0:8443', tls_cert_file: '/c.pem', tls_key_file: '/k.pem' } },
      }),
    });
    const config = await loadConfig([dir]);
    assert.deepEqual(
      config.listeners.map((listener) => [listener.address, listener.tlsDisable]),
      [
        ['127.0.0.1:8200', true],
        ['0.0.0.0:8443', false],
      ],
    );
  });

  test('storage from one file, listener from another', async (t) => {
    const dir = await makeConfigDir(t, {
      'listener.hcl': PLAIN_LISTENER,
      'storage.hcl': 'storage "sqlite" {\n  path = "/data/coffer.db"\n}\n',
    });
    const config = await loadConfig([dir]);
    assert.deepEqual(config.storage, { type: 'sqlite', settings: { path: '/data/coffer.db' } });
    assert.equal(config.listeners.length, 1);
  });

  test('ignored settings are listed once', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': 'cluster_name = "a"\ntelemetry {\n  statsd_address = "127.0.0.1:8125"\n}\n',
      'b.hcl': 'cluster_name = "b"\nraw_storage_endpoint = true\n',
    });
    const config = await loadConfig([dir]);
    assert.deepEqual(config.ignoredSettings, ['cluster_name', 'telemetry.statsd_address', 'raw_storage_endpoint']);
  });
});

describe('merging seals', () => {
  test('one seal', async (t) => {
    const dir = await makeConfigDir(t, { 'a.hcl': 'seal "shamir" {}\n' });
    const config = await loadConfig([dir]);
    assert.deepEqual(config.seal, { type: 'shamir', disabled: false, settings: {} });
    assert.equal(config.sealMigrationSource, undefined);
  });

  test('single disabled seal', async (t) => {
    const dir = await makeConfigDir(t, { 'a.hcl': 'seal "transit" {\n  disabled = true\n}\n' });
    const config = await loadConfig([dir]);
    assert.deepEqual(config.seal, { type: 'transit', disabled: true, settings: {} });
  });

  test('migration seals in one file', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': `seal "transit" {
  address  = "https://old:8200"
  disabled = "true"
}

seal "pkcs11" {
  slot = 1
}
`,
    });
    const config = await loadConfig([dir]);
    assert.deepEqual(config.seal, { type: 'pkcs11', disabled: false, settings: { slot: '1' } });
    assert.deepEqual(config.sealMigrationSource, {
      type: 'transit',
      disabled: true,
      settings: { address: 'https://old:8200' },
    });
  });

  test('migration seals across files', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': 'seal "pkcs11" {\n  slot = 1\n}\n',
      'b.json': '{"seal": {"shamir": {"disabled": true}}}',
    });
    const config = await loadConfig([dir]);
    assert.equal(config.seal?.type, 'pkcs11');
    assert.deepEqual(config.sealMigrationSource, { type: 'shamir', disabled: true, settings: {} });
  });

  test('two enabled seals', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': 'seal "pkcs11" {\n  slot = 1\n}\n',
      'b.hcl': 'ui = true\n\nseal "transit" {\n  address = "https://x:8200"\n}\n',
    });
    const a = join(dir, 'a.hcl');
    const b = join(dir, 'b.hcl');
    const error = await loadError([dir]);
    assert.equal(
      error.message,
      `${b}:3,1: found two enabled seal stanzas ("pkcs11" in ${a} and "transit" in ${b}). For a seal migration, mark the old seal with disabled = true. Otherwise remove one of them.`,
    );
    assert.equal(error.setting, 'seal');
  });

  test('two disabled seals', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': 'seal "pkcs11" {\n  disabled = true\n}\n\nseal "pkcs11" {\n  disabled = true\n}\n',
    });
    const a = join(dir, 'a.hcl');
    const error = await loadError([dir]);
    assert.equal(
      error.message,
      `${a}:5,1: both seal stanzas ("pkcs11" in ${a} and "pkcs11" in ${a}) have disabled = true, but during a seal migration only the old seal is disabled. Remove disabled = true from the new seal.`,
    );
  });

  test('three seals', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': 'seal "shamir" {\n  disabled = true\n}\nseal "transit" {}\n',
      'b.hcl': '\nseal "pkcs11" {}\n',
    });
    const b = join(dir, 'b.hcl');
    const error = await loadError([dir]);
    assert.equal(
      error.message,
      `${b}:2,1: found 3 seal stanzas, but at most two are allowed: the seal in use and, during a seal migration, the old seal marked disabled = true. Remove the others.`,
    );
  });
});

describe('merging errors', () => {
  test('storage in two files', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': 'storage "sqlite" {\n  path = "/a.db"\n}\n',
      'b.hcl': 'ui = true\nbackend "file" {\n  path = "/b"\n}\n',
    });
    const a = join(dir, 'a.hcl');
    const b = join(dir, 'b.hcl');
    const error = await loadError([dir]);
    assert.equal(
      error.message,
      `${b}:2,1: found a second storage stanza ("file") after the one in ${a}, but only one storage stanza is allowed across all config files. Remove one of them.`,
    );
    assert.equal(error.file, b);
    assert.equal(error.setting, 'backend');
  });

  test('max_lease_ttl below default', async (t) => {
    const dir = await makeConfigDir(t, { 'a.hcl': 'ui = true\nmax_lease_ttl = "1h"\n' });
    const a = join(dir, 'a.hcl');
    const error = await loadError([dir]);
    assert.equal(
      error.message,
      `${a}:2,1: "default_lease_ttl" (768h0m0s, the default) is longer than "max_lease_ttl" (1h0m0s). Set default_lease_ttl to at most max_lease_ttl.`,
    );
    assert.equal(error.setting, 'max_lease_ttl');
  });

  test('default_lease_ttl above max', async (t) => {
    const dir = await makeConfigDir(t, {
      'a.hcl': 'max_lease_ttl = "2h"\n',
      'b.hcl': '\ndefault_lease_ttl = "3h"\n',
    });
    const b = join(dir, 'b.hcl');
    const error = await loadError([dir]);
    assert.equal(
      error.message,
      `${b}:2,1: "default_lease_ttl" (3h0m0s) is longer than "max_lease_ttl" (2h0m0s). Set default_lease_ttl to at most max_lease_ttl.`,
    );
    assert.equal(error.setting, 'default_lease_ttl');
  });
});
