import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KNOWN_TOP_LEVEL_SETTINGS } from './schema.js';
import { loadText, loadTextError, PLAIN_LISTENER } from './test-helpers.js';

describe('top-level settings', () => {
  test('every setting in HCL', async (t) => {
    const config = await loadText(
      t,
      'config.hcl',
      `storage "sqlite" {
  path = "/var/lib/coffer/coffer.db"
}
${PLAIN_LISTENER}
seal "pkcs11" {
  lib       = "/usr/lib/softhsm/libsofthsm2.so"
  slot      = 0
  key_label = "coffer"
}
api_addr          = "https://coffer.example.com:8200"
cluster_addr      = "https://10.0.0.5:8201"
default_lease_ttl = "1h30m"
max_lease_ttl     = "48h"
log_level         = "Warning"
log_format        = "JSON"
ui                = true
disable_mlock     = true
cache_size        = 5000
disable_cache     = true
plugin_directory  = "/usr/lib/coffer/plugins"
`,
    );
    assert.deepEqual(config.storage, { type: 'sqlite', settings: { path: '/var/lib/coffer/coffer.db' } });
    assert.equal(config.listeners.length, 1);
    assert.deepEqual(config.seal, {
      type: 'pkcs11',
      disabled: false,
      settings: { lib: '/usr/lib/softhsm/libsofthsm2.so', slot: '0', key_label: 'coffer' },
    });
    assert.equal(config.sealMigrationSource, undefined);
    assert.equal(config.apiAddr, 'https://coffer.example.com:8200');
    assert.equal(config.clusterAddr, 'https://10.0.0.5:8201');
    assert.equal(config.defaultLeaseTtl, 5400);
    assert.equal(config.maxLeaseTtl, 48 * 3600);
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.logFormat, 'json');
    assert.equal(config.ui, true);
    assert.equal(config.disableMlock, true);
    assert.equal(config.cacheSize, 5000);
    assert.equal(config.disableCache, true);
    assert.equal(config.pluginDirectory, '/usr/lib/coffer/plugins');
    assert.deepEqual(config.ignoredSettings, []);
  });

  test('cache settings default to Vault defaults', async (t) => {
    const config = await loadText(t, 'config.hcl', 'ui = true\n');
    assert.equal(config.cacheSize, 131072);
    assert.equal(config.disableCache, false);
  });

  test('cache_size as a string', async (t) => {
    const config = await loadText(t, 'config.hcl', 'cache_size = "2048"\n');
    assert.equal(config.cacheSize, 2048);
  });

  test('cache_size zero means default', async (t) => {
    const config = await loadText(t, 'config.json', '{"cache_size": 0}');
    assert.equal(config.cacheSize, 131072);
  });

  test('lease TTLs as seconds', async (t) => {
    const config = await loadText(t, 'config.hcl', 'default_lease_ttl = 3600\nmax_lease_ttl = "7200"\n');
    assert.equal(config.defaultLeaseTtl, 3600);
    assert.equal(config.maxLeaseTtl, 7200);
  });

  test('lease TTLs in days', async (t) => {
    const config = await loadText(t, 'config.hcl', 'max_lease_ttl = "90d"\ndefault_lease_ttl = "7d"\n');
    assert.equal(config.maxLeaseTtl, 90 * 86400);
    assert.equal(config.defaultLeaseTtl, 7 * 86400);
  });

  test('lease TTL zero means default', async (t) => {
    const config = await loadText(t, 'config.hcl', 'default_lease_ttl = 0\nmax_lease_ttl = "0s"\n');
    assert.equal(config.defaultLeaseTtl, 768 * 3600);
    assert.equal(config.maxLeaseTtl, 768 * 3600);
  });

  test('log_level spellings', async (t) => {
    const cases: Array<[string, string]> = [
      ['trace', 'trace'],
      ['DEBUG', 'debug'],
      ['info', 'info'],
      ['notice', 'info'],
      ['warn', 'warn'],
      ['warning', 'warn'],
      ['err', 'error'],
      [' Error ', 'error'],
    ];
    for (const [written, expected] of cases) {
      const config = await loadText(t, 'config.hcl', `log_level = "${written}"\n`);
      assert.equal(config.logLevel, expected, `log_level = "${written}"`);
    }
  });

  test('log_format standard', async (t) => {
    const config = await loadText(t, 'config.hcl', 'log_format = "Standard"\n');
    assert.equal(config.logFormat, 'standard');
  });

  test('booleans as strings', async (t) => {
    const config = await loadText(t, 'config.hcl', 'ui = "true"\ndisable_mlock = "1"\n');
    assert.equal(config.ui, true);
    assert.equal(config.disableMlock, true);
  });

  test('storage settings become strings', async (t) => {
    const config = await loadText(
      t,
      'config.hcl',
      `storage "PostgreSQL" {
  connection_url = "postgres://coffer@localhost/coffer"
  max_parallel   = 128
  ha_enabled     = true
  ratio          = 0.5
  tables         = ["a", "b"]
  tls {
    ca_file = "/ca.pem"
  }
}
`,
    );
    assert.deepEqual(config.storage, {
      type: 'postgresql',
      settings: {
        connection_url: 'postgres://coffer@localhost/coffer',
        max_parallel: '128',
        ha_enabled: 'true',
        ratio: '0.5',
        tables: '["a","b"]',
        tls: '[{"ca_file":"/ca.pem"}]',
      },
    });
  });

  test('storage stanza without settings', async (t) => {
    const config = await loadText(t, 'config.hcl', 'storage "inmem" {}\n');
    assert.deepEqual(config.storage, { type: 'inmem', settings: {} });
  });

  test('seal disabled spellings', async (t) => {
    const config = await loadText(t, 'config.hcl', 'seal "Transit" {\n  disabled = "true"\n  address = "https://x:8200"\n}\n');
    assert.deepEqual(config.seal, { type: 'transit', disabled: true, settings: { address: 'https://x:8200' } });
  });

  test('ignored settings are recorded', async (t) => {
    const config = await loadText(
      t,
      'config.hcl',
      `cluster_name                 = "coffer-prod"
raw_storage_endpoint         = "false"
default_max_request_duration = "90s"
telemetry {
  prometheus_retention_time = "24h"
  disable_hostname          = true
}
`,
    );
    assert.deepEqual(config.ignoredSettings, ['cluster_name', 'default_max_request_duration', 'raw_storage_endpoint']);
  });

  test('telemetry settings are read', async (t) => {
    const config = await loadText(
      t,
      'config.hcl',
      `telemetry {
  prometheus_retention_time = "30s"
  usage_gauge_period        = "none"
  disable_hostname          = true
  metrics_prefix            = "coffer"
  statsd_address            = "127.0.0.1:8125"
}
`,
    );
    assert.deepEqual(config.telemetry, { prometheusRetentionSeconds: 30, usageGaugePeriodSeconds: 0, disableHostname: true, metricsPrefix: 'coffer' });
    assert.deepEqual(config.ignoredSettings, ['telemetry.statsd_address']);
  });

  test('telemetry rejects bad values', async (t) => {
    const cases: Array<[string, string]> = [
      ['prometheus_retention_time = "soon"', 'prometheus_retention_time'],
      ['disable_hostname = "maybe"', 'disable_hostname'],
      ['metrics_prefix = "9lives"', 'invalid metrics_prefix "9lives": use letters, digits, "_" and ".", starting with a letter or "_"'],
      ['prometheus_retention_tme = "1h"', 'unknown setting "prometheus_retention_tme" in telemetry. Did you mean "prometheus_retention_time"?'],
    ];
    for (const [line, expected] of cases) {
      const { error } = await loadTextError(t, 'config.hcl', `telemetry {\n  ${line}\n}\n`);
      assert.ok(error.message.includes(expected), `${line}: ${error.message}`);
    }
  });

  test('known settings list', () => {
    assert.deepEqual([...KNOWN_TOP_LEVEL_SETTINGS].sort(), [
      'api_addr',
      'backend',
      'cache_size',
      'cluster_addr',
      'cluster_name',
      'default_lease_ttl',
      'default_max_request_duration',
      'disable_cache',
      'disable_clustering',
      'disable_mlock',
      'listener',
      'log_format',
      'log_level',
      'max_lease_ttl',
      'plugin_directory',
      'raw_storage_endpoint',
      'seal',
      'storage',
      'telemetry',
      'ui',
      'user_lockout',
    ]);
  });
});

