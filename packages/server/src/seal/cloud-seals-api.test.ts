// The cloud KMS seals on a real server. No cloud can be reached from tests,
// so each seal talks to its plugin's local double of the service.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startKmsDouble } from '@coffer/seal-awskms/testing';
import { startKeyVaultDouble } from '@coffer/seal-azurekeyvault/testing';
import { startGcpKmsDouble } from '@coffer/seal-gcpckms/testing';
import { WRAPPED_ROOT_KEY_PATH } from '../barrier/barrier.js';
import { createLogger } from '../logging/logger.js';
import { builtinStorageBackends } from '../plugins.js';
import { startServer, type RunningServer } from '../server.js';
import { api } from '../testing/api-client.js';

const RETRY = { initialMs: 50, maxMs: 200 };

/** A started double and the seal stanza lines that point at it. */
interface SealUnderTest {
  stanza: string[];
  /** Starts a second, empty double of the same service, which has none of the first one's keys. */
  startEmpty(): Promise<{ stanza: string[]; close(): Promise<void> }>;
  /** Expected part of the error message for an unknown key. */
  unknownKeyError: RegExp;
  /** Expected part of the error message for a tampered wrapped root key. */
  tamperedError: RegExp;
  close(): Promise<void>;
}

async function awsKms(): Promise<SealUnderTest> {
  const stanzaFor = (kms: { endpoint: string; keyArn: string }) => [
    'seal "awskms" {',
    '  region = "us-east-1"',
    `  kms_key_id = "${kms.keyArn}"`,
    `  endpoint = "${kms.endpoint}"`,
    '  access_key = "AKIDEXAMPLE"',
    '  secret_key = "test-secret"',
    '}',
  ];
  const kms = await startKmsDouble();
  return {
    stanza: stanzaFor(kms),
    async startEmpty() {
      const empty = await startKmsDouble();
      return { stanza: stanzaFor(empty), close: () => empty.close() };
    },
    unknownKeyError: /awskms seal: decrypt failed: KMS rejected the ciphertext as invalid or made by another key \(InvalidCiphertextException\)/,
    tamperedError: /awskms seal: decrypt failed: KMS rejected the ciphertext as invalid or made by another key/,
    close: () => kms.close(),
  };
}

async function gcpCkms(): Promise<SealUnderTest> {
  const stanzaFor = (kms: { endpoint: string; project: string; keyRing: string; cryptoKey: string }) => [
    'seal "gcpckms" {',
    `  project = "${kms.project}"`,
    '  region = "global"',
    `  key_ring = "${kms.keyRing}"`,
    `  crypto_key = "${kms.cryptoKey}"`,
    `  endpoint = "${kms.endpoint}"`,
    '}',
  ];
  const kms = await startGcpKmsDouble();
  return {
    stanza: stanzaFor(kms),
    async startEmpty() {
      const empty = await startGcpKmsDouble();
      return { stanza: stanzaFor(empty), close: () => empty.close() };
    },
    unknownKeyError: /gcpckms seal: decrypt failed: Cloud KMS rejected the request as invalid/,
    tamperedError: /gcpckms seal: decrypt failed: Cloud KMS rejected the request as invalid/,
    close: () => kms.close(),
  };
}

async function azureKeyVault(): Promise<SealUnderTest> {
  const stanzaFor = (vault: { url: string; keyName: string; tenantId: string; clientId: string; clientSecret: string; caFile: string }) => [
    'seal "azurekeyvault" {',
    `  vault_url = "${vault.url}"`,
    `  key_name = "${vault.keyName}"`,
    `  tenant_id = "${vault.tenantId}"`,
    `  client_id = "${vault.clientId}"`,
    `  client_secret = "${vault.clientSecret}"`,
    `  tls_ca_cert = "${vault.caFile}"`,
    '}',
  ];
  const vault = await startKeyVaultDouble();
  // The token endpoint is on the double too; the Azure SDK reads its host from this variable.
  const previousAuthority = process.env.AZURE_AUTHORITY_HOST;
  process.env.AZURE_AUTHORITY_HOST = vault.url;
  let empty: Awaited<ReturnType<typeof startKeyVaultDouble>> | undefined;
  return {
    stanza: stanzaFor(vault),
    async startEmpty() {
      empty = await startKeyVaultDouble();
      process.env.AZURE_AUTHORITY_HOST = empty.url;
      const started = empty;
      return {
        stanza: stanzaFor(started),
        async close() {
          process.env.AZURE_AUTHORITY_HOST = vault.url;
          await started.close();
        },
      };
    },
    unknownKeyError: /azurekeyvault seal: unwrap key failed: the key "coffer-key" or its version was not found \(KeyNotFound\)/,
    tamperedError: /azurekeyvault seal: unwrap key failed: Key Vault rejected the wrapped key as invalid or made by another key \(BadParameter\)/,
    async close() {
      if (previousAuthority === undefined) delete process.env.AZURE_AUTHORITY_HOST;
      else process.env.AZURE_AUTHORITY_HOST = previousAuthority;
      await vault.close();
    },
  };
}

