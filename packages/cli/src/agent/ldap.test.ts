// `coffer agent` with the ldap auto-auth method, against a dev server whose
// LDAP auth method talks to a real slapd, with the agent as a child process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { DIRECTORY, slapdSkipReason, startTestDirectory, type TestDirectory } from '@coffer/auth-ldap/testing';
import { CofferClient } from '../client.js';
import { makeTempDir } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer, testRootToken } from '../test-server.js';

const BIN = fileURLToPath(new URL('../../bin/coffer.js', import.meta.url));

describe('agent ldap method', { skip: slapdSkipReason() ?? false, timeout: 120_000 }, () => {
  let directory: TestDirectory;
  let server: TestServer;
  let root: CofferClient;

  before(async () => {
    directory = await startTestDirectory();
    server = await startDevServer();
    root = new CofferClient({ address: server.address, token: testRootToken, skipVerify: false });
    await root.write('sys/auth/ldap', { type: 'ldap' });
    await root.write('auth/ldap/config', {
      url: directory.url,
      starttls: true,
      certificate: directory.caCertificate,
      binddn: DIRECTORY.readerDn,
      bindpass: DIRECTORY.readerPassword,
      userdn: DIRECTORY.peopleDn,
      userattr: 'uid',
      groupdn: DIRECTORY.groupsDn,
    });
    await root.write('auth/ldap/groups/admins', { policies: 'admin-read' });
  });

  after(async () => {
    await server?.close();
    await directory?.stop();
  });

  test('password file is read and removed', async () => {
    const folder = await makeTempDir('coffer-agent-ldap-');
    try {
      const passwordFile = join(folder.path, 'password');
      const sinkPath = join(folder.path, 'token');
      await writeFile(passwordFile, `${DIRECTORY.users.alice.password}\n`);
      const configPath = join(folder.path, 'agent.hcl');
      await writeFile(
        configPath,
        `vault {\n  address = "${server.address}"\n}\nexit_after_auth = true\nauto_auth {\n  method "ldap" {\n    config = {\n      username           = "alice"\n      password_file_path = "${passwordFile}"\n    }\n  }\n  sink "file" {\n    config = {\n      path = "${sinkPath}"\n    }\n  }\n}\n`,
      );
      const child = spawn(process.execPath, [BIN, 'agent', `-config=${configPath}`], { env: { PATH: process.env.PATH, HOME: folder.path }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 0, stderr);

      const token = await readFile(sinkPath, 'utf8');
      const lookup = await new CofferClient({ ...root.config, token }).read('auth/token/lookup-self');
      assert.equal(lookup!.data!.path, 'auth/ldap/login/alice');
      assert.deepEqual(lookup!.data!.policies, ['admin-read', 'default']);
      await assert.rejects(access(passwordFile), { code: 'ENOENT' });
      assert.equal(stderr.includes(DIRECTORY.users.alice.password), false, 'the log never shows the password');
    } finally {
      await folder.remove();
    }
  });
});
