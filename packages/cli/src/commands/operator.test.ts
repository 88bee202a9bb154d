import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import type { Recorder, RecordedRequest } from '../test-recorder.js';
import { startRecorder } from '../test-recorder.js';
import type { TestServer } from '../test-server.js';
import { startConfiguredServer } from '../test-server.js';

describe('operator init, unseal, seal, rotate and key-status', () => {
  let server: TestServer;
  let keys: string[] = [];
  let rootToken = '';

  before(async () => {
    server = await startConfiguredServer();
  });

  after(async () => {
    await server.close();
  });

  test('init status before init exits 2', async () => {
    const status = await runCli(['operator', 'init', '-status'], { env: server.env });
    assert.deepEqual(status, { code: 2, stdout: 'Coffer is not initialized\n', stderr: '' });
  });

  test('status of uninitialized server exits 2', async () => {
    const status = await runCli(['status'], { env: server.env });
    assert.equal(status.code, 2, status.stderr);
    assert.equal(
      status.stdout,
      [
        'Key                Value',
        '---                -----',
        'Seal Type          shamir',
        'Initialized        false',
        'Sealed             true',
        'Total Shares       0',
        'Threshold          0',
        'Unseal Progress    0/0',
        'Unseal Nonce       n/a',
        'Version            0.1.0',
        'Storage Type       inmem',
        'HA Enabled         false',
        '',
      ].join('\n'),
    );
  });

  test('init json returns keys and token', async () => {
    const init = await runCli(['operator', 'init', '-key-shares=3', '-key-threshold=2', '-format=json'], { env: server.env });
    assert.equal(init.code, 0, init.stderr);
    const parsed = JSON.parse(init.stdout);
    assert.deepEqual(Object.keys(parsed), [
      'unseal_keys_b64', 'unseal_keys_hex', 'unseal_shares', 'unseal_threshold', 'recovery_keys_b64',
      'recovery_keys_hex', 'recovery_keys_shares', 'recovery_keys_threshold', 'root_token',
    ]);
    assert.equal(parsed.unseal_keys_b64.length, 3);
    assert.equal(parsed.unseal_keys_hex.length, 3);
    assert.equal(parsed.unseal_shares, 3);
    assert.equal(parsed.unseal_threshold, 2);
    assert.equal(typeof parsed.root_token, 'string');
    keys = parsed.unseal_keys_b64;
    rootToken = parsed.root_token;
  });

  test('second init exits 2', async () => {
    const init = await runCli(['operator', 'init'], { env: server.env });
    assert.equal(init.code, 2);
    assert.ok(init.stderr.startsWith(`Error initializing: Error making API request.\n\nURL: PUT ${server.address}/v1/sys/init\nCode: 400.`), init.stderr);
  });

  test('init status after init exits 0', async () => {
    const status = await runCli(['operator', 'init', '-status', '-format=json'], { env: server.env });
    assert.deepEqual(status, { code: 0, stdout: '{\n  "initialized": true\n}\n', stderr: '' });
  });

  test('unseal progress and reset', async () => {
    const first = await runCli(['operator', 'unseal', keys[0]], { env: server.env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /\nSealed +true\nTotal Shares +3\nThreshold +2\nUnseal Progress +1\/2\nUnseal Nonce +\S+\n/);

    const reset = await runCli(['operator', 'unseal', '-reset'], { env: server.env });
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /\nUnseal Progress +0\/2\n/);
  });

  test('unseal without key on pipe exits 1', async () => {
    const unseal = await runCli(['operator', 'unseal'], { env: server.env });
    assert.deepEqual(unseal, {
      code: 1,
      stdout: '',
      stderr: 'stdin is not a terminal, so the value cannot be prompted for; pass the key as an argument: coffer operator unseal KEY\n',
    });
  });

  test('unseal with threshold unseals', async () => {
    await runCli(['operator', 'unseal', keys[0]], { env: server.env });
    const second = await runCli(['operator', 'unseal', '-format=json', keys[2]], { env: server.env });
    assert.equal(second.code, 0, second.stderr);
    const parsed = JSON.parse(second.stdout);
    assert.equal(parsed.sealed, false);
    assert.equal(parsed.ha_enabled, false);
    assert.equal(parsed.t, 2);

    const status = await runCli(['status'], { env: server.env });
    assert.equal(status.code, 0, status.stderr);
    assert.doesNotMatch(status.stdout, /Unseal Progress/);
  });

  test('key-status prints term', async () => {
    const status = await runCli(['operator', 'key-status'], { env: { ...server.env, COFFER_TOKEN: rootToken } });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^Key Term +1\nInstall Time +\d{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2} UTC\nEncryption Count +\d+\n$/);
  });

  test('rotate adds term', async () => {
    const rotated = await runCli(['operator', 'rotate'], { env: { ...server.env, COFFER_TOKEN: rootToken } });
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /^Success! Rotated key\n\nKey Term +2\nInstall Time +.+ UTC\nEncryption Count +\d+\n$/);
    const json = await runCli(['operator', 'key-status', '-format=json'], { env: { ...server.env, COFFER_TOKEN: rootToken } });
    assert.equal(JSON.parse(json.stdout).term, 2);
  });

  test('rotate takes the keyring target', async () => {
    const rotated = await runCli(['operator', 'rotate', '-target=keyring'], { env: { ...server.env, COFFER_TOKEN: rootToken } });
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /^Success! Rotated key\n\nKey Term +3\nInstall Time +.+ UTC\nEncryption Count +\d+\n$/);
  });

  test('rotate with unknown target exits 1', async () => {
    const rotated = await runCli(['operator', 'rotate', '-target=root'], { env: { ...server.env, COFFER_TOKEN: rootToken } });
    assert.deepEqual(rotated, { code: 1, stdout: '', stderr: 'invalid value "root" for flag -target: use "keyring"\n' });
  });

  test('rotate without token exits 2', async () => {
    const rotated = await runCli(['operator', 'rotate'], { env: server.env });
    assert.equal(rotated.code, 2);
    assert.ok(rotated.stderr.startsWith(`Error rotating key: Error making API request.\n\nURL: PUT ${server.address}/v1/sys/rotate\nCode: 403.`), rotated.stderr);
  });

  test('step-down without HA succeeds', async () => {
    const stepped = await runCli(['operator', 'step-down'], { env: { ...server.env, COFFER_TOKEN: rootToken } });
    assert.deepEqual(stepped, { code: 0, stdout: `Success! Stepped down: ${server.address}\n`, stderr: '' });
    const status = await runCli(['status'], { env: server.env });
    assert.match(status.stdout, /\nSealed +false\n/);
  });

  test('version prints the build version', async () => {
    assert.deepEqual(await runCli(['version'], { env: server.env }), { code: 0, stdout: 'Coffer v0.1.0\n', stderr: '' });
  });

  test('members without HA lists no node', async () => {
    const members = await runCli(['operator', 'members'], { env: { ...server.env, COFFER_TOKEN: rootToken } });
    assert.deepEqual(members, { code: 0, stdout: 'Host Name    API Address    Cluster Address    Active Node    Version    Last Echo\n---------    -----------    ---------------    -----------    -------    ---------\n', stderr: '' });
    const json = await runCli(['operator', 'members', '-format=json'], { env: { ...server.env, COFFER_TOKEN: rootToken } });
    assert.deepEqual(JSON.parse(json.stdout), { Nodes: [] });
  });

  test('step-down without token exits 2', async () => {
    const stepped = await runCli(['operator', 'step-down'], { env: server.env });
    assert.equal(stepped.code, 2);
    assert.ok(stepped.stderr.startsWith(`Error stepping down: Error making API request.\n\nURL: PUT ${server.address}/v1/sys/step-down\nCode: 403.`), stepped.stderr);
  });

  test('seal then status exits 2', async () => {
    const sealed = await runCli(['operator', 'seal'], { env: { ...server.env, COFFER_TOKEN: rootToken } });
    assert.deepEqual(sealed, { code: 0, stdout: 'Success! Coffer is sealed.\n', stderr: '' });
    const status = await runCli(['status'], { env: server.env });
    assert.equal(status.code, 2);
    assert.match(status.stdout, /\nSealed +true\n/);
    assert.match(status.stdout, /\nHA Enabled +false\n$/);
  });

  test('unseal with bad key exits 2', async () => {
    const unseal = await runCli(['operator', 'unseal', 'not a key!'], { env: server.env });
    assert.equal(unseal.code, 2);
    assert.ok(unseal.stderr.startsWith(`Error unsealing: Error making API request.\n\nURL: PUT ${server.address}/v1/sys/unseal\nCode: `), unseal.stderr);
  });
});

