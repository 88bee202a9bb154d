import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTestCertificates, type TestCertificates } from '@coffer/auth-cert/testing';
import { startServer, type RunningServer } from '@coffer/server';
import { runCli } from '../test-io.js';

describe('login cert', () => {
  let certs: TestCertificates;
  let server: RunningServer;
  let tlsEnv: Record<string, string>;

  before(async () => {
    certs = await makeTestCertificates();
    const configPath = join(certs.directory, 'server.hcl');
    await writeFile(
      configPath,
      `storage "inmem" {}
listener "tcp" {
  address = "127.0.0.1:0"
  tls_cert_file = "${certs.server.certPath}"
  tls_key_file = "${certs.server.keyPath}"
}
`,
    );
    server = await startServer({ configPaths: [configPath], logLevel: 'error', logDestination: { write: () => true } });
    const init = await server.core.initialize(1, 1);
    await server.core.submitUnsealKey(init.keys_base64[0]);

    tlsEnv = { COFFER_ADDR: server.address, COFFER_CACERT: certs.ca.certPath, HOME: certs.directory };
    const rootEnv = { ...tlsEnv, COFFER_TOKEN: init.root_token };
    for (const argv of [
      ['auth', 'enable', 'cert'],
      ['write', 'auth/cert/certs/web', `certificate=@${certs.ca.certPath}`, 'token_policies=web-read'],
    ]) {
      const result = await runCli(argv, { env: rootEnv });
      assert.equal(result.code, 0, result.stderr);
    }
  });
  after(async () => {
    await server?.close();
    await certs?.close();
  });

  test('client certificate logs in', async () => {
    const login = await runCli(
      ['login', '-method=cert', `-client-cert=${certs.client.certPath}`, `-client-key=${certs.client.keyPath}`, '-field=token_meta_cert_name', 'name=web'],
      { env: tlsEnv },
    );

    assert.deepEqual(login, { code: 0, stdout: 'web', stderr: '' });
  });

  test('client certificate from environment', async () => {
    const env = { ...tlsEnv, COFFER_CLIENT_CERT: certs.client.certPath, COFFER_CLIENT_KEY: certs.client.keyPath };

    const login = await runCli(['login', '-method=cert', '-field=token_meta_common_name'], { env });

    assert.deepEqual(login, { code: 0, stdout: 'client.example.com', stderr: '' });
  });

  test('missing client certificate exits 2', async () => {
    const login = await runCli(['login', '-method=cert', '-no-store', 'name=web'], { env: tlsEnv });

    assert.deepEqual(login, {
      code: 2,
      stdout: '',
      stderr: `Error authenticating: Error making API request.\n\nURL: PUT ${server.address}/v1/auth/cert/login\nCode: 400. Errors:\n\n* client certificate must be supplied\n`,
    });
  });

  test('unknown key exits 1', async () => {
    const login = await runCli(['login', '-method=cert', 'role=web'], { env: tlsEnv });

    assert.deepEqual(login, { code: 1, stdout: '', stderr: 'unknown key "role" for -method=cert: the method takes name, mount\n' });
  });

  test('auth help describes method', async () => {
    const help = await runCli(['auth', 'help', 'cert'], { env: tlsEnv });

    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: coffer login -method=cert \[CONFIG K=V\.\.\.\]\n/);
    assert.match(help.stdout, /\n {2}name=<string>\n/);
  });
});
