// Seal migrations between auto seals, and migrations resumed after a crash
// between two storage writes. The cloud seals talk to their local doubles.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { plugin as awskms } from '@coffer/seal-awskms';
import { startKmsDouble, type KmsDouble } from '@coffer/seal-awskms/testing';
import { startGcpKmsDouble, type GcpKmsDouble } from '@coffer/seal-gcpckms/testing';
import type { Seal, Storage, StorageEntry } from '@coffer/sdk';
import { Barrier, KEYRING_PATH } from '../barrier/barrier.js';
import { encodeSealWrapped, isSealWrapped, parseSealWrapped } from '../barrier/seal-wrap.js';
import { createLogger } from '../logging/logger.js';
import { startServer, type RunningServer } from '../server.js';
import { api } from '../testing/api-client.js';
import { AutoSeal } from './auto-seal.js';
import { SealMigration } from './seal-migration.js';
import { readSealConfig } from './seal-config.js';
import { ShamirSeal } from './shamir-seal.js';

const logger = createLogger('error', { write: () => true });

/** Storage in memory whose `put` and `delete` fail once `writesLeft` reaches zero, as a crash would stop them. */
class CrashingStorage implements Storage {
  readonly entries = new Map<string, Buffer>();
  writesLeft = Infinity;

  async get(key: string): Promise<StorageEntry | null> {
    const value = this.entries.get(key);
    return value === undefined ? null : { key, value: Buffer.from(value) };
  }

  async put(entry: StorageEntry): Promise<void> {
    this.spendWrite();
    this.entries.set(entry.key, Buffer.from(entry.value));
  }

  async delete(key: string): Promise<void> {
    this.spendWrite();
    this.entries.delete(key);
  }

  async list(): Promise<string[]> {
    return [...this.entries.keys()].sort();
  }

  private spendWrite(): void {
    if (this.writesLeft <= 0) throw new Error('simulated crash');
    this.writesLeft -= 1;
  }
}

/** Submits every share to a migration and returns the root key it yields. */
async function migrate(migration: SealMigration, shares: Buffer[]): Promise<Buffer | null> {
  let rootKey: Buffer | null = null;
  for (const share of shares) rootKey = await migration.submitShare(share.toString('base64'), true);
  return rootKey;
}

/** Initializes a keyring through `barrier` and writes one entry through it. */
async function writeThroughBarrier(barrier: Barrier, rootKey: Buffer): Promise<void> {
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  await barrier.put({ key: 'logical/app', value: Buffer.from('kept') });
  barrier.seal();
}

/** Unseals `barrier` and reads back the entry that `writeThroughBarrier` wrote. */
async function assertReadable(barrier: Barrier, rootKey: Buffer): Promise<void> {
  await barrier.unseal(rootKey);
  assert.deepEqual((await barrier.get('logical/app'))?.value, Buffer.from('kept'));
  barrier.seal();
}

