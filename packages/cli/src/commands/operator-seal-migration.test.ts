import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { openSoftHsm, SOFTHSM_LIBRARY, type SoftHsm } from '@coffer/seal-pkcs11/testing';
import { startServer, type RunningServer } from '@coffer/server';
import { runCli } from '../test-io.js';

const PIN = '864200';
const PKCS11_STANZA = [
  'seal "pkcs11" {',
  `  lib = "${SOFTHSM_LIBRARY}"`,
  '  token_label = "coffer-cli-migration"',
  `  pin = "${PIN}"`,
  '  key_label = "coffer-root"',
  '  generate_key = "true"',
  '}',
];

describe('operator unseal -migrate', () => {
  let hsm: SoftHsm;
  let directory: string;
  let server: RunningServer | undefined;
  let env: Record<string, string>;
  let keys: string[];
  let rootToken: string;

  const start = async (sealLines: string[]): Promise<void> => {
    const configPath = join(directory, 'server.hcl');
    const lines = [`storage "file" {`, `  path = "${join(directory, 'data')}"`, `}`, ...sealLines];
    lines.push('listener "tcp" {', '  address = "127.0.0.1:0"', '  tls_disable = true', '}', '');
    await writeFile(configPath, lines.join('\n'));
    server = await startServer({ configPaths: [configPath], logLevel: 'error', logDestination: { write: () => true } });
    env = { COFFER_ADDR: server.address, HOME: directory };
  };
  const stop = async (): Promise<void> => {
    await server?.close();
    server = undefined;
  };

  before(async () => {
    hsm = await openSoftHsm();
    await hsm.initToken('coffer-cli-migration', PIN);
    directory = await mkdtemp(join(tmpdir(), 'coffer-cli-migration-'));
    await start([]);
    const init = await runCli(['operator', 'init', '-key-shares=3', '-key-threshold=2', '-format=json'], { env });
    assert.equal(init.code, 0, init.stderr);
    const parsed = JSON.parse(init.stdout);
    keys = parsed.unseal_keys_b64;
    rootToken = parsed.root_token;
    for (const key of keys.slice(0, 2)) assert.equal((await runCli(['operator', 'unseal', key], { env })).code, 0);
    const tokenEnv = { ...env, COFFER_TOKEN: rootToken };
    assert.equal((await runCli(['secrets', 'enable', '-path=secret', 'kv'], { env: tokenEnv })).code, 0);
    assert.equal((await runCli(['kv', 'put', 'secret/app', 'password=hunter2'], { env: tokenEnv })).code, 0);
    await stop();
  });
  after(async () => {
    await stop();
    await hsm.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('unseal without -migrate exits 2', async () => {
    await start([...PKCS11_STANZA, 'seal "shamir" {', '  disabled = "true"', '}']);
    const status = await runCli(['status'], { env });
    assert.equal(status.code, 2);
    assert.match(status.stdout, /\nSeal Migration in Progress +true\n/);

    const rejected = await runCli(['operator', 'unseal', keys[0]], { env });
    assert.equal(rejected.code, 2);
    assert.match(rejected.stderr, /seal migration from shamir to pkcs11 is pending: set "migrate" to true with each key share/);
  });

  test('unseal -migrate moves to pkcs11', async () => {
    const first = await runCli(['operator', 'unseal', '-migrate', keys[1]], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /\nUnseal Progress +1\/2\n/);
    const second = await runCli(['operator', 'unseal', '-migrate', keys[2]], { env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /\nSeal Type +pkcs11\n/);
    assert.match(second.stdout, /\nSealed +false\n/);

    const read = await runCli(['kv', 'get', '-field=password', 'secret/app'], { env: { ...env, COFFER_TOKEN: rootToken } });
    assert.deepEqual(read, { code: 0, stdout: 'hunter2', stderr: '' });
    await stop();
  });

  test('recovery rekey after migration', async () => {
    await start(PKCS11_STANZA);
    // The auto-unseal runs in the background after start.
    const deadline = Date.now() + 10_000;
    while ((await runCli(['status'], { env })).code !== 0) {
      assert.ok(Date.now() < deadline, 'timed out waiting for the auto-unseal');
      await delay(25);
    }
    const started = await runCli(['operator', 'rekey', '-target=recovery', '-init', '-key-shares=2', '-key-threshold=2'], { env });
    assert.equal(started.code, 0, started.stderr);
    assert.ok(started.stderr.startsWith('WARNING! The new recovery keys are printed once'), started.stderr);
    const nonce = /\nNonce +(\S+)\n/.exec(started.stdout)?.[1];
    assert.ok(nonce, started.stdout);

    await runCli(['operator', 'rekey', '-target=recovery', `-nonce=${nonce}`, keys[0]], { env });
    const done = await runCli(['operator', 'rekey', '-target=recovery', `-nonce=${nonce}`, keys[2]], { env });
    assert.equal(done.code, 0, done.stderr);
    const newKeys = [...done.stdout.matchAll(/^Key \d: (\S+)$/gm)].map((match) => match[1]);
    assert.equal(newKeys.length, 2);
    assert.ok(done.stdout.includes('Coffer recovery keys rekeyed with 2 key shares and a key threshold of 2.'), done.stdout);

    assert.equal((await runCli(['operator', 'seal'], { env: { ...env, COFFER_TOKEN: rootToken } })).code, 0);
    await runCli(['operator', 'unseal', newKeys[0]], { env });
    const unsealed = await runCli(['operator', 'unseal', newKeys[1]], { env });
    assert.equal(unsealed.code, 0, unsealed.stderr);
    assert.match(unsealed.stdout, /\nSealed +false\n/);
    keys = newKeys;
  });

  test('recovery rekey with -verify', async () => {
    const started = await runCli(['operator', 'rekey', '-target=recovery', '-init', '-verify', '-key-shares=3', '-key-threshold=2'], { env });
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /\nVerification Required +true\n/);
    const nonce = /\nNonce +(\S+)\n/.exec(started.stdout)?.[1];
    assert.ok(nonce, started.stdout);

    await runCli(['operator', 'rekey', '-target=recovery', `-nonce=${nonce}`, keys[0]], { env });
    const done = await runCli(['operator', 'rekey', '-target=recovery', `-nonce=${nonce}`, keys[1]], { env });
    assert.equal(done.code, 0, done.stderr);
    const newKeys = [...done.stdout.matchAll(/^Key \d: (\S+)$/gm)].map((match) => match[1]);
    assert.equal(newKeys.length, 3);
    const verificationNonce = /verification nonce ([0-9a-f-]{36})/.exec(done.stdout.replace(/\s+/g, ' '))?.[1];
    assert.ok(verificationNonce, done.stdout);

    const first = await runCli(['operator', 'rekey', '-target=recovery', '-verify', `-nonce=${verificationNonce}`, newKeys[2]], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /\nVerification Progress +1\/2\n/);
    const verified = await runCli(['operator', 'rekey', '-target=recovery', '-verify', `-nonce=${verificationNonce}`, newKeys[0]], { env });
    assert.deepEqual(verified, {
      code: 0,
      stdout: 'Success! Rekey verification complete: the new recovery keys replaced the old ones.\n',
      stderr: '',
    });
    const status = await runCli(['status', '-format=json'], { env });
    assert.equal(JSON.parse(status.stdout).n, 3);
  });
});
