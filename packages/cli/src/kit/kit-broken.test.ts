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
import { buildProjects, certify, editFile, newProject } from './kit-test-support.js';

describe('plugin kit on broken projects', () => {
  let root: string;

  let projects: Record<'secrets' | 'auth' | 'audit' | 'storage' | 'database' | 'seal', string>;

  // Each project is broken in one way, then all build together with one tsc -b.
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'coffer-kit-broken-'));
    projects = {
      secrets: await newProject(root, 'secrets', 'nohelp'),
      auth: await newProject(root, 'auth', 'leaky'),
      audit: await newProject(root, 'audit', 'clear'),
      storage: await newProject(root, 'storage', 'deep'),
      database: await newProject(root, 'database', 'sticky'),
      seal: await newProject(root, 'seal', 'gullible'),
    };
    await editFile(projects.secrets, 'src/path-items.ts', "helpSynopsis: 'Store, read and delete one item.',", "helpSynopsis: '',");
    await editFile(
      projects.auth,
      'src/path-login.ts',
      "if (user === null || !(await passwordMatches(user, fields.get('password')))) throw badRequest(INVALID_CREDENTIALS);",
      "if (user === null) throw badRequest('unknown user');\n      if (!(await passwordMatches(user, fields.get('password')))) throw badRequest('wrong password');",
    );
    // log_raw makes Coffer hand the device entries without HMACs, so the device writes secrets in clear.
    await editFile(projects.audit, 'integration.hcl', 'options         = { path = "{{dir}}/audit.log" }', 'options         = { path = "{{dir}}/audit.log", log_raw = "true" }');
    await editFile(
      projects.storage,
      'src/store.ts',
      'return childrenOf(prefix, this.entries.keys());',
      'return [...this.entries.keys()].filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length)).sort();',
    );
    await editFile(projects.storage, 'src/store.ts', /childrenOf, /, '');
    // The rotation statement keeps the old verifier, so a password change is acknowledged but ignored.
    await editFile(projects.database, 'src/users-database.ts', "SET password_hash = '{{password_hash}}' WHERE", 'SET password_hash = password_hash WHERE');
    // Without final() GCM never checks the tag, so a changed ciphertext decrypts to garbage instead of failing.
    await editFile(
      projects.seal,
      'src/seal.ts',
      'return Buffer.concat([decipher.update(blob.ciphertext.subarray(0, blob.ciphertext.length - TAG_BYTES)), decipher.final()]);',
      'return decipher.update(blob.ciphertext.subarray(0, blob.ciphertext.length - TAG_BYTES));',
    );
    buildProjects(Object.values(projects));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('secrets path without help fails', { timeout: 60_000 }, async () => {
    const result = await certify(projects.secrets, 'secrets', { build: false, projectTests: false });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^check "help" failed: path "items\/certify" has no help synopsis; set helpSynopsis$/m);
    assert.match(result.stdout, /^  passed  secrets\/existence-check$/m, 'the other checks still run');
    assert.match(result.stderr, /^check "project-tests" failed: not run: -project-tests=false$/m);
  });

  test('auth errors that differ fail', { timeout: 60_000 }, async () => {
    const result = await certify(projects.auth, 'auth', { build: false, projectTests: false });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^check "bad-credentials" failed: bad logins got different responses, which tell an attacker which part was wrong: 400 \{"errors":\["wrong password"\]\} \| 400 \{"errors":\["unknown user"\]\}$/m);
  });

  test('failed project tests are named', { timeout: 60_000 }, async () => {
    // The same broken login also breaks the template's own unit and acceptance tests.
    const result = await runCli(['plugin', 'certify', '-kind=auth', '-build=false', `-output=${projects.auth}-tests-bundle`, projects.auth]);
    assert.equal(result.code, 1);
    const line = result.stderr.split('\n').find((text) => text.startsWith('check "project-tests" failed: '));
    assert.ok(line !== undefined, result.stderr);
    assert.match(line, /^check "project-tests" failed: npm test exited with 1; failed tests: .+ \(full output in project-tests\.log\):$/);
    assert.ok(line.includes('; wrong password and unknown user get one error;'), line);
    assert.ok(line.includes('enable, add a user and log in'), line);
  });

  test('audit device writing secrets in clear fails', { timeout: 60_000 }, async () => {
    const result = await certify(projects.audit, 'audit', { build: false, projectTests: false });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^check "no-clear-secret" failed: the secret value written to cubbyhole appears in clear in the device output$/m);
    assert.match(result.stderr, /^check "hmac-matches-audit-hash" failed: the entry has "[^"]+" for the field "secret", but sys\/audit-hash returned "hmac-sha256:[0-9a-f]{64}"$/m);
  });

  test('storage list with grandchildren fails', { timeout: 60_000 }, async () => {
    const result = await certify(projects.storage, 'storage', { build: false, projectTests: false });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^check "list-returns-the-immediate-children-at-every-depth" failed: /m);
    const results = JSON.parse(await readFile(`${projects.storage}-bundle/results.json`, 'utf8'));
    const passed = results.suites[0].results.filter((check: { status: string }) => check.status === 'passed').map((check: { id: string }) => check.id);
    assert.ok(passed.includes('put-then-get-returns-the-key-and-value'), 'checks that do not list still pass');
  });

  test('database ignoring new passwords fails', { timeout: 60_000 }, async () => {
    const result = await certify(projects.database, 'database', { build: false, projectTests: false });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^check "update-password" failed: the password after rotate-role: a login as "[^"]+" was rejected, expected it to succeed$/m);
    assert.match(result.stderr, /^check "rotate-root" failed: the password from before rotate-root: a login as "[^"]+" succeeded, expected it to fail$/m);
    assert.match(result.stdout, /^  passed  database\/delete-missing-user$/m, 'the other checks still run');
  });

  test('seal accepting tampered blobs fails', { timeout: 60_000 }, async () => {
    const result = await certify(projects.seal, 'seal', { build: false, projectTests: false });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^check "tampered-ciphertext-rejected" failed: a blob with its first ciphertext byte changed was accepted, expected an error$/m);
    assert.match(result.stdout, /^  failed  seal\/aad-bound \(optional\): a blob given other associated data was accepted, expected an error$/m);
    assert.match(result.stdout, /^  passed  seal\/server-restart-unseals$/m);
  });

  test('failed bundle fails review', async () => {
    const review = await runCli(['plugin', 'review', `${projects.secrets}-bundle`]);
    assert.equal(review.code, 1);
    assert.match(review.stderr, /^Review failed: certification did not pass; see report.html$/m);
  });
});
