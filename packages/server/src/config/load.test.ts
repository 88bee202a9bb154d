import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { loadConfig } from './load.js';
import { loadError, loadText, loadTextError, makeConfigDir, PLAIN_LISTENER } from './test-helpers.js';
import type { ServerConfig } from './types.js';

const DAY_32 = 768 * 3600;

/** A Vault server config in the shape of Vault's documented example, with features Coffer has. */
const VAULT_EXAMPLE_HCL = `# Server configuration in HashiCorp Vault's format.
ui            = true
cluster_addr  = "https://127.0.0.1:8201"
api_addr      = "https://127.0.0.1:8200"
disable_mlock = true

storage "file" {
  path = "/var/lib/coffer/data"
}

# An HTTPS listener. The commented one below would serve plain HTTP.
listener "tcp" {
  address       = "127.0.0.1:8200"
  tls_cert_file = "/etc/coffer/tls/full-chain.pem"
  tls_key_file  = "/etc/coffer/tls/private-key.pem"
}

#listener "tcp" {
#  address     = "127.0.0.1:8300"
#  tls_disable = 1
#}

telemetry {
  statsite_address = "127.0.0.1:8125"
  disable_hostname = true
}
`;

const VAULT_EXAMPLE_JSON = `{
  "ui": true,
  "cluster_addr": "https://127.0.0.1:8201",
  "api_addr": "https://127.0.0.1:8200",
  "disable_mlock": true,
  "storage": {
    "file": { "path": "/var/lib/coffer/data" }
  },
  "listener": {
    "tcp": {
      "address": "127.0.0.1:8200",
      "tls_cert_file": "/etc/coffer/tls/full-chain.pem",
      "tls_key_file": "/etc/coffer/tls/private-key.pem"
    }
  },
  "telemetry": {
    "statsite_address": "127.0.0.1:8125",
    "disable_hostname": true
  }
}
`;

function expectedExample(file: string): ServerConfig {
  return {
    storage: { type: 'file', settings: { path: '/var/lib/coffer/data' } },
    listeners: [
      {
        type: 'tcp',
        address: '127.0.0.1:8200',
        tlsDisable: false,
        tlsCertFile: '/etc/coffer/tls/full-chain.pem',
        tlsKeyFile: '/etc/coffer/tls/private-key.pem',
        tlsRequireAndVerifyClientCert: false,
        tlsDisableClientCerts: false,
      },
    ],
    apiAddr: 'https://127.0.0.1:8200',
    clusterAddr: 'https://127.0.0.1:8201',
    defaultLeaseTtl: DAY_32,
    maxLeaseTtl: DAY_32,
    logLevel: 'info',
    ui: true,
    disableMlock: true,
    cacheSize: 131072,
    disableCache: false,
    disableClustering: false,
    ignoredSettings: ['telemetry.statsite_address'],
    userLockout: {},
    sourceFiles: [file],
    telemetry: { disableHostname: true },
  };
}

