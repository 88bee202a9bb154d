import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startConfiguredServer } from '../test-server.js';

/** Reads one row of a Key/Value table. */
function row(stdout: string, key: string): string {
  const match = new RegExp(`^${key} +(\\S+)$`, 'm').exec(stdout);
  assert.ok(match, `no "${key}" row in:\n${stdout}`);
  return match[1];
}

describe('operator generate-root', () => {
  let server: TestServer;
  let keys: string[] = [];

  before(async () => {
    server = await startConfiguredServer();
    const init = await runCli(['operator', 'init', '-key-shares=5', '-key-threshold=3', '-format=json'], { env: server.env });
    assert.equal(init.code, 0, init.stderr);
    keys = JSON.parse(init.stdout).unseal_keys_b64;
    for (const key of keys.slice(0, 3)) await runCli(['operator', 'unseal', key], { env: server.env });
  });

  after(async () => {
    await server.close();
  });

  test('key without generation exits 1', async () => {
    const provided = await runCli(['operator', 'generate-root', '-nonce=x', keys[0]], { env: server.env });
    assert.deepEqual(provided, {
      code: 1,
      stdout: '',
      stderr: 'No root generation is in progress. Start one with "coffer operator generate-root -init".\n',
    });
  });

  test('init, keys and decode give root token', async () => {
    const started = await runCli(['operator', 'generate-root', '-init'], { env: server.env });
    assert.equal(started.code, 0, started.stderr);
    assert.ok(started.stderr.startsWith('The server generated the one-time password shown as OTP below.'), started.stderr);
    const otp = row(started.stdout, 'OTP');
    const nonce = row(started.stdout, 'Nonce');
    assert.match(otp, /^[0-9A-Za-z]{28}$/);
    assert.equal(row(started.stdout, 'Progress'), '0/3');
    assert.equal(row(started.stdout, 'OTP Length'), '28');

    const missingNonce = await runCli(['operator', 'generate-root', keys[0]], { env: server.env });
    assert.deepEqual(missingNonce, {
      code: 1,
      stdout: '',
      stderr: `Missing nonce value: pass -nonce=${nonce} (the nonce of the root generation in progress) with the key\n`,
    });

    const first = await runCli(['operator', 'generate-root', `-nonce=${nonce}`, keys[0]], { env: server.env });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(row(first.stdout, 'Progress'), '1/3');
    assert.equal(row(first.stdout, 'Complete'), 'false');
    await runCli(['operator', 'generate-root', `-nonce=${nonce}`, keys[1]], { env: server.env });
    const last = await runCli(['operator', 'generate-root', `-nonce=${nonce}`, '-'], { env: server.env, stdin: `${keys[2]}\n` });
    assert.equal(last.code, 0, last.stderr);
    assert.equal(row(last.stdout, 'Complete'), 'true');
    const encoded = row(last.stdout, 'Encoded Token');

    const decoded = await runCli(['operator', 'generate-root', `-decode=${encoded}`, `-otp=${otp}`], { env: {} });
    assert.equal(decoded.code, 0, decoded.stderr);
    const token = decoded.stdout.trim();
    assert.match(token, /^hvs\.[0-9A-Za-z]{24}$/);

    const fromStdin = await runCli(['operator', 'generate-root', '-decode=-', `-otp=${otp}`, '-format=json'], { env: {}, stdin: encoded });
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.deepEqual(JSON.parse(fromStdin.stdout), { token });

    const lookup = await runCli(['token', 'lookup', '-format=json'], { env: { ...server.env, COFFER_TOKEN: token } });
    assert.equal(lookup.code, 0, lookup.stderr);
    assert.deepEqual(JSON.parse(lookup.stdout).data.policies, ['root']);
  });

  test('decode without otp exits 1', async () => {
    const decoded = await runCli(['operator', 'generate-root', '-decode=abcd'], { env: {} });
    assert.deepEqual(decoded, {
      code: 1,
      stdout: '',
      stderr: 'Missing -otp: decoding needs the OTP that the root token generation was started with\n',
    });
  });

  test('decode with wrong otp length exits 1', async () => {
    const decoded = await runCli(['operator', 'generate-root', '-decode=AAAA', '-otp=abcd'], { env: {} });
    assert.deepEqual(decoded, {
      code: 1,
      stdout: '',
      stderr: 'Error decoding root token: the encoded token is 3 bytes but the OTP is 4; pass the -otp value that the generation was started with\n',
    });
  });

  test('generated otp starts generation', async () => {
    const generated = await runCli(['operator', 'generate-root', '-generate-otp'], { env: server.env });
    assert.equal(generated.code, 0, generated.stderr);
    const otp = generated.stdout.trim();
    assert.match(otp, /^[0-9A-Za-z]{28}$/);

    const started = await runCli(['operator', 'generate-root', '-init', `-otp=${otp}`, '-format=json'], { env: server.env });
    assert.equal(started.code, 0, started.stderr);
    const status = JSON.parse(started.stdout);
    assert.equal(status.started, true);
    assert.equal(status.otp, '');

    const json = await runCli(['operator', 'generate-root', '-status', '-format=json'], { env: server.env });
    assert.equal(JSON.parse(json.stdout).nonce, status.nonce);
  });

  test('cancel stops generation', async () => {
    const canceled = await runCli(['operator', 'generate-root', '-cancel'], { env: server.env });
    assert.deepEqual(canceled, { code: 0, stdout: 'Success! Canceled the root token generation (if one was started)\n', stderr: '' });
    const status = await runCli(['operator', 'generate-root', '-status'], { env: server.env });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(row(status.stdout, 'Started'), 'false');
  });

  test('second init exits 2', async () => {
    await runCli(['operator', 'generate-root', '-init'], { env: server.env });
    const again = await runCli(['operator', 'generate-root', '-init'], { env: server.env });
    assert.equal(again.code, 2);
    assert.ok(again.stderr.startsWith('Error initializing root generation: Error making API request.\n'), again.stderr);
    assert.ok(
      again.stderr.includes('* root token generation already in progress: cancel it first with DELETE sys/generate-root/attempt'),
      again.stderr,
    );
    await runCli(['operator', 'generate-root', '-cancel'], { env: server.env });
  });

  test('pgp key exits 1', async () => {
    const started = await runCli(['operator', 'generate-root', '-init', '-pgp-key=key.asc'], { env: server.env });
    assert.deepEqual(started, {
      code: 1,
      stdout: '',
      stderr: 'invalid flag -pgp-key: PGP encryption of the root token is not supported; use -otp, or let -init generate one\n',
    });
  });
});