describe('top-level setting errors', () => {
  test('unknown setting with suggestion', async (t) => {
    const lines = ['ui = true', '', 'storage "sqlite" {', '  path = "/x"', '}', '', '  listner "tcp" {', '  }', ''];
    const { file, error } = await loadTextError(t, 'config.hcl', lines.join('\n'));
    assert.equal(error.message, `${file}:7,3: unknown setting "listner". Did you mean "listener"?`);
    assert.equal(error.file, file);
    assert.equal(error.line, 7);
    assert.equal(error.column, 3);
    assert.equal(error.setting, 'listner');
  });

  test('unknown setting without suggestion', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'ui = true\n# pid_file is a Vault setting\npid_file = "/run/coffer.pid"\n');
    assert.equal(error.message, `${file}:3,1: unknown setting "pid_file"`);
  });

  test('unknown setting in JSON', async (t) => {
    const { file, error } = await loadTextError(t, 'config.json', '{\n  "ui": true,\n  "max_lease_tll": "1h"\n}\n');
    assert.equal(error.message, `${file}:3,3: unknown setting "max_lease_tll". Did you mean "max_lease_ttl"?`);
  });

  test('default_lease_ttl not a duration', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'ui = true\ndefault_lease_ttl = "one day"\n');
    assert.equal(
      error.message,
      `${file}:2,1: invalid "default_lease_ttl": expected a duration such as "768h" or "30m", or a whole number of seconds, got "one day"`,
    );
    assert.equal(error.setting, 'default_lease_ttl');
  });

  test('max_lease_ttl negative', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'max_lease_ttl = -5\n');
    assert.equal(
      error.message,
      `${file}:1,1: invalid "max_lease_ttl": expected a duration such as "768h" or "30m", or a whole number of seconds, got -5`,
    );
  });

  test('max_lease_ttl fraction of a second', async (t) => {
    const { file, error } = await loadTextError(t, 'config.json', '{"max_lease_ttl": 1.5}');
    assert.equal(
      error.message,
      `${file}:1,2: invalid "max_lease_ttl": expected a duration such as "768h" or "30m", or a whole number of seconds, got 1.5`,
    );
  });

  test('log_level unknown', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'log_level = "verbose"\n');
    assert.equal(
      error.message,
      `${file}:1,1: invalid "log_level": expected one of trace, debug, info, warn or error, got "verbose"`,
    );
  });

  test('log_format unknown', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'log_format = "logfmt"\n');
    assert.equal(error.message, `${file}:1,1: invalid "log_format": expected standard or json, got "logfmt"`);
  });

  test('ui of wrong type', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'ui = "on"\n');
    assert.equal(error.message, `${file}:1,1: invalid "ui": expected a boolean (true or false), got "on"`);
  });

  test('disable_mlock of wrong type', async (t) => {
    const { file, error } = await loadTextError(t, 'config.json', '{"disable_mlock": {"on": true}}');
    assert.equal(
      error.message,
      `${file}:1,2: invalid "disable_mlock": expected a boolean (true or false), got a block`,
    );
  });

  test('plugin_directory of wrong type', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'plugin_directory = 42\n');
    assert.equal(error.message, `${file}:1,1: invalid "plugin_directory": expected a string, got 42`);
  });

  test('api_addr without scheme', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'api_addr = "127.0.0.1:8200"\n');
    assert.equal(
      error.message,
      `${file}:1,1: invalid "api_addr": expected a full URL such as "https://127.0.0.1:8200", got "127.0.0.1:8200"`,
    );
  });

  test('cluster_addr template', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'cluster_addr = "https://{{ GetPrivateIP }}:8201"\n');
    assert.equal(
      error.message,
      `${file}:1,1: invalid "cluster_addr": go-sockaddr templates such as "https://{{ GetPrivateIP }}:8201" are not supported, so write the address itself`,
    );
  });

  test('long value is shortened', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', `log_format = "${'x'.repeat(100)}"\n`);
    assert.equal(
      error.message,
      `${file}:1,1: invalid "log_format": expected standard or json, got "${'x'.repeat(60)}..."`,
    );
  });

  test('ignored setting of wrong type', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'ui = true\nraw_storage_endpoint = "sometimes"\n');
    assert.equal(
      error.message,
      `${file}:2,1: invalid "raw_storage_endpoint": expected a boolean (true or false), got "sometimes"`,
    );
  });

  test('disable_cache of wrong type', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'ui = true\ndisable_cache = "sometimes"\n');
    assert.equal(
      error.message,
      `${file}:2,1: invalid "disable_cache": expected a boolean (true or false), got "sometimes"`,
    );
    assert.equal(error.setting, 'disable_cache');
  });

  test('cache_size invalid values', async (t) => {
    const cases: Array<[string, string]> = [
      ['cache_size = -1\n', '1,1: invalid "cache_size": expected a whole number of entries, 0 or more, got -1'],
      ['cache_size = 1.5\n', '1,1: invalid "cache_size": expected a whole number of entries, 0 or more, got 1.5'],
      ['cache_size = "-10"\n', '1,1: invalid "cache_size": expected a whole number of entries, 0 or more, got "-10"'],
      ['cache_size = "128k"\n', '1,1: invalid "cache_size": expected a whole number of entries, 0 or more, got "128k"'],
      ['cache_size = true\n', '1,1: invalid "cache_size": expected a whole number of entries, 0 or more, got true'],
      ['ui = true\ncache_size = 1e300\n', '2,1: invalid "cache_size": expected a whole number of entries, 0 or more, got 1e+300'],
    ];
    for (const [text, expected] of cases) {
      const { file, error } = await loadTextError(t, 'config.hcl', text);
      assert.equal(error.message, `${file}:${expected}`, text);
      assert.equal(error.setting, 'cache_size', text);
    }
  });

  test('two telemetry stanzas', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'telemetry {\n}\ntelemetry {\n}\n');
    assert.equal(error.message, `${file}:1,1: found 2 telemetry stanzas, but only one is allowed. Merge them into one.`);
  });

  test('telemetry as a value', async (t) => {
    const { file, error } = await loadTextError(t, 'config.json', '{"telemetry": "statsd"}');
    assert.equal(
      error.message,
      `${file}:1,2: invalid "telemetry": expected a stanza such as telemetry { ... }, got "statsd"`,
    );
  });
});

