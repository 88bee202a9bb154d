/**
 * Deliberately broken plugins fail `coffer plugin certify`, and the output
 * names the check that caught each one.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import { certify, editFile, newProject } from './kit-test-support.js';

describe('plugin kit on broken projects', () => {
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'coffer-kit-broken-'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('secrets path without help fails', { timeout: 60_000 }, async () => {
    const project = await newProject(root, 'secrets', 'nohelp');
    await editFile(project, 'src/path-items.ts', "helpSynopsis: 'Store, read and delete one item.',", "helpSynopsis: '',");
    const result = await certify(project, 'secrets', false);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^check "help" failed: path "items\/certify" has no help synopsis; set helpSynopsis$/m);
    assert.match(result.stdout, /^  passed  secrets\/existence-check$/m, 'the other checks still run');
  });

  test('auth errors that differ fail', { timeout: 60_000 }, async () => {
    const project = await newProject(root, 'auth', 'leaky');
    await editFile(
      project,
      'src/path-login.ts',
      "if (user === null || !(await passwordMatches(user, fields.get('password')))) throw badRequest(INVALID_CREDENTIALS);",
      "if (user === null) throw badRequest('unknown user');\n      if (!(await passwordMatches(user, fields.get('password')))) throw badRequest('wrong password');",
    );
    const result = await certify(project, 'auth', false);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^check "bad-credentials" failed: bad logins got different responses, which tell an attacker which part was wrong: 400 \{"errors":\["wrong password"\]\} \| 400 \{"errors":\["unknown user"\]\}$/m);
  });

  test('audit device writing secrets in clear fails', { timeout: 60_000 }, async () => {
    const project = await newProject(root, 'audit', 'clear');
    // log_raw makes Coffer hand the device entries without HMACs, so the device writes secrets in clear.
    await editFile(project, 'integration.hcl', 'options         = { path = "{{dir}}/audit.log" }', 'options         = { path = "{{dir}}/audit.log", log_raw = "true" }');
    const result = await certify(project, 'audit', false);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^check "no-clear-secret" failed: the secret value written to cubbyhole appears in clear in the device output$/m);
    assert.match(result.stderr, /^check "hmac-matches-audit-hash" failed: the entry has "[^"]+" for the field "secret", but sys\/audit-hash returned "hmac-sha256:[0-9a-f]{64}"$/m);
  });

  test('storage list with grandchildren fails', { timeout: 60_000 }, async () => {
    const project = await newProject(root, 'storage', 'deep');
    await editFile(
      project,
      'src/store.ts',
      'return childrenOf(prefix, this.entries.keys());',
      'return [...this.entries.keys()].filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length)).sort();',
    );
    await editFile(project, 'src/store.ts', /childrenOf, /, '');
    const result = await certify(project, 'storage', false);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^check "list-returns-the-immediate-children-at-every-depth" failed: /m);
    const results = JSON.parse(await readFile(`${project}-bundle/results.json`, 'utf8'));
    const passed = results.suites[0].results.filter((check: { status: string }) => check.status === 'passed').map((check: { id: string }) => check.id);
    assert.ok(passed.includes('put-then-get-returns-the-key-and-value'), 'checks that do not list still pass');
  });

  test('skipped project tests fail certification', async () => {
    const review = await runCli(['plugin', 'review', join(root, 'nohelp-bundle')]);
    assert.equal(review.code, 1);
    assert.match(review.stderr, /^Review failed: certification did not pass; see report.html$/m);
  });
});
