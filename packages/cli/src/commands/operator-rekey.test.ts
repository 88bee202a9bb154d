import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startConfiguredServer } from '../test-server.js';

describe('operator rekey', () => {
  let server: TestServer;
  let keys: string[] = [];
  let rootToken = '';
  let nonce = '';

  before(async () => {
    server = await startConfiguredServer();
    const init = await runCli(['operator', 'init', '-key-shares=2', '-key-threshold=2', '-format=json'], { env: server.env });
    assert.equal(init.code, 0, init.stderr);
    const parsed = JSON.parse(init.stdout);
    keys = parsed.unseal_keys_b64;
    rootToken = parsed.root_token;
    for (const key of keys) await runCli(['operator', 'unseal', key], { env: server.env });
  });

  after(async () => {
    await server.close();
  });

  test('key without rekey in progress exits 1', async () => {
    const provided = await runCli(['operator', 'rekey', '-nonce=x', keys[0]], { env: server.env });
    assert.deepEqual(provided, { code: 1, stdout: '', stderr: 'No rekey is in progress. Start one with "coffer operator rekey -init".\n' });
  });

  test('init prints status with nonce', async () => {
    const started = await runCli(['operator', 'rekey', '-init', '-key-shares=3', '-key-threshold=2'], { env: server.env });
    assert.equal(started.code, 0, started.stderr);
    assert.ok(started.stderr.startsWith('WARNING! The new unseal keys are printed once'), started.stderr);
    const match = /\nNonce +(\S+)\n/.exec(started.stdout);
    assert.ok(match, started.stdout);
    nonce = match[1];
    assert.match(started.stdout, /\nStarted +true\nRekey Progress +0\/2\nNew Shares +3\nNew Threshold +2\nVerification Required +false\n$/);
  });

  test('status json', async () => {
    const status = await runCli(['operator', 'rekey', '-status', '-format=json'], { env: server.env });
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout);
    assert.equal(parsed.nonce, nonce);
    assert.equal(parsed.started, true);
    assert.equal(parsed.n, 3);
  });

  test('key without nonce exits 1', async () => {
    const provided = await runCli(['operator', 'rekey', keys[0]], { env: server.env });
    assert.deepEqual(provided, {
      code: 1,
      stdout: '',
      stderr: `Missing nonce value: pass -nonce=${nonce} (the nonce of the rekey in progress) with the key\n`,
    });
  });

  test('keys complete rekey', async () => {
    const first = await runCli(['operator', 'rekey', `-nonce=${nonce}`, keys[0]], { env: server.env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /\nRekey Progress +1\/2\n/);

    const second = await runCli(['operator', 'rekey', `-nonce=${nonce}`, '-'], { env: server.env, stdin: `${keys[1]}\n` });
    assert.equal(second.code, 0, second.stderr);
    const newKeys = [...second.stdout.matchAll(/^Key \d: (\S+)$/gm)].map((match) => match[1]);
    assert.equal(newKeys.length, 3);
    assert.match(second.stdout, new RegExp(`\nOperation nonce: ${nonce}\n`));
    assert.ok(second.stdout.includes('Coffer unseal keys rekeyed with 3 key shares and a key threshold of 2.'), second.stdout);

    const sealed = await runCli(['operator', 'seal'], { env: { ...server.env, COFFER_TOKEN: rootToken } });
    assert.equal(sealed.code, 0, sealed.stderr);
    await runCli(['operator', 'unseal', newKeys[0]], { env: server.env });
    await runCli(['operator', 'unseal', newKeys[2]], { env: server.env });
    const status = await runCli(['status'], { env: server.env });
    assert.equal(status.code, 0, status.stdout);
    keys = newKeys;
  });

  test('cancel stops rekey', async () => {
    const started = await runCli(['operator', 'rekey', '-init'], { env: server.env });
    assert.equal(started.code, 0, started.stderr);
    const canceled = await runCli(['operator', 'rekey', '-cancel'], { env: server.env });
    assert.deepEqual(canceled, { code: 0, stdout: 'Success! Canceled rekeying (if it was started)\n', stderr: '' });
    const status = await runCli(['operator', 'rekey', '-status'], { env: server.env });
    assert.match(status.stdout, /\nStarted +false\n$/);
  });

  test('recovery target with shamir exits 2', async () => {
    const started = await runCli(['operator', 'rekey', '-init', '-target=recovery'], { env: server.env });
    assert.equal(started.code, 2);
    assert.equal(started.stdout, '');
    assert.match(started.stderr, /recovery keys exist only with an auto-unseal seal, and this server uses the "shamir" seal/);
  });

  test('unknown target exits 1', async () => {
    const started = await runCli(['operator', 'rekey', '-init', '-target=other'], { env: server.env });
    assert.deepEqual(started, {
      code: 1,
      stdout: '',
      stderr: 'invalid value "other" for flag -target: use "barrier" for unseal keys or "recovery" for recovery keys\n',
    });
  });
});