describe('seal migration resumed after a crash', () => {
  let kms: KmsDouble;
  let seal: Seal;

  before(async () => {
    kms = await startKmsDouble();
    seal = await awskms.create(
      { kms_key_id: kms.keyArn, endpoint: kms.endpoint, access_key: 'AKIDEXAMPLE', secret_key: 'test-secret' },
      { logger, env: {} },
    );
  });
  after(async () => {
    await seal.close();
    await kms.close();
  });

  // Shamir to awskms writes the recovery key, the root key and the config.
  for (const writesBeforeCrash of [1, 2]) {
    test(`shamir to awskms after ${writesBeforeCrash} writes`, async () => {
      const storage = new CrashingStorage();
      const rootKey = randomBytes(32);
      const shares = (await new ShamirSeal(storage).initialize(rootKey, 3, 2)).slice(0, 2);

      storage.writesLeft = writesBeforeCrash;
      const interrupted = new SealMigration(storage, undefined, seal, logger);
      assert.equal(interrupted.begin((await readSealConfig(storage))!), true);
      await assert.rejects(migrate(interrupted, shares), { message: 'simulated crash' });

      storage.writesLeft = Infinity;
      const resumed = new SealMigration(storage, undefined, seal, logger);
      assert.equal(resumed.begin((await readSealConfig(storage))!), true);
      assert.deepEqual(await migrate(resumed, shares), rootKey);
      assert.deepEqual(await readSealConfig(storage), { type: 'awskms', secretShares: 1, secretThreshold: 1, recoveryShares: 3, recoveryThreshold: 2 });

      const autoSeal = new AutoSeal(storage, seal);
      await autoSeal.load();
      assert.deepEqual(await autoSeal.unwrapRootKey(), rootKey);
    });
  }

  // awskms to Shamir writes the root key, the config, then deletes the recovery key.
  for (const writesBeforeCrash of [1, 2]) {
    test(`awskms to shamir after ${writesBeforeCrash} writes`, async () => {
      const storage = new CrashingStorage();
      const rootKey = randomBytes(32);
      const shares = (await new AutoSeal(storage, seal).initialize(rootKey, 3, 2)).slice(1);

      storage.writesLeft = writesBeforeCrash;
      const interrupted = new SealMigration(storage, seal, undefined, logger);
      assert.equal(interrupted.begin((await readSealConfig(storage))!), true);
      await assert.rejects(migrate(interrupted, shares), { message: 'simulated crash' });

      storage.writesLeft = Infinity;
      const resumed = new SealMigration(storage, seal, undefined, logger);
      const stored = (await readSealConfig(storage))!;
      if (writesBeforeCrash === 2) {
        // The config was rewritten before the crash, so the migration is already complete.
        assert.equal(resumed.begin(stored), false);
      } else {
        assert.equal(resumed.begin(stored), true);
        assert.deepEqual(await migrate(resumed, shares), rootKey);
      }
      assert.deepEqual(await readSealConfig(storage), { type: 'shamir', secretShares: 3, secretThreshold: 2 });

      const shamir = new ShamirSeal(storage);
      await shamir.load();
      await shamir.submitUnsealShare(shares[0].toString('base64'));
      assert.deepEqual(await shamir.submitUnsealShare(shares[1].toString('base64')), rootKey);
    });
  }

  // With a keyring, Shamir to awskms writes the recovery key, the root key, the keyring, then the config.
  for (const writesBeforeCrash of [1, 2, 3]) {
    test(`keyring to awskms after ${writesBeforeCrash} writes`, async () => {
      const storage = new CrashingStorage();
      const rootKey = randomBytes(32);
      const shares = (await new ShamirSeal(storage).initialize(rootKey, 3, 2)).slice(0, 2);
      await writeThroughBarrier(new Barrier(storage), rootKey);

      storage.writesLeft = writesBeforeCrash;
      const interrupted = new SealMigration(storage, undefined, seal, logger);
      assert.equal(interrupted.begin((await readSealConfig(storage))!), true);
      await assert.rejects(migrate(interrupted, shares), { message: 'simulated crash' });

      storage.writesLeft = Infinity;
      const resumed = new SealMigration(storage, undefined, seal, logger);
      assert.equal(resumed.begin((await readSealConfig(storage))!), true);
      assert.deepEqual(await migrate(resumed, shares), rootKey);
      const keyring = storage.entries.get(KEYRING_PATH)!;
      assert.equal(isSealWrapped(keyring), true);
      assert.equal(parseSealWrapped(KEYRING_PATH, keyring).sealType, 'awskms');
      await assertReadable(new Barrier(storage, seal), rootKey);
    });
  }

  // awskms to Shamir writes the root key, the keyring, the config, then deletes the recovery key.
  for (const writesBeforeCrash of [1, 2, 3]) {
    test(`keyring to shamir after ${writesBeforeCrash} writes`, async () => {
      const storage = new CrashingStorage();
      const rootKey = randomBytes(32);
      const shares = (await new AutoSeal(storage, seal).initialize(rootKey, 3, 2)).slice(1);
      await writeThroughBarrier(new Barrier(storage, seal), rootKey);
      assert.equal(isSealWrapped(storage.entries.get(KEYRING_PATH)!), true);

      storage.writesLeft = writesBeforeCrash;
      const interrupted = new SealMigration(storage, seal, undefined, logger);
      assert.equal(interrupted.begin((await readSealConfig(storage))!), true);
      await assert.rejects(migrate(interrupted, shares), { message: 'simulated crash' });

      storage.writesLeft = Infinity;
      const resumed = new SealMigration(storage, seal, undefined, logger);
      // After the third write the config names the Shamir seal, so nothing is left to do.
      assert.equal(resumed.begin((await readSealConfig(storage))!), writesBeforeCrash < 3);
      if (writesBeforeCrash < 3) assert.deepEqual(await migrate(resumed, shares), rootKey);
      assert.equal(isSealWrapped(storage.entries.get(KEYRING_PATH)!), false);
      await assertReadable(new Barrier(storage), rootKey);
    });
  }

  test('tampered keyring stops the migration', async () => {
    const storage = new CrashingStorage();
    const rootKey = randomBytes(32);
    const shares = (await new AutoSeal(storage, seal).initialize(rootKey, 3, 2)).slice(1);
    await new Barrier(storage, seal).initialize(rootKey);
    const wrapped = parseSealWrapped(KEYRING_PATH, storage.entries.get(KEYRING_PATH)!);
    wrapped.blob.ciphertext[3] ^= 1;
    storage.entries.set(KEYRING_PATH, encodeSealWrapped(wrapped.sealType, wrapped.blob));
    const before = new Map(storage.entries);

    const migration = new SealMigration(storage, seal, undefined, logger);
    migration.begin((await readSealConfig(storage))!);
    await assert.rejects(migrate(migration, shares), {
      message: 'seal migration: neither the awskms nor the shamir seal could decrypt the seal-wrapped keyring',
    });
    assert.deepEqual(storage.entries, before);
  });

  test('keyring of another root key stops the migration', async () => {
    const storage = new CrashingStorage();
    const shares = (await new ShamirSeal(storage).initialize(randomBytes(32), 3, 2)).slice(0, 2);
    await new Barrier(storage).initialize(randomBytes(32));
    const before = new Map(storage.entries);

    const migration = new SealMigration(storage, undefined, seal, logger);
    migration.begin((await readSealConfig(storage))!);
    await assert.rejects(migrate(migration, shares), {
      message: 'seal migration: the keyring at core/keyring does not decrypt with the root key; restore storage from a snapshot',
    });
    assert.deepEqual(storage.entries, before);
  });

  test('wrong shares leave storage unchanged', async () => {
    const storage = new CrashingStorage();
    await new ShamirSeal(storage).initialize(randomBytes(32), 3, 2);
    const before = new Map(storage.entries);
    const migration = new SealMigration(storage, undefined, seal, logger);
    migration.begin((await readSealConfig(storage))!);
    await assert.rejects(migrate(migration, [randomBytes(33), randomBytes(33)]), /^CofferError: invalid key shares: /);
    assert.deepEqual(storage.entries, before);
    assert.equal(migration.active, true);
  });
});

