import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Recorder } from '../test-recorder.js';
import { envelope, startRecorder } from '../test-recorder.js';
import { runCli } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

describe('auth', () => {
  let server: TestServer;

  before(async () => {
    server = await startDevServer();
  });

  after(async () => {
    await server.close();
  });

  /** Reads one auth method's entry from `auth list -format=json`. */
  async function authEntry(path: string): Promise<Record<string, any> | undefined> {
    const listed = await runCli(['auth', 'list', '-format=json'], { env: server.env });
    assert.equal(listed.code, 0, listed.stderr);
    return JSON.parse(listed.stdout)[path];
  }

  test('enable default path and list', async () => {
    const enabled = await runCli(['auth', 'enable', 'userpass'], { env: server.env });
    assert.deepEqual(enabled, { code: 0, stdout: 'Success! Enabled userpass auth method at: userpass/\n', stderr: '' });

    const listed = await runCli(['auth', 'list'], { env: server.env });
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^Path +Type +Accessor +Description$/);
    assert.match(lines[1], /^-{4} +-{4} +-{8} +-{11}$/);
    assert.ok(lines.some((line) => /^token\/ +token +auth_token +token based credentials$/.test(line)), listed.stdout);
    assert.ok(lines.some((line) => /^userpass\/ +userpass +userpass_\S+ +n\/a$/.test(line)), listed.stdout);
  });

  test('enable with flags sets config', async () => {
    const enabled = await runCli(
      [
        'auth', 'enable', '-path=staff/', '-description=Staff logins', '-default-lease-ttl=1h', '-max-lease-ttl=2h',
        '-listing-visibility=unauth', '-local', '-options=team=ops', '-audit-non-hmac-request-keys=username', 'userpass',
      ],
      { env: server.env },
    );
    assert.deepEqual(enabled, { code: 0, stdout: 'Success! Enabled userpass auth method at: staff/\n', stderr: '' });

    const entry = await authEntry('staff/');
    assert.equal(entry?.type, 'userpass');
    assert.equal(entry?.description, 'Staff logins');
    assert.equal(entry?.local, true);
    assert.deepEqual(entry?.options, { team: 'ops' });
    assert.deepEqual(entry?.config, {
      audit_non_hmac_request_keys: ['username'],
      default_lease_ttl: 3600,
      force_no_cache: false,
      listing_visibility: 'unauth',
      max_lease_ttl: 7200,
      token_type: 'default-service',
    });
  });

  test('detailed list has all columns', async () => {
    await runCli(['auth', 'enable', '-path=detail', '-default-lease-ttl=10m', '-local', '-options=k=v', '-description=Detailed', 'approle'], { env: server.env });
    const listed = await runCli(['auth', 'list', '-detailed'], { env: server.env });
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split('\n');
    assert.match(
      lines[0],
      /^Path +Plugin +Accessor +Default TTL +Max TTL +Token Type +Replication +Seal Wrap +External Entropy Access +Options +Description +UUID +Version +Running Version +Running SHA256 +Deprecation Status$/,
    );
    assert.ok(
      lines.some((line) => /^detail\/ +approle +approle_\S+ +600 +system +default-service +local +false +false +map\[k:v\] +Detailed +[0-9a-f-]{36} +n\/a +v0\.1\.0\+builtin +n\/a +n\/a$/.test(line)),
      listed.stdout,
    );
    assert.ok(
      lines.some((line) => /^token\/ +token +auth_token +system +system +default-service +replicated +false +false +map\[\] +token based credentials +n\/a /.test(line)),
      listed.stdout,
    );
  });

  test('token type set at enable and tune', async () => {
    const enabled = await runCli(['auth', 'enable', '-path=typed', '-token-type=default-batch', 'userpass'], { env: server.env });
    assert.equal(enabled.code, 0, enabled.stderr);
    const field = async () => runCli(['read', '-field=token_type', 'sys/auth/typed/tune'], { env: server.env });
    assert.equal((await field()).stdout, 'default-batch');

    const tuned = await runCli(['auth', 'tune', '-token-type=service', 'typed'], { env: server.env });
    assert.deepEqual(tuned, { code: 0, stdout: 'Success! Tuned the auth method at: typed/\n', stderr: '' });
    assert.equal((await field()).stdout, 'service');
  });

  test('tune changes then resets TTL', async () => {
    await runCli(['auth', 'enable', '-path=tuned', '-max-lease-ttl=2h', 'userpass'], { env: server.env });
    const tuned = await runCli(['auth', 'tune', '-default-lease-ttl=30m', '-description=Tuned', '-listing-visibility=hidden', 'tuned'], { env: server.env });
    assert.deepEqual(tuned, { code: 0, stdout: 'Success! Tuned the auth method at: tuned/\n', stderr: '' });

    const read = await runCli(['read', 'sys/auth/tuned/tune'], { env: server.env });
    assert.deepEqual(read, {
      code: 0,
      stdout:
        'Key                   Value\n---                   -----\n' +
        'default_lease_ttl     30m\n' +
        'description           Tuned\n' +
        'force_no_cache        false\n' +
        'listing_visibility    hidden\n' +
        'max_lease_ttl         2h\n' +
        'options               <nil>\n' +
        'token_type            default-service\n',
      stderr: '',
    });

    const reset = await runCli(['auth', 'tune', '-default-lease-ttl=-1', '-max-lease-ttl=0', 'tuned/'], { env: server.env });
    assert.equal(reset.code, 0, reset.stderr);
    const entry = await authEntry('tuned/');
    assert.equal(entry?.config?.default_lease_ttl, 0);
    assert.equal(entry?.config?.max_lease_ttl, 7200);
    assert.equal(entry?.description, 'Tuned');
  });

  test('disable removes method', async () => {
    await runCli(['auth', 'enable', '-path=gone', 'userpass'], { env: server.env });
    const disabled = await runCli(['auth', 'disable', 'gone'], { env: server.env });
    assert.deepEqual(disabled, { code: 0, stdout: 'Success! Disabled the auth method (if it existed) at: gone/\n', stderr: '' });
    assert.equal(await authEntry('gone/'), undefined);
  });

  test('enable twice exits 2', async () => {
    await runCli(['auth', 'enable', '-path=twice', 'userpass'], { env: server.env });
    const again = await runCli(['auth', 'enable', '-path=twice', 'userpass'], { env: server.env });
    assert.equal(again.code, 2);
    assert.equal(again.stdout, '');
    assert.ok(
      again.stderr.startsWith(`Error enabling userpass auth: Error making API request.\n\nURL: POST ${server.address}/v1/sys/auth/twice/\nCode: 400. Errors:\n\n* `),
      again.stderr,
    );
  });

  test('tune bad visibility exits 2', async () => {
    const tuned = await runCli(['auth', 'tune', '-listing-visibility=public', 'token'], { env: server.env });
    assert.deepEqual(tuned, {
      code: 2,
      stdout: '',
      stderr:
        `Error tuning auth method token/: Error making API request.\n\nURL: POST ${server.address}/v1/sys/auth/token/tune\n` +
        'Code: 400. Errors:\n\n* invalid "config.listing_visibility" "public": must be "hidden" or "unauth"\n',
    });
  });

  test('tune bad duration exits 1', async () => {
    const tuned = await runCli(['auth', 'tune', '-max-lease-ttl=forever', 'token'], { env: server.env });
    assert.deepEqual(tuned, {
      code: 1,
      stdout: '',
      stderr: 'invalid value "forever" for flag -max-lease-ttl: expected a duration such as 30s, 15m, 24h or a number of seconds\n',
    });
  });

  test('enable without type exits 1', async () => {
    const enabled = await runCli(['auth', 'enable'], { env: server.env });
    assert.deepEqual(enabled, { code: 1, stdout: '', stderr: 'Not enough arguments (expected 1, got 0)\n' });
  });

  test('list with argument exits 1', async () => {
    const listed = await runCli(['auth', 'list', 'userpass'], { env: server.env });
    assert.deepEqual(listed, { code: 1, stdout: '', stderr: 'Too many arguments (expected 0, got 1)\n' });
  });

  test('list without token exits 2', async () => {
    const listed = await runCli(['auth', 'list'], { env: { COFFER_ADDR: server.address, HOME: server.home } });
    assert.deepEqual(listed, {
      code: 2,
      stdout: '',
      stderr: `Error listing enabled authentications: Error making API request.\n\nURL: GET ${server.address}/v1/sys/auth\nCode: 403. Errors:\n\n* permission denied\n`,
    });
  });

  test('help by type prints usage', async () => {
    const help = await runCli(['auth', 'help', 'approle'], { env: server.env });
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stderr, '');
    assert.ok(help.stdout.startsWith('Usage: coffer login -method=approle [CONFIG K=V...]\n'), help.stdout);
    assert.match(help.stdout, /\n {2}role_id=<string>\n {6}Role ID of the role/);
  });

  test('help by path finds type', async () => {
    await runCli(['auth', 'enable', '-path=people', 'userpass'], { env: server.env });
    const help = await runCli(['auth', 'help', 'people/'], { env: server.env });
    assert.equal(help.code, 0, help.stderr);
    assert.ok(help.stdout.startsWith('Usage: coffer login -method=userpass [CONFIG K=V...]\n'), help.stdout);
  });

  test('help unknown path exits 1', async () => {
    const help = await runCli(['auth', 'help', 'nowhere'], { env: server.env });
    assert.deepEqual(help, {
      code: 1,
      stdout: '',
      stderr: 'No auth method available on the server at "nowhere/"; "coffer auth list" lists the enabled ones\n',
    });
  });

  test('group without subcommand exits 1', async () => {
    const group = await runCli(['auth'], { env: server.env });
    assert.equal(group.code, 1);
    assert.match(group.stdout, /^Usage: coffer auth <subcommand> \[options\] \[args\]\n\n {2}Interact with auth methods\.\n\nSubcommands:\n {4}enable +Enable a new auth method\n/);
  });
});

