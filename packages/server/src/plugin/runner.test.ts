import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { callUnary, generateLaunchCertificate, GRPC_OPTIONS, loadPluginProtocol, type LaunchCertificate } from '@coffer/sdk';
import type { CatalogEntry } from './catalog.js';
import { launchPlugin, PluginLaunchError, type LaunchOptions } from './runner.js';
import { makeTemporaryDirectory, readPid, removeDirectory, TEST_PLUGINS, waitForExit, writeNodePlugin, writeScript } from './test-support.js';

/** Short enough to keep the hung-start test quick. */
const HUNG_START_TIMEOUT_MS = 1500;

/**
 * For plugins that do start. A Node.js plugin took more than 1.5 s to print
 * its handshake while the whole suite ran on two CPUs.
 */
const START_TIMEOUT_MS = 20_000;

function entryFor(command: string, sha256: string, env: string[] = []): CatalogEntry {
  return { type: 'secret', name: `test-${command}`, version: '', command, args: [], env, sha256 };
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

describe('plugin runner', () => {
  let directory: string;
  let scratch: string;
  const output: string[] = [];
  const options = (entry: CatalogEntry, startTimeoutMs = START_TIMEOUT_MS): LaunchOptions => ({
    entry,
    pluginDirectory: directory,
    startTimeoutMs,
    onOutput: (stream, line) => output.push(`${stream}: ${line}`),
  });

  before(async () => {
    directory = await makeTemporaryDirectory('coffer-runner-plugins-');
    scratch = await makeTemporaryDirectory('coffer-runner-scratch-');
  });
  after(async () => {
    await removeDirectory(directory);
    await removeDirectory(scratch);
  });

  test('node plugin completes the handshake', async () => {
    const sha256 = await writeNodePlugin(directory, 'good', 'secrets');
    const launched = await launchPlugin(options(entryFor('good', sha256)));
    try {
      assert.equal(launched.handshake.coreVersion, 1);
      assert.equal(launched.handshake.appVersion, 5);
      assert.equal(launched.handshake.network, 'unix');
      assert.ok(launched.handshake.address.startsWith(launched.directory), 'the plugin listens in the host-made socket folder');
      assert.match(launched.pluginCertificatePem, /^-----BEGIN CERTIFICATE-----/);
    } finally {
      await launched.stop(0);
    }
    assert.equal(await waitForExit(launched.pid), true);
    assert.equal(await fileExists(launched.directory), false);
  });

  test('plugin accepts only the host certificate', async () => {
    const sha256 = await writeNodePlugin(directory, 'tls-check', 'secrets');
    const launched = await launchPlugin(options(entryFor('tls-check', sha256)));
    const stranger = await generateLaunchCertificate();
    const healthCheck = async (certificate: LaunchCertificate): Promise<unknown> => {
      const credentials = grpc.credentials.createSsl(Buffer.from(launched.pluginCertificatePem), Buffer.from(certificate.privateKeyPem), Buffer.from(certificate.certificatePem));
      const client = new (loadPluginProtocol().Health)(`unix://${launched.handshake.address}`, credentials, GRPC_OPTIONS);
      try {
        return await callUnary(client, 'Check', { service: 'plugin' }, { deadline: Date.now() + 3000 });
      } finally {
        client.close();
      }
    };
    try {
      assert.deepEqual(await healthCheck(launched.hostCertificate), { status: 'SERVING' });
      await assert.rejects(healthCheck(stranger), { code: grpc.status.UNAVAILABLE });
    } finally {
      await launched.stop(0);
    }
  });

  test('hash mismatch never executes', async () => {
    const marker = join(scratch, 'mismatch-ran');
    const sha256 = await writeScript(directory, 'mismatch', `: > '${marker}'\nexit 0`);
    const wrong = sha256.replace(/^./, sha256[0] === '0' ? '1' : '0');

    await assert.rejects(launchPlugin(options(entryFor('mismatch', wrong))), (err: unknown) => {
      assert.ok(err instanceof PluginLaunchError);
      assert.equal(err.failure, 'checksum');
      assert.equal(
        err.message,
        `plugin "test-mismatch": the SHA-256 of the binary is ${sha256}, but the catalog expects ${wrong}, so it was not run; if "mismatch" changed on purpose, register it again with its new sha256`,
      );
      return true;
    });
    assert.equal(await fileExists(marker), false, 'the binary must not have run');

    // The same script with its real hash does run, so the marker can tell.
    await assert.rejects(launchPlugin(options(entryFor('mismatch', sha256))), PluginLaunchError);
    assert.equal(await fileExists(marker), true);
  });

  test('bad handshake kills the plugin', async () => {
    const pidFile = join(scratch, 'bad-handshake.pid');
    const sha256 = await writeScript(directory, 'bad-handshake', `echo $$ > '${pidFile}'\necho 'hello from a plugin'\nexec sleep 30`);
    await assert.rejects(launchPlugin(options(entryFor('bad-handshake', sha256))), {
      name: 'PluginLaunchError',
      message:
        'plugin "test-bad-handshake" printed an invalid handshake line: malformed handshake line "hello from a plugin": expected "core-version|app-version|network|address|protocol|server-cert"',
    });
    assert.equal(await waitForExit(await readPid(pidFile)), true);
  });

  test('wrong protocol version is rejected', async () => {
    const sha256 = await writeScript(directory, 'old-version', "echo '1|4|unix|/tmp/none.sock|grpc|'\nexec sleep 30");
    await assert.rejects(launchPlugin(options(entryFor('old-version', sha256))), {
      message: 'plugin "test-old-version" printed an invalid handshake line: unsupported protocol version "4" in the handshake: expected 5',
    });
  });

  test('early exit is reported', async () => {
    const sha256 = await writeScript(directory, 'early-exit', 'echo "cannot start: missing config" >&2\nexit 3');
    await assert.rejects(launchPlugin(options(entryFor('early-exit', sha256))), {
      message: 'plugin "test-early-exit" exited (exit code 3) before printing its handshake line; see its output in the server log',
    });
    assert.ok(output.includes('stderr: cannot start: missing config'), 'stderr before the handshake reaches the log');
  });

  test('hung start times out', async () => {
    const pidFile = join(scratch, 'hung.pid');
    const childPidFile = join(scratch, 'hung-child.pid');
    // The script forks a child that would outlive it, to check the whole group is killed.
    const sha256 = await writeScript(directory, 'hung', `echo $$ > '${pidFile}'\nsleep 30 &\necho $! > '${childPidFile}'\nwait`);
    const started = Date.now();
    await assert.rejects(launchPlugin(options(entryFor('hung', sha256), HUNG_START_TIMEOUT_MS)), {
      message: `plugin "test-hung" did not print its handshake line within ${HUNG_START_TIMEOUT_MS} ms; it was killed`,
    });
    assert.ok(Date.now() - started >= HUNG_START_TIMEOUT_MS);
    assert.equal(await waitForExit(await readPid(pidFile)), true, 'the plugin process is gone');
    assert.equal(await waitForExit(await readPid(childPidFile)), true, 'its child is gone too');
  });

  test('command outside the directory is rejected', async () => {
    const outside = await writeScript(scratch, 'outside', 'exit 0');
    await assert.rejects(launchPlugin(options(entryFor(`../${basename(scratch)}/outside`, outside))), (err: unknown) => {
      assert.ok(err instanceof PluginLaunchError);
      assert.equal(err.failure, 'command');
      assert.match(err.message, /outside the plugin directory/);
      return true;
    });
  });

  test('environment is clean', async () => {
    process.env.COFFER_RUNNER_TEST_SECRET = 'must-not-leak';
    const envFile = join(scratch, 'env.txt');
    const sha256 = await writeScript(directory, 'print-env', `env > '${envFile}'\nexit 1`);
    try {
      await assert.rejects(launchPlugin(options(entryFor('print-env', sha256, ['EXTRA_SETTING=on']))));
    } finally {
      delete process.env.COFFER_RUNNER_TEST_SECRET;
    }
    const env = await readFile(envFile, 'utf8');
    assert.doesNotMatch(env, /COFFER_RUNNER_TEST_SECRET/);
    assert.match(env, /^EXTRA_SETTING=on$/m);
    assert.match(env, /^VAULT_BACKEND_PLUGIN=6669da05-b1c8-4f49-97d9-c8e5bed98e20$/m);
    assert.match(env, /^PLUGIN_PROTOCOL_VERSIONS=5$/m);
    assert.match(env, /^PLUGIN_CLIENT_CERT=-----BEGIN CERTIFICATE-----/m);
  });
});

describe('serve without a host', () => {
  test('plugin run by hand explains itself', () => {
    const result = spawnSync(process.execPath, [TEST_PLUGINS.secrets], { env: {}, encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '', 'no handshake line');
    assert.equal(
      result.stderr,
      'coffer-test-secrets is a Coffer plugin. It is started by a Coffer or Vault server that has it in its plugin catalog, not run directly.\n',
    );
  });

  test('unsupported protocol versions are refused', () => {
    const env = { VAULT_BACKEND_PLUGIN: '6669da05-b1c8-4f49-97d9-c8e5bed98e20', PLUGIN_PROTOCOL_VERSIONS: '3,4' };
    const result = spawnSync(process.execPath, [TEST_PLUGINS.secrets], { env, encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      'coffer-test-secrets: the host offers plugin protocol versions 3,4, but this plugin speaks only version 5; upgrade the host\n',
    );
  });
});
