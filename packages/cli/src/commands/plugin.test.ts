import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { makeTempDir, runCli } from '../test-io.js';
import type { Recorder } from '../test-recorder.js';
import { emptyData, envelope, startRecorder } from '../test-recorder.js';
import type { TestServer } from '../test-server.js';
import { startDevServer } from '../test-server.js';

const pluginScript = '#!/bin/sh\necho "coffer test plugin"\n';
const pluginSha256 = createHash('sha256').update(pluginScript).digest('hex');

describe('plugin commands on dev server', () => {
  let server: TestServer;
  let pluginDirectory: { path: string; remove(): Promise<void> };

  before(async () => {
    pluginDirectory = await makeTempDir('coffer-cli-plugins-');
    await writeFile(join(pluginDirectory.path, 'echo-engine'), pluginScript, { mode: 0o755 });
    server = await startDevServer({ pluginDirectory: pluginDirectory.path });
  });

  after(async () => {
    await server.close();
    await pluginDirectory.remove();
  });

  test('register, list, info, deregister', async () => {
    const registered = await runCli(
      ['plugin', 'register', `-sha256=${pluginSha256}`, '-args=-verbose', '-env=HOSTS=a,b', 'secret', 'echo-engine'],
      { env: server.env },
    );
    assert.deepEqual(registered, { code: 0, stdout: 'Success! Registered plugin: echo-engine\n', stderr: '' });

    const listed = await runCli(['plugin', 'list', 'secret'], { env: server.env });
    assert.deepEqual(listed, {
      code: 0,
      stdout: [
        'Name           Version',
        '----           -------',
        'aws            v0.1.0+builtin',
        'database       v0.1.0+builtin',
        'echo-engine    n/a',
        'kv             v0.1.0+builtin',
        'ldap           v0.1.0+builtin',
        'pki            v0.1.0+builtin',
        'rabbitmq       v0.1.0+builtin',
        'ssh            v0.1.0+builtin',
        'totp           v0.1.0+builtin',
        'transit        v0.1.0+builtin',
        '',
      ].join('\n'),
      stderr: '',
    });

    const info = await runCli(['plugin', 'info', 'secret', 'echo-engine'], { env: server.env });
    assert.deepEqual(info, {
      code: 0,
      stdout: [
        'Key        Value',
        '---        -----',
        'args       [-verbose]',
        'builtin    false',
        'command    echo-engine',
        'name       echo-engine',
        `sha256     ${pluginSha256}`,
        'type       secret',
        'version    n/a',
        '',
      ].join('\n'),
      stderr: '',
    });

    const deregistered = await runCli(['plugin', 'deregister', 'secret', 'echo-engine'], { env: server.env });
    assert.deepEqual(deregistered, {
      code: 0,
      stdout: 'Success! Deregistered plugin (if it was registered): echo-engine\n',
      stderr: '',
    });

    const missing = await runCli(['plugin', 'info', 'secret', 'echo-engine'], { env: server.env });
    assert.deepEqual(missing, { code: 2, stdout: '', stderr: 'No value found for plugin "echo-engine"\n' });
  });

  test('register, info, deregister audit plugin', async () => {
    const registered = await runCli(['plugin', 'register', `-sha256=${pluginSha256}`, '-command=echo-engine', 'audit', 'echo-audit'], {
      env: server.env,
    });
    assert.deepEqual(registered, { code: 0, stdout: 'Success! Registered plugin: echo-audit\n', stderr: '' });

    const info = await runCli(['plugin', 'info', '-format=json', 'audit', 'echo-audit'], { env: server.env });
    assert.equal(info.code, 0, info.stderr);
    assert.deepEqual(JSON.parse(info.stdout), {
      args: [],
      builtin: false,
      command: 'echo-engine',
      name: 'echo-audit',
      sha256: pluginSha256,
      type: 'audit',
      version: '',
    });

    const deregistered = await runCli(['plugin', 'deregister', 'audit', 'echo-audit'], { env: server.env });
    assert.deepEqual(deregistered, {
      code: 0,
      stdout: 'Success! Deregistered plugin (if it was registered): echo-audit\n',
      stderr: '',
    });
    const missing = await runCli(['plugin', 'info', 'audit', 'echo-audit'], { env: server.env });
    assert.deepEqual(missing, { code: 2, stdout: '', stderr: 'No value found for plugin "echo-audit"\n' });
  });

  test('versioned entry in json', async () => {
    const registered = await runCli(
      ['plugin', 'register', `-sha256=${pluginSha256}`, '-version=1.2.0', '-command=echo-engine', 'secret', 'echo-versioned'],
      { env: server.env },
    );
    assert.equal(registered.code, 0, registered.stderr);

    const info = await runCli(['plugin', 'info', '-version=v1.2.0', '-format=json', 'secret', 'echo-versioned'], { env: server.env });
    assert.equal(info.code, 0, info.stderr);
    assert.deepEqual(JSON.parse(info.stdout), {
      args: [],
      builtin: false,
      command: 'echo-engine',
      name: 'echo-versioned',
      sha256: pluginSha256,
      type: 'secret',
      version: 'v1.2.0',
    });

    const field = await runCli(['plugin', 'info', '-version=v1.2.0', '-field=sha256', 'secret', 'echo-versioned'], { env: server.env });
    assert.deepEqual(field, { code: 0, stdout: pluginSha256, stderr: '' });

    const names = await runCli(['plugin', 'list', '-format=json'], { env: server.env });
    assert.equal(names.code, 0, names.stderr);
    assert.deepEqual(JSON.parse(names.stdout), {
      auth: ['approle', 'cert', 'github', 'jwt', 'ldap', 'oidc', 'radius', 'userpass'],
      database: ['mysql-database-plugin', 'postgresql-database-plugin', 'redis-database-plugin'],
      secret: ['aws', 'database', 'echo-versioned', 'kv', 'ldap', 'pki', 'rabbitmq', 'ssh', 'totp', 'transit'],
    });

    const detailed = await runCli(['plugin', 'list', '-detailed', 'secret'], { env: server.env });
    assert.equal(detailed.code, 0, detailed.stderr);
    assert.match(detailed.stdout, /^Name +Type +Version +Builtin +SHA256\n/);
    assert.match(detailed.stdout, new RegExp(`\\necho-versioned +secret +v1\\.2\\.0 +false +${pluginSha256}\\n`));
    assert.match(detailed.stdout, /\nkv +secret +v0\.1\.0\+builtin +true +n\/a\n/);

    const removed = await runCli(['plugin', 'deregister', '-version=v1.2.0', 'secret', 'echo-versioned'], { env: server.env });
    assert.equal(removed.code, 0, removed.stderr);
    const after = await runCli(['plugin', 'list', '-format=json', 'secret'], { env: server.env });
    assert.deepEqual(JSON.parse(after.stdout), { secret: ['aws', 'database', 'kv', 'ldap', 'pki', 'rabbitmq', 'ssh', 'totp', 'transit'] });
  });

  test('list without type shows types', async () => {
    const listed = await runCli(['plugin', 'list'], { env: server.env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^Name +Type +Version\n-+ +-+ +-+\napprole +auth +v0\.1\.0\+builtin\n/);
    assert.match(listed.stdout, /\ntransit +secret +v0\.1\.0\+builtin\n$/);
  });

  test('bad sha256 format exits 2', async () => {
    const registered = await runCli(['plugin', 'register', '-sha256=abc123', 'secret', 'echo-engine'], { env: server.env });
    assert.deepEqual(registered, {
      code: 2,
      stdout: '',
      stderr: [
        'Error registering plugin echo-engine: Error making API request.',
        '',
        `URL: PUT ${server.address}/v1/sys/plugins/catalog/secret/echo-engine`,
        'Code: 400. Errors:',
        '',
        `* invalid "sha256" "abc123": expected the 64 hexadecimal digits of the binary's SHA-256`,
        '',
      ].join('\n'),
    });
  });

  test('missing command file exits 2', async () => {
    const registered = await runCli(['plugin', 'register', `-sha256=${pluginSha256}`, 'secret', 'absent'], { env: server.env });
    assert.equal(registered.code, 2);
    assert.match(registered.stderr, /\n\* invalid "command" "absent": no such file in the plugin directory /);
  });

  test('reload by plugin warns', async () => {
    const reloaded = await runCli(['plugin', 'reload', '-plugin=echo-engine'], { env: server.env });
    assert.deepEqual(reloaded, {
      code: 0,
      stdout: 'Success! Reloaded plugin: echo-engine\n',
      stderr: 'WARNING! The following warnings were returned from the server:\n\n  * no mount uses plugin "echo-engine"\n\n',
    });
  });

  test('reload by mounts', async () => {
    const reloaded = await runCli(['plugin', 'reload', '-mounts=secret/'], { env: server.env });
    assert.deepEqual(reloaded, { code: 0, stdout: 'Success! Reloaded mounts: [secret/]\n', stderr: '' });
  });

  test('reload of unknown mount exits 2', async () => {
    const reloaded = await runCli(['plugin', 'reload', '-mounts=nothing/'], { env: server.env });
    assert.equal(reloaded.code, 2);
    assert.ok(reloaded.stderr.startsWith('Error reloading plugin/mounts: Error making API request.\n'), reloaded.stderr);
    assert.match(reloaded.stderr, /\* invalid "mounts" entry "nothing\/": no secrets engine or auth method is mounted there\n$/);
  });
});

describe('plugin command input errors', () => {
  let recorder: Recorder;

  before(async () => {
    recorder = await startRecorder();
  });

  beforeEach(() => {
    recorder.requests.length = 0;
    recorder.respondWith(emptyData);
  });

  after(async () => {
    await recorder.close();
  });

  const cases: { argv: string[]; code: number; stderr: string }[] = [
    {
      argv: ['plugin', 'register', 'secret', 'echo-engine'],
      code: 1,
      stderr: 'missing -sha256: give the SHA-256 of the plugin executable, such as -sha256=$(sha256sum FILE | cut -d" " -f1)\n',
    },
    { argv: ['plugin', 'register', `-sha256=${pluginSha256}`, 'echo-engine'], code: 1, stderr: 'Not enough arguments (expected 2, got 1)\n' },
    { argv: ['plugin', 'info', 'secret'], code: 1, stderr: 'Not enough arguments (expected 2, got 1)\n' },
    { argv: ['plugin', 'deregister', 'secret', 'a', 'b'], code: 1, stderr: 'Too many arguments (expected 2, got 3)\n' },
    { argv: ['plugin', 'list', 'secret', 'extra'], code: 1, stderr: 'Too many arguments (expected 0-1, got 2)\n' },
    { argv: ['plugin', 'reload'], code: 1, stderr: 'missing -plugin or -mounts: name the plugin or the mounts to reload\n' },
    {
      argv: ['plugin', 'reload', '-plugin=a', '-mounts=b/'],
      code: 1,
      stderr: '-plugin and -mounts were both given: use only one of them\n',
    },
    {
      argv: ['plugin', 'list', 'engine'],
      code: 2,
      stderr: 'Error parsing type: "engine" is not a supported plugin type; use "auth", "database" or "secret"\n',
    },
    {
      argv: ['plugin', 'register', '-sha256=abc', 'engine', 'my-engine'],
      code: 2,
      stderr: 'Error parsing type: "engine" is not a supported plugin type; use "audit", "auth", "database" or "secret"\n',
    },
    {
      argv: ['plugin', 'list', 'audit'],
      code: 2,
      stderr: 'Error parsing type: "audit" plugins are not in the catalog list; run "coffer list sys/plugins/catalog/audit"\n',
    },
  ];

  for (const { argv, code, stderr } of cases) {
    test(`${argv.slice(1).join(' ')} exits ${code}`, async () => {
      const result = await runCli(argv, { env: recorder.env });
      assert.deepEqual(result, { code, stdout: '', stderr });
      assert.equal(recorder.requests.length, 0);
    });
  }

  test('register sends args and env whole', async () => {
    const result = await runCli(
      ['plugin', 'register', `-sha256=${pluginSha256}`, '-args=-a,b', '-args', '-c', '-env=HOSTS=x,y', '-env=PORT=1', 'auth', 'my-auth'],
      { env: recorder.env },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(recorder.requests.length, 1);
    assert.equal(recorder.requests[0].method, 'PUT');
    assert.equal(recorder.requests[0].path, '/v1/sys/plugins/catalog/auth/my-auth');
    assert.deepEqual(recorder.requests[0].body, {
      sha256: pluginSha256,
      command: 'my-auth',
      args: ['-a,b', '-c'],
      env: ['HOSTS=x,y', 'PORT=1'],
      version: '',
    });
  });

  test('deregister sends version', async () => {
    const result = await runCli(['plugin', 'deregister', '-version=v1.0.0', 'secret', 'my-engine'], { env: recorder.env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(recorder.requests[0].method, 'DELETE');
    assert.equal(recorder.requests[0].path, '/v1/sys/plugins/catalog/secret/my-engine');
    assert.equal(recorder.requests[0].query.get('version'), 'v1.0.0');
    assert.deepEqual(recorder.requests[0].body, { version: 'v1.0.0' });
  });

  test('reload sends mounts list', async () => {
    recorder.respondWith(() => ({ body: envelope({ data: { reload_id: 'r-1' } }) }));
    const result = await runCli(['plugin', 'reload', '-mounts=a/,auth/b/', '-mounts', 'c/'], { env: recorder.env });
    assert.deepEqual(result, { code: 0, stdout: 'Success! Reloaded mounts: [a/ auth/b/ c/]\n', stderr: '' });
    assert.equal(recorder.requests[0].path, '/v1/sys/plugins/reload/backend');
    assert.deepEqual(recorder.requests[0].body, { mounts: ['a/', 'auth/b/', 'c/'] });
  });
});