describe('auth requests', () => {
  let recorder: Recorder;

  before(async () => {
    recorder = await startRecorder();
  });

  beforeEach(() => {
    recorder.requests.length = 0;
    recorder.respondWith(() => ({}));
  });

  after(async () => {
    await recorder.close();
  });

  test('enable sends type and config', async () => {
    const enabled = await runCli(['auth', 'enable', '-path=corp', '-max-lease-ttl=90m', '-seal-wrap', '-passthrough-request-headers=X-A,X-B', 'ldap'], { env: recorder.env });
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.equal(recorder.requests.length, 1);
    assert.equal(recorder.requests[0].method, 'POST');
    assert.equal(recorder.requests[0].path, '/v1/sys/auth/corp/');
    assert.deepEqual(recorder.requests[0].body, {
      type: 'ldap',
      description: '',
      config: { max_lease_ttl: '1h30m0s', passthrough_request_headers: ['X-A', 'X-B'] },
      seal_wrap: true,
    });
  });

  test('tune sends only given settings', async () => {
    const tuned = await runCli(['auth', 'tune', '-default-lease-ttl=-1', '-max-lease-ttl=0', '-options=a=b', 'corp'], { env: recorder.env });
    assert.equal(tuned.code, 0, tuned.stderr);
    assert.equal(recorder.requests[0].method, 'POST');
    assert.equal(recorder.requests[0].path, '/v1/sys/auth/corp/tune');
    assert.deepEqual(recorder.requests[0].body, { default_lease_ttl: 'system', options: { a: 'b' } });
  });

  test('help for type without handler exits 2', async () => {
    recorder.respondWith(() => ({ body: envelope({ data: { 'okta/': { type: 'okta', accessor: 'auth_okta_1' } } }) }));
    const help = await runCli(['auth', 'help', 'okta'], { env: recorder.env });
    assert.deepEqual(help, {
      code: 2,
      stdout: '',
      stderr: 'No method-specific CLI handler available for auth method "okta" of type\n"okta": log in with "coffer write auth/okta/login ..."\n',
    });
  });
});
