import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commands } from './index.js';
import { runCli } from './test-io.js';

describe('main', () => {
  test('help lists commands', async () => {
    const help = await runCli(['-h']);
    assert.equal(help.code, 0);
    assert.ok(help.stdout.startsWith('Usage: coffer <command> [args]\n\nCommon commands:\n    read      '), help.stdout);
    for (const name of ['write', 'login', 'server', 'status', 'kv', 'lease', 'operator', 'policy', 'secrets', 'token', 'unwrap']) {
      assert.match(help.stdout, new RegExp(`\n    ${name} +\\S`), name);
    }
  });

  test('no arguments prints help and exits 1', async () => {
    const result = await runCli([]);
    assert.equal(result.code, 1);
    assert.ok(result.stdout.startsWith('Usage: coffer <command> [args]'));
  });

  test('version flags print the version', async () => {
    const version = await runCli(['version']);
    assert.equal(version.code, 0, version.stderr);
    for (const flag of ['-v', '-version', '--version']) {
      assert.deepEqual(await runCli([flag]), version, flag);
    }
  });

  test('unknown command exits 1', async () => {
    const result = await runCli(['frobnicate']);
    assert.deepEqual(result, { code: 1, stdout: '', stderr: 'Unknown command: frobnicate. Run "coffer -h" for the list of commands.\n' });
  });

  test('group without subcommand prints its help', async () => {
    const result = await runCli(['kv']);
    assert.equal(result.code, 1);
    assert.ok(result.stdout.startsWith('Usage: coffer kv <subcommand> [options] [args]\n\n  Interact with the key/value secrets engine.\n\nSubcommands:\n'), result.stdout);
    assert.match(result.stdout, /\n    metadata +Interact with KV version 2 metadata\n/);
  });

  test('group help flag exits 0', async () => {
    const result = await runCli(['operator', '-h']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /\n    rekey +Generate new unseal or recovery keys\n/);
  });

  test('unknown subcommand exits 1', async () => {
    const result = await runCli(['kv', 'frob']);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'Unknown command: coffer kv frob\n\n');
  });

  test('command help exits 0', async () => {
    const result = await runCli(['kv', 'get', '-h']);
    assert.equal(result.code, 0);
    assert.ok(result.stdout.startsWith('Usage: coffer kv get [options] KEY\n'), result.stdout);
    assert.ok(result.stdout.includes('\nHTTP Options:\n\n  -address=<string>\n      Address of the server'), result.stdout);
    assert.ok(result.stdout.includes('\n  -version=<int>\n'), result.stdout);
    assert.ok(result.stdout.includes('\nOutput Options:\n'), result.stdout);
  });

  test('every command has help', async () => {
    for (const command of commands) {
      const result = await runCli([...command.name.split(' '), '-help']);
      assert.equal(result.code, 0, command.name);
      assert.ok(result.stdout.startsWith(`Usage: coffer ${command.name}`), command.name);
      assert.ok(result.stdout.split('\n').every((line) => line.length <= 80), `${command.name} help has a line over 80 characters`);
    }
  });

  test('unknown flag exits 1', async () => {
    const result = await runCli(['kv', 'get', '-bogus', 'secret/foo']);
    assert.deepEqual(result, { code: 1, stdout: '', stderr: 'flag provided but not defined: -bogus\n' });
  });

  test('bad address exits 1', async () => {
    const result = await runCli(['kv', 'get', 'secret/foo'], { env: { COFFER_ADDR: 'localhost:8200', HOME: '/nonexistent' } });
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr: 'invalid server address "localhost:8200": expected a URL such as http://127.0.0.1:8200 in -address, COFFER_ADDR or VAULT_ADDR\n',
    });
  });
});
