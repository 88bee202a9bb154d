import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadIntegration } from '@coffer/certify';
import { runCli } from '../test-io.js';
import { kitPackageDirectory } from './locations.js';

describe('plugin new', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'coffer-scaffold-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('writes a linked secrets project', async () => {
    const output = join(root, 'vault-items');
    const result = await runCli(['plugin', 'new', '-kind=secrets', `-output=${output}`, '-vendor=Acme', 'vault-items']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.split('\n')[0], `Success! Created secrets plugin "vault-items" in ${output} with 16 files.`);
    assert.equal(
      result.stdout.split('\n')[1],
      `Next: cd ${output} && npm run build && npm test. Before certifying, replace the placeholders in integration.hcl, then run coffer plugin certify -kind=secrets .`,
    );

    const manifest = JSON.parse(await readFile(join(output, 'package.json'), 'utf8'));
    assert.equal(manifest.name, 'vault-items');
    assert.equal(manifest.dependencies['@coffer/sdk'], `file:${kitPackageDirectory('@coffer/sdk')}`);
    assert.deepEqual(manifest.scripts, { build: 'tsc -p .', test: 'node --test dist/*.test.js' });
    assert.equal(await readlink(join(output, 'node_modules', '@coffer', 'sdk')), kitPackageDirectory('@coffer/sdk'));
    assert.ok((await lstat(join(output, 'node_modules', '.bin', 'tsc'))).isSymbolicLink());

    const integration = await readFile(join(output, 'integration.hcl'), 'utf8');
    assert.match(integration, /^name            = "vault-items"$/m);
    assert.match(integration, /^vendor          = "Acme"$/m);
    assert.equal((await readFile(join(output, 'src', 'plugin.ts'), 'utf8')).includes("name: 'vault-items',"), true);
    assert.equal((await readFile(join(output, '.gitignore'), 'utf8')).includes('node_modules/'), true);
    assert.match(await readFile(join(output, 'README.md'), 'utf8'), /^## 3\. Certify$/m);
  });

  test('database and seal templates', async () => {
    for (const kind of ['database', 'seal']) {
      const output = join(root, kind);
      const result = await runCli(['plugin', 'new', `-kind=${kind}`, `-output=${output}`, `acme-${kind}`]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(await readFile(join(output, 'integration.hcl'), 'utf8'), new RegExp(`^kind            = "${kind}"$`, 'm'));
      assert.equal((await readFile(join(output, 'src', 'plugin.ts'), 'utf8')).includes(`name: 'acme-${kind}',`), true);
    }
    const manifest = JSON.parse(await readFile(join(root, 'database', 'package.json'), 'utf8'));
    assert.match(manifest.dependencies['better-sqlite3'], /^file:\//);
  });

  test('readme describes certify per kind', async () => {
    const expected: Record<string, string> = {
      secrets: 'This builds the project, starts a fresh Coffer server with a file audit device, registers the plugin by SHA-256, runs the secrets conformance suite',
      seal: "This builds the project, starts the plugin the way a `seal` stanza with `plugin_sha256` would, and servers that use it, runs the seal conformance suite",
      storage: "This builds the project, starts the plugin the way a `storage` stanza with `plugin_sha256` would, runs the storage conformance suite",
    };
    for (const [kind, sentence] of Object.entries(expected)) {
      const output = join(root, `readme-${kind}`);
      const result = await runCli(['plugin', 'new', `-kind=${kind}`, `-output=${output}`, `readme-${kind}`]);
      assert.equal(result.code, 0, result.stderr);
      const readme = (await readFile(join(output, 'README.md'), 'utf8')).replace(/\s+/g, ' ');
      assert.ok(readme.includes(sentence), `${kind} README lacks: ${sentence}`);
      assert.ok(readme.includes('The output folder must be missing or empty'), `${kind} README lacks the output folder rule`);
    }
  });

  test('python readme shows stub commands', async () => {
    const output = join(root, 'readme-python');
    const result = await runCli(['plugin', 'new', '-kind=auth', '-lang=python', `-output=${output}`, 'readme-python']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(existsSync(join(output, 'test_plugin.py')), true);
    assert.equal(existsSync(join(output, 'src', 'unit.test.ts')), true);

    const readme = await readFile(join(output, 'README.md'), 'utf8');
    assert.ok(readme.includes('--python_out=stubs --grpc_python_out=stubs node_modules/@coffer/sdk/proto/*.proto\n'), readme);
    assert.ok(readme.includes('PYTHONPATH=stubs /usr/bin/python3 -m unittest -v test_plugin\n'), readme);
    assert.ok(readme.includes('The unit tests in `test_plugin.py` call `plugin.py` directly with `unittest`'), readme);
    assert.equal(readme.includes('The unit tests drive the code directly.'), false);
  });

  test('bad input is rejected', async () => {
    const badName = await runCli(['plugin', 'new', '-kind=auth', `-output=${join(root, 'bad')}`, 'Bad_Name']);
    assert.equal(badName.code, 1);
    assert.equal(badName.stderr, 'invalid plugin name "Bad_Name": use lowercase letters, digits and dashes, starting with a letter\n');

    const badKind = await runCli(['plugin', 'new', '-kind=widget', 'x']);
    assert.equal(badKind.code, 1);
    assert.equal(badKind.stderr, 'invalid value "widget" for flag -kind: use one of secrets, auth, database, audit, seal, storage\n');

    const python = await runCli(['plugin', 'new', '-kind=audit', '-lang=python', `-output=${join(root, 'py')}`, 'x']);
    assert.equal(python.code, 1);
    assert.equal(python.stderr, 'no template for kind "audit" in language "python": available are secrets-ts, auth-ts, audit-ts, storage-ts, database-ts, seal-ts, auth-python\n');

    const occupied = join(root, 'occupied');
    await runCli(['plugin', 'new', '-kind=auth', `-output=${occupied}`, 'occupied']);
    await writeFile(join(occupied, 'keep.txt'), 'mine');
    const again = await runCli(['plugin', 'new', '-kind=auth', `-output=${occupied}`, 'occupied']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `output folder "${occupied}" is not empty: choose a new folder\n`);
    assert.equal(await readFile(join(occupied, 'keep.txt'), 'utf8'), 'mine');
  });

  test('vendor is quoted for HCL', async () => {
    const vendor = 'Acme "Q" \\ $ 100% {x}';
    const output = join(root, 'quoted-vendor');
    const result = await runCli(['plugin', 'new', '-kind=auth', '-lang=python', `-output=${output}`, `-vendor=${vendor}`, 'quoted-vendor']);
    assert.equal(result.code, 0, result.stderr);

    const integration = await loadIntegration(join(output, 'integration.hcl'));
    assert.equal(integration.vendor, vendor);
  });

  test('bad vendor is rejected', async () => {
    for (const vendor of ['', '  ', 'Acme\nCorp', 'Acme ${x}', 'Acme %{y}']) {
      const output = join(root, 'empty-vendor');
      const result = await runCli(['plugin', 'new', '-kind=secrets', `-output=${output}`, `-vendor=${vendor}`, 'empty-vendor']);
      assert.equal(result.code, 1, JSON.stringify(vendor));
      assert.equal(result.stderr, `invalid -vendor ${JSON.stringify(vendor)}: give the vendor's name on one line, without "\${" or "%{"\n`);
      assert.equal(existsSync(output), false, JSON.stringify(vendor));
    }
  });

  test('output that is a file is rejected', async () => {
    const file = join(root, 'plain-file');
    await writeFile(file, 'mine');

    const created = await runCli(['plugin', 'new', '-kind=secrets', `-output=${file}`, 'plain-file']);
    assert.equal(created.code, 1);
    assert.equal(created.stderr, `output "${file}" is a file, not a folder: choose a new folder\n`);

    const certified = await runCli(['plugin', 'certify', '-kind=secrets', `-output=${file}`, join(root, 'vault-items')]);
    assert.equal(certified.code, 1);
    assert.equal(certified.stderr, `Error certifying plugin: output "${file}" is a file, not a folder: choose a new folder for the bundle\n`);
    assert.equal(await readFile(file, 'utf8'), 'mine');
  });

  test('certify rejects a mismatched kind', async () => {
    const project = join(root, 'vault-items');
    const result = await runCli(['plugin', 'certify', '-kind=auth', `-output=${join(root, 'bundle')}`, project]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'Error certifying plugin: integration.hcl declares kind "secrets", but -kind is "auth"\n');
  });
});
