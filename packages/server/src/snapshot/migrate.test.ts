import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createThrowawayDatabase, type ThrowawayDatabase } from '@coffer/storage-postgresql/testing';
import { api, startServerIn } from '../testing/api-client.js';
import { loadMigrationConfig, migrateStorage } from './migrate.js';

describe('storage migration', () => {
  let dir: string;
  let database: ThrowawayDatabase;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-migrate-'));
    database = await createThrowawayDatabase();
  });
  after(async () => {
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('sqlite to postgresql keeps secrets', async () => {
    const source = await startServerIn(dir, 'storage "sqlite" {\n  path = "$DIR/coffer.db"\n}');
    const init = await api(source, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    const key: string = init.body.keys_base64[0];
    const root: string = init.body.root_token;
    await api(source, 'PUT', 'sys/unseal', { body: { key } });
    assert.equal((await api(source, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv' } })).status, 204);
    for (let i = 0; i < 30; i++) {
      assert.equal((await api(source, 'POST', `kv/app/s${i}`, { token: root, body: { value: `secret ${i}` } })).status, 204);
    }
    await source.close();

    const configFile = join(dir, 'migrate.hcl');
    await writeFile(
      configFile,
      `storage_source "sqlite" {\n  path = "${join(dir, 'coffer.db')}"\n}\nstorage_destination "postgresql" {\n  connection_url = "${database.url}"\n}\n`,
    );
    const config = await loadMigrationConfig(configFile);
    assert.deepEqual(config.source, { type: 'sqlite', settings: { path: join(dir, 'coffer.db') } });
    const result = await migrateStorage(config);
    assert.ok(result.copied > 30, `copied ${result.copied} entries`);

    // A second run finds the destination initialized and changes nothing.
    await assert.rejects(migrateStorage(config), {
      message: 'storage_destination "postgresql" already contains an initialized Coffer storage; point it at empty storage, or empty it first',
    });

    const targetDir = join(dir, 'target');
    await mkdir(targetDir);
    const target = await startServerIn(targetDir, `storage "postgresql" {\n  connection_url = "${database.url}"\n}`);
    try {
      assert.equal((await api(target, 'GET', 'sys/seal-status')).body.initialized, true);
      await api(target, 'PUT', 'sys/unseal', { body: { key } });
      for (let i = 0; i < 30; i++) {
        const read = await api(target, 'GET', `kv/app/s${i}`, { token: root });
        assert.deepEqual(read.body?.data, { value: `secret ${i}` }, `kv/app/s${i}`);
      }
    } finally {
      await target.close();
    }
  });

  test('config problems are named', async () => {
    const cases: Array<[string, RegExp]> = [
      ['storage_source "sqlite" { path = "x.db" }\n', /: missing storage_destination stanza: add storage_destination "<type>" \{ \.\.\. \}$/],
      ['storage "sqlite" { path = "x.db" }\n', /: unknown setting "storage": a migration config takes only storage_source, storage_destination, cluster_addr$/],
    ];
    for (const [text, message] of cases) {
      const file = join(dir, 'bad.hcl');
      await writeFile(file, text);
      await assert.rejects(loadMigrationConfig(file), { message });
    }
    await assert.rejects(
      migrateStorage({ source: { type: 'sqlite', settings: { path: join(dir, 'empty.db') } }, destination: { type: 'nosuch', settings: {} } }),
      { message: /^storage_destination: unknown storage type "nosuch": use one of / },
    );
    await assert.rejects(
      migrateStorage({ source: { type: 'sqlite', settings: { path: join(dir, 'empty.db') } }, destination: { type: 'sqlite', settings: { path: join(dir, 'dest.db') } } }),
      { message: 'storage_source "sqlite" contains no initialized Coffer storage (no "core/keyring" entry); check its settings' },
    );
  });
});

