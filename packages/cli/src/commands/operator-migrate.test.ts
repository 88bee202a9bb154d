import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer } from '@coffer/server';
import { runCli } from '../test-io.js';

describe('operator migrate', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-cli-migrate-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('sqlite to file copies everything', async () => {
    const serverConfig = join(dir, 'server.hcl');
    await writeFile(serverConfig, `storage "sqlite" {\n  path = "${join(dir, 'coffer.db')}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`);
    const server = await startServer({ configPaths: [serverConfig], logDestination: { write: () => true } });
    const env = { COFFER_ADDR: server.address, HOME: dir };
    const init = await runCli(['operator', 'init', '-key-shares=1', '-key-threshold=1', '-format=json'], { env });
    assert.equal(init.code, 0, init.stderr);
    await server.close();

    const migrateConfig = join(dir, 'migrate.hcl');
    await writeFile(migrateConfig, `storage_source "sqlite" {\n  path = "${join(dir, 'coffer.db')}"\n}\nstorage_destination "file" {\n  path = "${join(dir, 'files')}"\n}\n`);
    const result = await runCli(['operator', 'migrate', `-config=${migrateConfig}`], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Success! Copied \d+ entries from "sqlite" to "file"\.\n$/);

    const again = await runCli(['operator', 'migrate', `-config=${migrateConfig}`], { env });
    assert.deepEqual(again, {
      code: 1,
      stdout: '',
      stderr: 'Error migrating the storage: storage_destination "file" already contains an initialized Coffer storage; point it at empty storage, or empty it first\n',
    });
  });

  test('missing -config exits 1', async () => {
    const result = await runCli(['operator', 'migrate'], { env: { HOME: dir } });
    assert.deepEqual(result, { code: 1, stdout: '', stderr: 'missing required flag -config: pass the migration config file, e.g. -config=migrate.hcl\n' });
  });
});