describe('operator init table output', () => {
  let server: TestServer;

  before(async () => {
    server = await startConfiguredServer();
  });

  after(async () => {
    await server.close();
  });

  test('prints keys, token and guidance', async () => {
    const init = await runCli(['operator', 'init', '-key-shares=2', '-key-threshold=2'], { env: server.env });
    assert.equal(init.code, 0, init.stderr);
    const lines = init.stdout.split('\n');
    assert.match(lines[0], /^Unseal Key 1: [A-Za-z0-9+/]+=*$/);
    assert.match(lines[1], /^Unseal Key 2: [A-Za-z0-9+/]+=*$/);
    assert.equal(lines[2], '');
    assert.match(lines[3], /^Initial Root Token: \S+$/);
    assert.equal(lines[4], '');
    assert.ok(lines[5].startsWith('Coffer initialized with 2 key shares and a key threshold of 2.'), lines[5]);
    assert.ok(lines.every((line) => line.length <= 78));
  });

  test('bad key shares exits 1', async () => {
    const init = await runCli(['operator', 'init', '-key-shares=many'], { env: server.env });
    assert.deepEqual(init, { code: 1, stdout: '', stderr: 'invalid value "many" for flag -key-shares: expected a whole number\n' });
  });
});

/** Seal status of an uninitialized server with an auto-unseal seal, as sys/seal-status returns it. */
const autoSealStatus = {
  type: 'pkcs11',
  initialized: false,
  sealed: true,
  t: 0,
  n: 0,
  progress: 0,
  nonce: '',
  version: '0.1.0',
  migration: false,
  recovery_seal: true,
  storage_type: 'inmem',
};

