import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTempDir, runCli } from '../test-io.js';

describe('policy fmt', () => {
  let dir: { path: string; remove(): Promise<void> };

  before(async () => {
    dir = await makeTempDir('coffer-cli-policy-fmt-');
  });

  after(async () => {
    await dir.remove();
  });

  /** Writes `text` to a new file in the temporary folder and returns its path. */
  async function policyFile(name: string, text: string): Promise<string> {
    const path = join(dir.path, name);
    await writeFile(path, text);
    return path;
  }

  test('rewrites the file in place', async () => {
    const path = await policyFile(
      'messy.hcl',
      '# Web app\npath "secret/data/web/*" {\ncapabilities=["read","list"]\n    min_wrapping_ttl = "1s" # floor\n}\npath "sys/*" { capabilities = ["deny"] }\n',
    );
    const result = await runCli(['policy', 'fmt', path]);
    assert.deepEqual(result, { code: 0, stdout: `Success! Formatted policy: ${path}\n`, stderr: '' });
    assert.equal(
      await readFile(path, 'utf8'),
      [
        '# Web app',
        'path "secret/data/web/*" {',
        '  capabilities     = ["read", "list"]',
        '  min_wrapping_ttl = "1s" # floor',
        '}',
        'path "sys/*" {',
        '  capabilities = ["deny"]',
        '}',
        '',
      ].join('\n'),
    );
  });

  test('formatted file stays the same', async () => {
    const text = 'path "a" {\n  capabilities = ["read"]\n}\n';
    const path = await policyFile('tidy.hcl', text);
    const result = await runCli(['policy', 'fmt', path]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await readFile(path, 'utf8'), text);
  });

  test('syntax error names file, line and problem', async () => {
    const text = 'path "a" {\n  capabilities = ["read" "list"]\n}\n';
    const path = await policyFile('broken.hcl', text);
    const result = await runCli(['policy', 'fmt', path]);
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr: `Error parsing policy: ${path}:2:26: expected "," or "]" after a list element, found "list"\n`,
    });
    assert.equal(await readFile(path, 'utf8'), text, 'a file that does not parse must be left as it was');
  });

  test('unclosed block exits 1', async () => {
    const path = await policyFile('unclosed.hcl', 'path "a" {\n  capabilities = ["read"]\n');
    const result = await runCli(['policy', 'fmt', path]);
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr: `Error parsing policy: ${path}:3:1: expected "}" to close the "{" at line 1, column 10, found the end of the file\n`,
    });
  });

  test('json file exits 1', async () => {
    const path = await policyFile('policy.json', '{"path": {"a": {"capabilities": ["read"]}}}');
    const result = await runCli(['policy', 'fmt', path]);
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr: `Error formatting ${path}: the file contains JSON, but coffer policy fmt formats only HCL\n`,
    });
  });

  test('missing file exits 1', async () => {
    const path = join(dir.path, 'absent.hcl');
    const result = await runCli(['policy', 'fmt', path]);
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr: `Error reading source file "${path}": ENOENT: no such file or directory, open '${path}'\n`,
    });
  });

  test('needs exactly one path', async () => {
    assert.deepEqual(await runCli(['policy', 'fmt']), { code: 1, stdout: '', stderr: 'Not enough arguments (expected 1, got 0)\n' });
    assert.deepEqual(await runCli(['policy', 'fmt', 'a', 'b']), { code: 1, stdout: '', stderr: 'Too many arguments (expected 1, got 2)\n' });
  });

  test('takes no server flags', async () => {
    const result = await runCli(['policy', 'fmt', '-wrap-ttl=5m', 'a.hcl']);
    assert.deepEqual(result, { code: 1, stdout: '', stderr: 'flag provided but not defined: -wrap-ttl\n' });
  });
});
