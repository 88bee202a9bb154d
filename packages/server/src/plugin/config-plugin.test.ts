import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { namesExternalPlugin, parsePluginStanza } from './config-plugin.js';

const SHA256 = 'ab'.repeat(32);

describe('plugin stanza', () => {
  test('plugin settings mark an external plugin', () => {
    assert.equal(namesExternalPlugin({ path: '/data' }), false);
    assert.equal(namesExternalPlugin({ plugin_sha256: SHA256 }), true);
    assert.equal(namesExternalPlugin({ plugin_command: 'acme' }), true);
    assert.equal(namesExternalPlugin({ plugin_args: '-v' }), true);
  });

  test('settings split into launch and create', () => {
    const stanza = parsePluginStanza('storage', 'acme', { plugin_sha256: SHA256.toUpperCase(), path: '/data', region: 'eu' });
    assert.deepEqual(stanza, { kind: 'storage', type: 'acme', command: 'acme', args: [], sha256: SHA256, settings: { path: '/data', region: 'eu' } });
  });

  test('command and args are read', () => {
    const words = parsePluginStanza('seal', 'hsm', { plugin_sha256: SHA256, plugin_command: 'bin/hsm-seal', plugin_args: ' --verbose  --slot 2 ' });
    assert.equal(words.command, 'bin/hsm-seal');
    assert.deepEqual(words.args, ['--verbose', '--slot', '2']);
    const list = parsePluginStanza('storage', 'acme', { plugin_sha256: SHA256, plugin_args: '["--name", "two words"]' });
    assert.deepEqual(list.args, ['--name', 'two words']);
    assert.deepEqual(list.settings, {});
  });

  test('missing sha256 is rejected', () => {
    assert.throws(() => parsePluginStanza('storage', 'acme', { plugin_command: 'acme' }), {
      message: 'storage "acme": missing setting "plugin_sha256": an external storage plugin must be pinned by the SHA-256 of its binary',
    });
  });

  test('invalid sha256 is rejected', () => {
    assert.throws(() => parsePluginStanza('seal', 'hsm', { plugin_sha256: 'abc' }), {
      message: 'seal "hsm": invalid "plugin_sha256" "abc": expected the 64 hexadecimal digits of the binary\'s SHA-256',
    });
  });

  test('invalid args are rejected', () => {
    assert.throws(() => parsePluginStanza('seal', 'hsm', { plugin_sha256: SHA256, plugin_args: '[1, 2]' }), {
      message: 'seal "hsm": invalid "plugin_args": expected a list of strings',
    });
    assert.throws(() => parsePluginStanza('seal', 'hsm', { plugin_sha256: SHA256, plugin_args: '["open' }), {
      message: /^seal "hsm": invalid "plugin_args": .+; give a list of strings$/,
    });
  });
});