const recoveryHex = ['0a0b0c', '0d0e0f'];
const recoveryBase64 = ['CgsM', 'DQ4P'];

/** Responds to seal-status as an auto-unseal server does, and to init with two recovery keys. */
function autoSealServer(request: RecordedRequest): { status: number; body: unknown } {
  if (request.path === '/v1/sys/seal-status') return { status: 200, body: autoSealStatus };
  return {
    status: 200,
    body: { keys: [], keys_base64: [], recovery_keys: recoveryHex, recovery_keys_base64: recoveryBase64, root_token: 'hvs.recovery-root' },
  };
}

describe('operator init with auto-unseal seal', () => {
  let recorder: Recorder;

  before(async () => {
    recorder = await startRecorder(autoSealServer);
  });

  after(async () => {
    await recorder.close();
  });

  test('recovery flags reach the request', async () => {
    recorder.requests.length = 0;
    const init = await runCli(['operator', 'init', '-recovery-shares=2', '-recovery-threshold=2'], { env: recorder.env });
    assert.equal(init.code, 0, init.stderr);
    assert.deepEqual(
      recorder.requests.map((request) => `${request.method} ${request.path}`),
      ['GET /v1/sys/seal-status', 'PUT /v1/sys/init'],
    );
    assert.deepEqual(recorder.requests[1].body, { secret_shares: 0, secret_threshold: 0, recovery_shares: 2, recovery_threshold: 2 });
  });

  test('recovery defaults are 5 and 3', async () => {
    recorder.requests.length = 0;
    const init = await runCli(['operator', 'init', '-format=json'], { env: recorder.env });
    assert.equal(init.code, 0, init.stderr);
    assert.deepEqual(recorder.requests[1].body, { secret_shares: 0, secret_threshold: 0, recovery_shares: 5, recovery_threshold: 3 });
  });

  test('table prints recovery keys', async () => {
    const init = await runCli(['operator', 'init', '-recovery-shares=2', '-recovery-threshold=2'], { env: recorder.env });
    assert.deepEqual(init, {
      code: 0,
      stdout: [
        'Recovery Key 1: CgsM',
        'Recovery Key 2: DQ4P',
        '',
        'Initial Root Token: hvs.recovery-root',
        '',
        'Success! Coffer is initialized',
        '',
        'Recovery key initialized with 2 key shares and a key threshold of 2.',
        'Distribute the key shares printed above to their holders securely.',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  test('json carries recovery keys', async () => {
    const init = await runCli(['operator', 'init', '-recovery-shares=2', '-recovery-threshold=2', '-format=json'], { env: recorder.env });
    assert.equal(init.code, 0, init.stderr);
    assert.deepEqual(JSON.parse(init.stdout), {
      unseal_keys_b64: [],
      unseal_keys_hex: [],
      unseal_shares: 1,
      unseal_threshold: 1,
      recovery_keys_b64: recoveryBase64,
      recovery_keys_hex: recoveryHex,
      recovery_keys_shares: 2,
      recovery_keys_threshold: 2,
      root_token: 'hvs.recovery-root',
    });
  });

  test('hex keys without base64', async () => {
    recorder.respondWith((request) => {
      if (request.path === '/v1/sys/seal-status') return { body: autoSealStatus };
      return { body: { keys: [], recovery_keys: recoveryHex, root_token: 'hvs.recovery-root' } };
    });
    const init = await runCli(['operator', 'init'], { env: recorder.env });
    recorder.respondWith(autoSealServer);
    assert.equal(init.code, 0, init.stderr);
    assert.ok(init.stdout.startsWith('Recovery Key 1: 0a0b0c\nRecovery Key 2: 0d0e0f\n\n'), init.stdout);
  });
});

describe('operator init with Shamir seal', () => {
  let recorder: Recorder;

  before(async () => {
    recorder = await startRecorder((request) => {
      if (request.path === '/v1/sys/seal-status') return { body: { ...autoSealStatus, type: 'shamir', recovery_seal: false } };
      return { body: { keys: ['0a'], keys_base64: ['Cg=='], root_token: 'hvs.shamir-root' } };
    });
  });

  after(async () => {
    await recorder.close();
  });

  test('sends no recovery shares', async () => {
    const init = await runCli(['operator', 'init', '-key-shares=1', '-key-threshold=1'], { env: recorder.env });
    assert.equal(init.code, 0, init.stderr);
    assert.deepEqual(recorder.requests[1].body, { secret_shares: 1, secret_threshold: 1, recovery_shares: 0, recovery_threshold: 0 });
    assert.ok(init.stdout.startsWith('Unseal Key 1: Cg==\n\nInitial Root Token: hvs.shamir-root\n\nCoffer initialized with 1 key shares'), init.stdout);
    assert.doesNotMatch(init.stdout, /Recovery/);
  });
});
