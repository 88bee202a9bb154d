// `coffer agent` with the cert auto-auth method, against a server whose
// listener serves TLS, with the agent as a child process of the built CLI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { makeTestCertificates, type TestCertificates } from '@coffer/auth-cert/testing';
import { startServer, type RunningServer } from '@coffer/server';
import { CofferClient } from '../client.js';

const BIN = fileURLToPath(new URL('../../bin/coffer.js', import.meta.url));

/** Runs the agent with `config` until it exits, and returns its exit code and stderr. */
async function runAgentOnce(folder: string, config: string): Promise<{ code: number | null; stderr: string }> {
  const configPath = join(folder, 'agent.hcl');
  await writeFile(configPath, config);
  const child = spawn(process.execPath, [BIN, 'agent', `-config=${configPath}`], { env: { PATH: process.env.PATH, HOME: folder }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stderr };
}

describe('agent cert method', { timeout: 120_000 }, () => {
  let certs: TestCertificates;
  let server: RunningServer;
  let root: CofferClient;

  before(async () => {
    certs = await makeTestCertificates();
    const configPath = join(certs.directory, 'server.hcl');
    await writeFile(
      configPath,
      `storage "inmem" {}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_cert_file = "${certs.server.certPath}"\n  tls_key_file = "${certs.server.keyPath}"\n}\n`,
    );
    server = await startServer({ configPaths: [configPath], logLevel: 'error', logDestination: { write: () => true } });
    const init = await server.core.initialize(1, 1);
    await server.core.submitUnsealKey(init.keys_base64[0]);
    root = new CofferClient({ address: server.address, token: init.root_token, skipVerify: false, caCert: await readFile(certs.ca.certPath, 'utf8') });
    await root.write('sys/auth/cert', { type: 'cert' });
    await root.write('auth/cert/certs/web', { certificate: await readFile(certs.ca.certPath, 'utf8'), token_policies: 'web-read' });
  });
  after(async () => {
    await server?.close();
    await certs?.close();
  });

  const placements: [string, (sinkPath: string) => string][] = [
    [
      'certificate in method config',
      (sinkPath) => `vault {
  address = "${server.address}"
  ca_cert = "${certs.ca.certPath}"
}
exit_after_auth = true
auto_auth {
  method "cert" {
    config = {
      name        = "web"
      client_cert = "${certs.client.certPath}"
      client_key  = "${certs.client.keyPath}"
    }
  }
  sink "file" {
    config = {
      path = "${sinkPath}"
    }
  }
}
`,
    ],
    [
      'certificate in vault stanza',
      (sinkPath) => `vault {
  address     = "${server.address}"
  ca_cert     = "${certs.ca.certPath}"
  client_cert = "${certs.client.certPath}"
  client_key  = "${certs.client.keyPath}"
}
exit_after_auth = true
auto_auth {
  method "cert" {
    config = {
      name = "web"
    }
  }
  sink "file" {
    config = {
      path = "${sinkPath}"
    }
  }
}
`,
    ],
  ];

  for (const [name, config] of placements) {
    test(name, async () => {
      const sinkPath = join(certs.directory, `${name.replaceAll(' ', '-')}.token`);
      const result = await runAgentOnce(certs.directory, config(sinkPath));
      assert.equal(result.code, 0, result.stderr);
      const token = await readFile(sinkPath, 'utf8');
      const lookup = await new CofferClient({ ...root.config, token }).read('auth/token/lookup-self');
      assert.equal((lookup!.data!.meta as Record<string, string>).cert_name, 'web');
      assert.deepEqual(lookup!.data!.policies, ['default', 'web-read']);
    });
  }

  test('missing certificate fails with exit_on_err', async () => {
    const result = await runAgentOnce(
      certs.directory,
      `vault {
  address = "${server.address}"
  ca_cert = "${certs.ca.certPath}"
}
auto_auth {
  method "cert" {
    exit_on_err = true
    config = {
      name = "web"
    }
  }
}
`,
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^Error authenticating: the cert method needs a client certificate: set client_cert and client_key in its config or in the vault stanza\n$/m);
  });

  test('TLS listener proxies with agent token', async () => {
    const configPath = join(certs.directory, 'proxy.hcl');
    await writeFile(
      configPath,
      `vault {
  address     = "${server.address}"
  ca_cert     = "${certs.ca.certPath}"
  client_cert = "${certs.client.certPath}"
  client_key  = "${certs.client.keyPath}"
}
auto_auth {
  method "cert" {
    config = {
      name = "web"
    }
  }
}
listener "tcp" {
  address       = "127.0.0.1:0"
  tls_cert_file = "${certs.server.certPath}"
  tls_key_file  = "${certs.server.keyPath}"
}
api_proxy {
  use_auto_auth_token = "force"
}
`,
    );
    const child = spawn(process.execPath, [BIN, 'agent', `-config=${configPath}`], { env: { PATH: process.env.PATH, HOME: certs.directory }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const deadline = Date.now() + 40_000;
      while (!/authentication successful/.test(stderr) || !/Listener 1: tcp \(addr: "[^"]+", tls: "enabled"\)/.test(stdout)) {
        assert.ok(Date.now() < deadline, `timed out waiting for the agent; stderr:\n${stderr}`);
        await sleep(200);
      }
      const address = /Listener 1: tcp \(addr: "([^"]+)"/.exec(stdout)![1];
      const ca = await readFile(certs.ca.certPath, 'utf8');
      const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const outgoing = request(`https://${address}/v1/auth/token/lookup-self`, { ca, agent: false }, (incoming) => {
          let body = '';
          incoming.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body }));
        });
        outgoing.on('error', reject);
        outgoing.end();
      });
      assert.equal(response.status, 200);
      assert.equal(JSON.parse(response.body).data.meta.cert_name, 'web');
    } finally {
      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
    }
    assert.match(stdout, /==> Coffer agent shutdown triggered by SIGINT\n$/);
  });
});