describe('loadConfig formats', () => {
  test('Vault example config in HCL', async (t) => {
    const dir = await makeConfigDir(t, { 'config.hcl': VAULT_EXAMPLE_HCL });
    const file = join(dir, 'config.hcl');
    assert.deepEqual(await loadConfig([file]), expectedExample(file));
  });

  test('Vault example config in JSON', async (t) => {
    const dir = await makeConfigDir(t, { 'config.json': VAULT_EXAMPLE_JSON });
    const file = join(dir, 'config.json');
    assert.deepEqual(await loadConfig([file]), expectedExample(file));
  });

  test('older Vault config with backend', async (t) => {
    const config = await loadText(
      t,
      'vault.hcl',
      `backend "file" {
  path = "/opt/vault/data"
}

listener "tcp" {
  address     = "0.0.0.0:8200"
  tls_disable = 1
}

max_lease_ttl     = "720h"
default_lease_ttl = "1h"
cluster_name      = "vault"
`,
    );
    assert.deepEqual(config.storage, { type: 'file', settings: { path: '/opt/vault/data' } });
    assert.equal(config.listeners[0].address, '0.0.0.0:8200');
    assert.equal(config.listeners[0].tlsDisable, true);
    assert.equal(config.maxLeaseTtl, 720 * 3600);
    assert.equal(config.defaultLeaseTtl, 3600);
    assert.deepEqual(config.ignoredSettings, ['cluster_name']);
  });

  test('JSON with string booleans and backend', async (t) => {
    const config = await loadText(
      t,
      'vault.json',
      JSON.stringify({
        backend: { file: { path: '/vault' } },
        listener: {
          tcp: { address: '0.0.0.0:8200', tls_disable: '0', tls_cert_file: '/c.pem', tls_key_file: '/k.pem' },
        },
        default_lease_ttl: '1h',
        max_lease_ttl: '720h',
        ui: true,
        plugin_directory: '/vault/plugins',
        cluster_name: 'Vault',
        disable_mlock: true,
      }),
    );
    assert.deepEqual(config.storage, { type: 'file', settings: { path: '/vault' } });
    assert.equal(config.listeners[0].tlsDisable, false);
    assert.equal(config.listeners[0].tlsCertFile, '/c.pem');
    assert.equal(config.pluginDirectory, '/vault/plugins');
    assert.equal(config.defaultLeaseTtl, 3600);
  });

  test('JSON listener list form', async (t) => {
    const config = await loadText(
      t,
      'config.json',
      JSON.stringify({
        listener: [
          { tcp: { address: '127.0.0.1:8200', tls_disable: true } },
          { tcp: { address: '127.0.0.1:8300', tls_disable: true } },
        ],
      }),
    );
    assert.deepEqual(
      config.listeners.map((listener) => listener.address),
      ['127.0.0.1:8200', '127.0.0.1:8300'],
    );
  });

  test('JSON content in a file without .json', async (t) => {
    const config = await loadText(t, 'coffer.conf', '  {"ui": true, "log_level": "debug"}');
    assert.equal(config.ui, true);
    assert.equal(config.logLevel, 'debug');
  });

  test('JSON content in a .hcl file', async (t) => {
    const config = await loadText(t, 'config.hcl', '\n{"ui": true}\n');
    assert.equal(config.ui, true);
  });

  test('HCL content in a file without .hcl', async (t) => {
    const config = await loadText(t, 'coffer.conf', 'ui = true\n');
    assert.equal(config.ui, true);
  });

  test('byte order mark is skipped', async (t) => {
    const config = await loadText(t, 'config.hcl', '\uFEFFui = true\n');
    assert.equal(config.ui, true);
  });

  test('empty file gives defaults', async (t) => {
    const dir = await makeConfigDir(t, { 'empty.hcl': '' });
    const file = join(dir, 'empty.hcl');
    assert.deepEqual(await loadConfig([file]), {
      listeners: [],
      defaultLeaseTtl: DAY_32,
      maxLeaseTtl: DAY_32,
      logLevel: 'info',
      ui: false,
      disableMlock: false,
      cacheSize: 131072,
      disableCache: false,
      disableClustering: false,
      ignoredSettings: [],
      userLockout: {},
      sourceFiles: [file],
    });
  });
});

