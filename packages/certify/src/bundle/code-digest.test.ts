import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { codeDigest } from './code-digest.js';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('code digest', () => {
  let project: string;
  beforeEach(async () => {
    project = await mkdtemp(join(tmpdir(), 'coffer-code-digest-'));
  });
  afterEach(async () => {
    await rm(project, { recursive: true, force: true });
  });

  test('node covers the entry folder', async () => {
    await mkdir(join(project, 'dist', 'lib'), { recursive: true });
    await writeFile(join(project, 'dist', 'index.js'), "import './lib/paths.js';\n");
    await writeFile(join(project, 'dist', 'lib', 'paths.js'), 'export const a = 1;\n');
    await writeFile(join(project, 'package.json'), '{}');

    // The value `find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum` prints in dist/.
    const listing = `${sha256("import './lib/paths.js';\n")}  ./index.js\n${sha256('export const a = 1;\n')}  ./lib/paths.js\n`;
    const first = await codeDigest(join(project, 'dist', 'index.js'), 'node');
    assert.equal(first, sha256(listing));

    // A change outside the entry file changes the digest.
    await writeFile(join(project, 'dist', 'lib', 'paths.js'), 'export const a = 2;\n');
    assert.notEqual(await codeDigest(join(project, 'dist', 'index.js'), 'node'), first);
  });

  test('python covers sibling modules only', async () => {
    await mkdir(join(project, 'stubs'));
    await writeFile(join(project, 'plugin.py'), 'import helpers\n');
    await writeFile(join(project, 'helpers.py'), 'X = 1\n');
    await writeFile(join(project, 'README.md'), 'not code\n');
    await writeFile(join(project, 'stubs', 'vault_backend_pb2.py'), 'generated\n');

    const listing = `${sha256('X = 1\n')}  ./helpers.py\n${sha256('import helpers\n')}  ./plugin.py\n`;
    assert.equal(await codeDigest(join(project, 'plugin.py'), 'python3'), sha256(listing));
  });
});