/** Log lines of a server, parsed. */
class LogCapture {
  readonly lines: Array<Record<string, any>> = [];

  write(line: string): boolean {
    this.lines.push(JSON.parse(line));
    return true;
  }
}

for (const [name, open] of [
  ['awskms', awsKms],
  ['gcpckms', gcpCkms],
  ['azurekeyvault', azureKeyVault],
] as const) {
  describe(`${name} seal on a real server`, () => {
    let seal: SealUnderTest | undefined;
    let directory: string | undefined;
    let server: RunningServer | undefined;

    const start = async (stanza: string[], log: LogCapture | { write(line: string): boolean } = { write: () => true }) => {
      const configPath = join(directory!, 'config.hcl');
      const lines = ['storage "file" {', `  path = "${join(directory!, 'data')}"`, '}', ...stanza];
      lines.push('listener "tcp" {', '  address = "127.0.0.1:0"', '  tls_disable = true', '}', '');
      await writeFile(configPath, lines.join('\n'));
      server = await startServer({ configPaths: [configPath], logDestination: log, autoUnsealRetry: RETRY });
      return server;
    };
    const stop = async (): Promise<void> => {
      await server?.close();
      server = undefined;
    };
    const waitFor = async (condition: () => Promise<boolean> | boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!(await condition())) {
        assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
        await delay(25);
      }
    };
    /** Waits for the auto-unseal to log a failure and returns its error message. */
    const unsealFailure = async (log: LogCapture): Promise<string> => {
      await waitFor(() => log.lines.some((line) => line.msg === 'auto-unseal failed; retrying'), 'an auto-unseal failure');
      const failure = log.lines.find((line) => line.msg === 'auto-unseal failed; retrying')!;
      assert.equal((await api(server!, 'GET', 'sys/seal-status')).body.sealed, true);
      return String(failure.err.message);
    };

    after(async () => {
      await stop();
      await seal?.close();
      if (directory !== undefined) await rm(directory, { recursive: true, force: true });
    });

    test('init, restart and auto-unseal', async () => {
      seal = await open();
      directory = await mkdtemp(join(tmpdir(), `coffer-${name}-`));
      await start(seal.stanza);
      const init = await api(server!, 'PUT', 'sys/init', { body: { recovery_shares: 3, recovery_threshold: 2 } });
      assert.equal(init.status, 200);
      assert.equal(init.body.recovery_keys.length, 3);
      const status = (await api(server!, 'GET', 'sys/seal-status')).body;
      assert.equal(status.type, name);
      assert.equal(status.sealed, false);
      const token = init.body.root_token;
      assert.equal((await api(server!, 'POST', 'sys/mounts/secret', { token, body: { type: 'kv' } })).status, 204);
      assert.equal((await api(server!, 'POST', 'secret/app', { token, body: { password: 'in-the-cloud' } })).status, 204);
      await stop();

      await start(seal.stanza);
      await waitFor(async () => (await api(server!, 'GET', 'sys/seal-status')).body.sealed === false, 'the auto-unseal');
      const read = await api(server!, 'GET', 'secret/app', { token });
      assert.equal(read.status, 200);
      assert.equal(read.body.data.password, 'in-the-cloud');
      await stop();
    });

    test('unknown key is rejected', async () => {
      const empty = await seal!.startEmpty();
      try {
        const log = new LogCapture();
        await start(empty.stanza, log);
        assert.match(await unsealFailure(log), seal!.unknownKeyError);
        await stop();
      } finally {
        await empty.close();
      }
    });

    test('tampered root key is rejected', async () => {
      const storage = await builtinStorageBackends.get('file')!.create({ path: join(directory!, 'data') }, { logger: createLogger('error', { write: () => true }) });
      const entry = await storage.get(WRAPPED_ROOT_KEY_PATH);
      const blob = JSON.parse(entry!.value.toString('utf8'));
      const wrappedKey = Buffer.from(blob.key_info.wrapped_key, 'base64');
      wrappedKey[wrappedKey.length - 20] ^= 1;
      blob.key_info.wrapped_key = wrappedKey.toString('base64');
      await storage.put({ key: WRAPPED_ROOT_KEY_PATH, value: Buffer.from(JSON.stringify(blob)) });
      await storage.close();

      const log = new LogCapture();
      await start(seal!.stanza, log);
      assert.match(await unsealFailure(log), seal!.tamperedError);
      await stop();
    });
  });
}
