/**
 * A Python storage backend (the sqlite-py example) through `coffer plugin
 * certify`: the launcher finds the generated coffer_storage modules, and the
 * plugin's own output reaches the bundle, also when it fails to start.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';

const EXAMPLE_PLUGIN = fileURLToPath(new URL('../../../../examples/storage-python/plugin.py', import.meta.url));

/** integration.hcl of a Python storage backend that keeps its SQLite file in each case's scratch folder. */
const INTEGRATION = `name            = "acme-store"
vendor          = "Acme Corp"
kind            = "storage"
version         = "0.1.0"
description     = "Keeps entries in a SQLite file."
docs_url        = "https://acme.test/coffer/acme-store"
source_url      = "https://git.acme.test/acme-store"
license         = "MPL-2.0"
coffer_versions = ">=0.1.0"
runtime         = "python3"
entry           = "plugin.py"

support {
  contact                      = "coffer-support@acme.test"
  critical_response_hours      = 48
  other_response_business_days = 5
}

certify {
  storage {
    settings   = { path = "{{dir}}/coffer.db" }
    persistent = true
    ha         = false
  }
}
`;

describe('plugin kit on a python storage backend', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'coffer-kit-python-storage-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function project(name: string): Promise<string> {
    const folder = join(root, name);
    await mkdir(folder);
    await writeFile(join(folder, 'integration.hcl'), INTEGRATION);
    return folder;
  }

  test('python storage certifies', { timeout: 120_000 }, async () => {
    const folder = await project('good');
    await copyFile(EXAMPLE_PLUGIN, join(folder, 'plugin.py'));

    const result = await runCli(['plugin', 'certify', '-kind=storage', `-output=${folder}-bundle`, folder]);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /^  passed  storage\/put-then-get-returns-the-key-and-value$/m);
    assert.match(result.stdout, /^  passed  storage\/acknowledged-writes-survive-sigkill-of-the-writing-process$/m);
    const output = await readFile(`${folder}-bundle/plugin-output.log`, 'utf8');
    assert.match(output, /"plugin":"acme-store".*"line":"sqlite-py: store opened","msg":"plugin output"/);
  });

  test('failed start keeps plugin output', { timeout: 120_000 }, async () => {
    const folder = await project('broken');
    await writeFile(join(folder, 'plugin.py'), 'import sys\nsys.stderr.write("acme-store: cannot reach the database\\n")\nsys.exit(1)\n');

    const result = await runCli(['plugin', 'certify', '-kind=storage', `-output=${folder}-bundle`, folder]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^check "put-then-get-returns-the-key-and-value" failed: storage "acme-store": plugin "acme-store" exited \(exit code 1\) before printing its handshake line; see its output in the server log$/m);
    const output = await readFile(`${folder}-bundle/plugin-output.log`, 'utf8');
    assert.match(output, /"stream":"stderr","line":"acme-store: cannot reach the database","msg":"plugin output"/);
    assert.match(await readFile(`${folder}-bundle/server.log`, 'utf8'), /"line":"acme-store: cannot reach the database"/);
  });
});
