/**
 * The built-in pkcs11 seal and sqlite storage pass the suites that `coffer
 * plugin certify` runs for seals and storage backends. The seal runs
 * in-process on a SoftHSM2 token of its own, with real servers that name it
 * in their `seal "pkcs11"` stanza. The sqlite backend runs over the wire: a
 * launcher serves it as a plugin process and the suite reaches it through
 * the server's storage client, as for a vendor's plugin.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { declareChecks, loadIntegration, sealChecks, type SealContext, type SealDescription } from '@coffer/certify';
import { silentLogger } from '@coffer/sdk';
import { plugin as pkcs11 } from '@coffer/seal-pkcs11';
import { openSoftHsm, SOFTHSM_LIBRARY, type SoftHsm } from '@coffer/seal-pkcs11/testing';
import { startServer } from '@coffer/server';
import { runWireStorageSuite } from './config-kinds.js';

const INTEGRATIONS = fileURLToPath(new URL('../../../../integrations/', import.meta.url));
const PIN = '246810';
const UNSEAL_RETRY = { initialMs: 100, maxMs: 500 };

let workDirectory: string;
let hsm: SoftHsm;
let sealContext: SealContext;

/** Returns the pkcs11 seal's settings for one key on the test token, which the seal finds by its label. */
function pkcs11Settings(keyLabel: string): Record<string, string> {
  return { lib: SOFTHSM_LIBRARY, token_label: 'coffer-certify', pin: PIN, key_label: keyLabel, hmac_key_label: `${keyLabel}-hmac`, generate_key: 'true' };
}

function stanza(settings: Record<string, string>): string {
  return ['seal "pkcs11" {', ...Object.entries(settings).map(([name, value]) => `  ${name} = ${JSON.stringify(value)}`), '}'].join('\n');
}

before(async () => {
  workDirectory = await mkdtemp(join(tmpdir(), 'coffer-builtins-configured-'));
  hsm = await openSoftHsm();
  await hsm.initToken('coffer-certify', PIN);

  // NOTE: SoftHSM2 runs inside this process, so no settings make it unreachable; that check is skipped with its reason.
  const description: SealDescription = { settings: pkcs11Settings('certify-root'), other_key_settings: pkcs11Settings('certify-other') };
  const configFile = join(workDirectory, 'seal-server.hcl');
  await writeFile(
    configFile,
    [`storage "file" {\n  path = "${join(workDirectory, 'seal-data')}"\n}`, stanza(description.settings), 'listener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}', ''].join('\n'),
  );
  sealContext = {
    description,
    openSeal: (settings) => pkcs11.create(settings, { logger: silentLogger, env: {} }),
    async startServer() {
      const server = await startServer({ configPaths: [configFile], logDestination: { write: () => true }, autoUnsealRetry: UNSEAL_RETRY });
      return { address: server.address, close: () => server.close() };
    },
    state: {},
  };
});

after(async () => {
  await sealContext?.state.server?.close();
  await hsm?.close();
  await rm(workDirectory, { recursive: true, force: true });
});

declareChecks('seal: pkcs11', sealChecks, () => sealContext);

describe('storage: sqlite over the wire', () => {
  test('storage suite passes', { timeout: 120_000 }, async () => {
    const integration = await loadIntegration(join(INTEGRATIONS, 'storage-sqlite', 'integration.hcl'));
    assert.equal(integration.certify?.kind, 'storage');
    const pluginDirectory = join(workDirectory, 'plugins');
    await mkdir(pluginDirectory);
    const entry = fileURLToPath(new URL('./testdata/serve-sqlite.js', import.meta.url));
    await writeFile(join(pluginDirectory, 'sqlite-plugin'), `#!/bin/sh\nexec '${process.execPath}' '${entry}'\n`);
    await chmod(join(pluginDirectory, 'sqlite-plugin'), 0o755);

    const run = { integration, project: workDirectory, pluginDirectory, command: 'sqlite-plugin', workDirectory, logFile: join(workDirectory, 'storage.log') };
    const outcome = await runWireStorageSuite(run, integration.certify.storage);
    const failed = outcome.suite.results.filter((check) => check.status === 'failed');
    assert.deepEqual(failed, [], (outcome.output ?? '').slice(-4000));
    assert.ok(outcome.suite.results.length >= 20, `only ${outcome.suite.results.length} checks reported`);
    const crash = outcome.suite.results.find((check) => check.id === 'acknowledged-writes-survive-sigkill-of-the-writing-process');
    assert.equal(crash?.status, 'passed', 'the crash case runs over the wire too');
    const ha = outcome.suite.results.find((check) => check.id === 'ha-lock-one-holder-at-a-time-released-on-close');
    assert.equal(ha?.status, 'skipped');
  });
});