describe('seal migration awskms to gcpckms', () => {
  let aws: KmsDouble;
  let gcp: GcpKmsDouble;
  let directory: string;
  let server: RunningServer | undefined;

  const awsStanza = (disabled: boolean): string[] => [
    'seal "awskms" {',
    ...(disabled ? ['  disabled = "true"'] : []),
    `  kms_key_id = "${aws.keyArn}"`,
    `  endpoint = "${aws.endpoint}"`,
    '  access_key = "AKIDEXAMPLE"',
    '  secret_key = "test-secret"',
    '}',
  ];
  const gcpStanza = (): string[] => [
    'seal "gcpckms" {',
    `  project = "${gcp.project}"`,
    `  key_ring = "${gcp.keyRing}"`,
    `  crypto_key = "${gcp.cryptoKey}"`,
    `  endpoint = "${gcp.endpoint}"`,
    '}',
  ];
  const start = async (stanza: string[]): Promise<RunningServer> => {
    const configPath = join(directory, 'config.hcl');
    const lines = ['storage "file" {', `  path = "${join(directory, 'data')}"`, '}', ...stanza];
    lines.push('listener "tcp" {', '  address = "127.0.0.1:0"', '  tls_disable = true', '}', '');
    await writeFile(configPath, lines.join('\n'));
    server = await startServer({ configPaths: [configPath], logDestination: { write: () => true }, autoUnsealRetry: { initialMs: 50, maxMs: 200 } });
    return server;
  };
  const stop = async (): Promise<void> => {
    await server?.close();
    server = undefined;
  };
  const waitUnsealed = async (): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while ((await api(server!, 'GET', 'sys/seal-status')).body.sealed !== false) {
      assert.ok(Date.now() < deadline, 'timed out waiting for the auto-unseal');
      await delay(25);
    }
  };

  before(async () => {
    aws = await startKmsDouble();
    gcp = await startGcpKmsDouble();
    directory = await mkdtemp(join(tmpdir(), 'coffer-auto-migration-'));
  });
  after(async () => {
    await stop();
    await aws.close();
    await gcp.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('recovery keys migrate the seal', async () => {
    await start(awsStanza(false));
    const init = await api(server!, 'PUT', 'sys/init', { body: { recovery_shares: 3, recovery_threshold: 2 } });
    assert.equal(init.status, 200);
    const recoveryKeys: string[] = init.body.recovery_keys_base64;
    const token: string = init.body.root_token;
    assert.equal((await api(server!, 'POST', 'sys/mounts/secret', { token, body: { type: 'kv' } })).status, 204);
    assert.equal((await api(server!, 'POST', 'secret/app', { token, body: { value: 'moved' } })).status, 204);
    await stop();

    await start([...gcpStanza(), ...awsStanza(true)]);
    const pending = (await api(server!, 'GET', 'sys/seal-status')).body;
    assert.equal(pending.migration, true);
    assert.equal(pending.sealed, true);
    assert.equal(pending.type, 'gcpckms');
    assert.equal(pending.t, 2);
    await api(server!, 'PUT', 'sys/unseal', { body: { key: recoveryKeys[0], migrate: true } });
    const done = await api(server!, 'PUT', 'sys/unseal', { body: { key: recoveryKeys[2], migrate: true } });
    assert.equal(done.status, 200);
    assert.equal(done.body.sealed, false);
    assert.equal(done.body.migration, false);
    assert.equal((await api(server!, 'GET', 'secret/app', { token })).body.data.value, 'moved');
    await stop();

    await start(gcpStanza());
    await waitUnsealed();
    assert.equal((await api(server!, 'GET', 'secret/app', { token })).body.data.value, 'moved');
    await stop();

    await assert.rejects(start(awsStanza(false)), {
      message: 'storage was initialized with the "gcpckms" seal, but the config has the "awskms" seal: configure the original seal, or migrate between them',
    });
  });
});