describe('loadConfig paths', () => {
  test('directory loads config files alphabetically', async (t) => {
    const dir = await makeConfigDir(t, {
      'b-listener.hcl': PLAIN_LISTENER,
      'a-storage.json': '{"storage": {"sqlite": {"path": "/data/coffer.db"}}}',
      'c-second.hcl': 'listener "tcp" {\n  address = "127.0.0.1:8300"\n  tls_disable = true\n}\n',
      'notes.txt': 'not a config file',
      'backup.hcl~': 'this is not HCL',
      '.#lock.hcl': 'this is not HCL',
      '#autosave.hcl#': 'this is not HCL',
      'nested/inner.hcl': 'ui = true\n',
    });
    const config = await loadConfig([dir]);

    assert.deepEqual(config.sourceFiles, [
      join(dir, 'a-storage.json'),
      join(dir, 'b-listener.hcl'),
      join(dir, 'c-second.hcl'),
    ]);
    assert.deepEqual(config.storage, { type: 'sqlite', settings: { path: '/data/coffer.db' } });
    assert.deepEqual(
      config.listeners.map((listener) => listener.address),
      ['127.0.0.1:8200', '127.0.0.1:8300'],
    );
    assert.equal(config.ui, false);
  });

  test('directory skips a linked directory', async (t) => {
    const dir = await makeConfigDir(t, { 'main.hcl': 'ui = true\n', 'sub/x.hcl': 'ui = false\n' });
    await symlink(join(dir, 'sub'), join(dir, 'linked.hcl'));
    const config = await loadConfig([dir]);
    assert.deepEqual(config.sourceFiles, [join(dir, 'main.hcl')]);
  });

  test('broken link in a directory', async (t) => {
    const dir = await makeConfigDir(t, { 'main.hcl': 'ui = true\n' });
    const link = join(dir, 'z-missing.hcl');
    await symlink(join(dir, 'absent.hcl'), link);
    const error = await loadError([dir]);
    assert.equal(error.message, `${link}: file not found. Check the -config path.`);
    assert.equal(error.file, link);
  });

  test('files and directories merge in order given', async (t) => {
    const dir = await makeConfigDir(t, {
      'first.hcl': 'log_level = "debug"\n',
      'conf.d/x.hcl': 'log_level = "warn"\n',
      'last.json': '{"log_level": "error"}',
    });
    const first = join(dir, 'first.hcl');
    const last = join(dir, 'last.json');

    const config = await loadConfig([first, join(dir, 'conf.d'), last]);
    assert.equal(config.logLevel, 'error');
    assert.deepEqual(config.sourceFiles, [first, join(dir, 'conf.d', 'x.hcl'), last]);

    const reversed = await loadConfig([last, join(dir, 'conf.d'), first]);
    assert.equal(reversed.logLevel, 'debug');
  });

  test('missing path', async (t) => {
    const dir = await makeConfigDir(t, {});
    const file = join(dir, 'absent.hcl');
    const error = await loadError([file]);
    assert.equal(error.message, `${file}: no such file or directory. Check the -config path.`);
    assert.equal(error.file, file);
    assert.equal(error.line, undefined);
  });

  test('directory without config files', async (t) => {
    const dir = await makeConfigDir(t, { 'readme.txt': 'nothing here' });
    const error = await loadError([dir]);
    assert.equal(error.message, `${dir}: the directory has no .hcl or .json config files. Check the -config path.`);
  });

  test('no paths', async () => {
    const error = await loadError([]);
    assert.equal(error.message, 'no config file given. Pass -config with a file or a directory.');
    assert.equal(error.file, '');
  });

  test('object member names are rejected', async (t) => {
    const dir = await makeConfigDir(t, { 'a.hcl': 'toString = 1\n', 'b.hcl': 'log_level = "constructor"\n' });
    const unknown = await loadError([join(dir, 'a.hcl')]);
    assert.equal(unknown.message, `${join(dir, 'a.hcl')}:1,1: unknown setting "toString"`);
    const level = await loadError([join(dir, 'b.hcl')]);
    assert.equal(level.message, `${join(dir, 'b.hcl')}:1,1: invalid "log_level": expected one of trace, debug, info, warn or error, got "constructor"`);
  });

  test('error names file in a directory', async (t) => {
    const dir = await makeConfigDir(t, { 'a.hcl': 'ui = true\n', 'b.hcl': 'ui = true\nlistner "tcp" {}\n' });
    const error = await loadError([dir]);
    const file = join(dir, 'b.hcl');
    assert.equal(error.message, `${file}:2,1: unknown setting "listner". Did you mean "listener"?`);
    assert.equal(error.file, file);
  });
});

describe('loadConfig syntax errors', () => {
  test('HCL missing expression', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'ui = true\nstorage "sqlite" {\n  path = \n}\n');
    assert.equal(
      error.message,
      `${file}:3,10: Invalid expression; Expected the start of an expression, but found an invalid expression token.`,
    );
    assert.equal(error.line, 3);
    assert.equal(error.column, 10);
    assert.equal(error.setting, undefined);
  });

  test('HCL repeated argument', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'ui = true\nui = false\n');
    assert.equal(
      error.message,
      `${file}:2,1: Attribute redefined; The argument "ui" was already set at ${file}:1,1-3. Each argument may be set only once.`,
    );
  });

  test('HCL unterminated block', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'listener "tcp" {\n  address = "x"\n');
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.message,
      `${file}:1,16: Unclosed configuration block; There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.`,
    );
    assert.equal(error.file, file);
    assert.equal(error.line, 1);
    assert.equal(error.column, 16);
  });

  test('JSON trailing comma', async (t) => {
    const { file, error } = await loadTextError(t, 'config.json', '{\n  "ui": true,\n}\n');
    assert.equal(error.message, `${file}:3,1: invalid JSON: expected a quoted key, found '}'`);
    assert.equal(error.line, 3);
    assert.equal(error.column, 1);
  });

  test('JSON missing value', async (t) => {
    const { file, error } = await loadTextError(t, 'config.json', '{"ui": }');
    assert.equal(error.message, `${file}:1,8: invalid JSON: expected a value, found '}'`);
  });

  test('JSON cut short', async (t) => {
    const { file, error } = await loadTextError(t, 'config.json', '{"listener": {"tcp": {\n');
    assert.equal(error.message, `${file}:2,1: invalid JSON: expected a quoted key, found the end of the file`);
  });

  test('JSON repeated key', async (t) => {
    const { file, error } = await loadTextError(t, 'config.json', '{\n  "ui": true,\n  "ui": false\n}');
    assert.equal(error.message, `${file}:3,3: invalid JSON: duplicate key "ui". A key may appear only once in an object.`);
  });

  test('JSON top level not an object', async (t) => {
    const { file, error } = await loadTextError(t, 'config.json', '[{"ui": true}]');
    assert.equal(error.message, `${file}:1,1: expected settings and stanzas at the top level, got a list`);
  });
});