describe('storage and seal stanza errors', () => {
  test('two storage stanzas', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      'storage "sqlite" {\n  path = "/a.db"\n}\n\nstorage "sqlite" {\n  path = "/b.db"\n}\n',
    );
    assert.equal(
      error.message,
      `${file}:5,1: found a second storage stanza ("sqlite"), but only one storage stanza is allowed. Remove one of them.`,
    );
    assert.equal(error.setting, 'storage');
  });

  test('two storage stanzas of different types', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      'storage "file" {\n  path = "/a"\n}\nstorage "inmem" {}\n',
    );
    assert.equal(
      error.message,
      `${file}:4,1: found a second storage stanza ("inmem"), but only one storage stanza is allowed. Remove one of them.`,
    );
    assert.equal(error.setting, 'storage');
  });

  test('storage and backend together', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      'backend "file" {\n  path = "/a"\n}\nstorage "sqlite" {\n  path = "/b.db"\n}\n',
    );
    assert.equal(
      error.message,
      `${file}:4,1: found both a "storage" and a "backend" stanza, but only one storage stanza is allowed ("backend" is the older name for "storage"). Remove one of them.`,
    );
  });

  test('storage without a label', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'storage {\n  path = "/a"\n}\n');
    assert.equal(error.message, `${file}:1,1: the storage stanza needs a type label, as in storage "sqlite" { ... }`);
  });

  test('storage without a label in JSON', async (t) => {
    const { file, error } = await loadTextError(t, 'config.json', '{"storage": {"path": "/a"}}');
    assert.equal(error.message, `${file}:1,2: the storage stanza needs a type label, as in storage "sqlite" { ... }`);
  });

  test('seal setting that is a block', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      'ui = true\nseal "transit" {\n  address = "https://x:8200"\n  tls {\n    ca = "/ca.pem"\n  }\n}\n',
    );
    assert.equal(
      error.message,
      `${file}:4,3: invalid "tls" in seal "transit": expected a string, number or boolean, got a list`,
    );
    assert.equal(error.setting, 'seal.tls');
  });

  test('seal disabled of wrong type', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'seal "shamir" {\n  disabled = "maybe"\n}\n');
    assert.equal(
      error.message,
      `${file}:2,3: invalid "disabled" in seal "shamir": expected a boolean (true or false), got "maybe"`,
    );
  });
});
