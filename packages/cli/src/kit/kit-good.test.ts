/**
 * Projects made by `coffer plugin new` build, pass their own tests and
 * pass `coffer plugin certify`, and their bundles pass `coffer plugin
 * review` until a file changes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../test-io.js';
import { buildProjects, certify, newProject } from './kit-test-support.js';

describe('plugin kit on fresh projects', () => {
  let root: string;

  const projects = new Map<string, string>();

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'coffer-kit-good-'));
    for (const [kind, language] of cases) projects.set(`${kind}-${language}`, await newProject(root, kind, `good-${kind}-${language}`, language));
    // The TypeScript projects build together; the Python one builds inside certify, which covers npm run build.
    buildProjects([...projects].filter(([key]) => !key.endsWith('-python')).map(([, project]) => project));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const cases: Array<[kind: string, language: string, suiteLines: RegExp[]]> = [
    ['secrets', 'ts', [/^  passed  secrets\/help$/m, /^  passed  secrets\/existence-check$/m, /^  passed  secrets\/lease-revoke$/m]],
    ['auth', 'ts', [/^  passed  auth\/login$/m, /^  passed  auth\/renew-max-ttl$/m, /^  passed  auth\/bad-credentials$/m]],
    ['audit', 'ts', [/^  passed  audit\/unknown-option$/m, /^  passed  audit\/no-clear-secret$/m, /^  passed  audit\/hmac-matches-audit-hash$/m, /^  passed  audit\/failing-device-fails-requests$/m]],
    ['storage', 'ts', [/^  passed  storage\/list-/m, /^  skipped storage\/ha-lock-one-holder-at-a-time-released-on-close: the plugin does not claim HA/m]],
    ['auth', 'python', [/^  passed  auth\/login$/m, /^  passed  auth\/bad-credentials$/m]],
    ['database', 'ts', [/^  passed  database\/user-logs-in$/m, /^  passed  database\/delete-missing-user$/m, /^  passed  database\/rotate-root$/m]],
    ['seal', 'ts', [/^  passed  seal\/key-id-stable$/m, /^  passed  seal\/kms-unreachable$/m, /^  passed  seal\/server-restart-unseals$/m]],
  ];

  /** The test counts of each template's `npm test`, which certify reports for the reviewer. */
  const PROJECT_TEST_COUNTS: Record<string, string> = {
    'secrets-ts': '11 tests: 11 passed, 0 skipped, 0 todo',
    'auth-ts': '9 tests: 9 passed, 0 skipped, 0 todo',
    'audit-ts': '3 tests: 3 passed, 0 skipped, 0 todo',
    // The in-process storage suite skips the persistence and crash cases, because the template keeps entries in memory.
    'storage-ts': '22 tests: 20 passed, 2 skipped, 0 todo',
    'auth-python': '2 tests: 2 passed, 0 skipped, 0 todo',
    'database-ts': '7 tests: 7 passed, 0 skipped, 0 todo',
    'seal-ts': '5 tests: 5 passed, 0 skipped, 0 todo',
  };

  for (const [kind, language, suiteLines] of cases) {
    test(`${kind} in ${language} certifies`, { timeout: 120_000 }, async () => {
      const project = projects.get(`${kind}-${language}`)!;
      const prebuilt = language !== 'python';
      const result = await certify(project, kind, { build: !prebuilt });
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      if (prebuilt) assert.match(result.stdout, /^  skipped project\/build: not run: -build=false, so the project was built before$/m);
      else assert.match(result.stdout, /^  passed  project\/build$/m);
      assert.ok(result.stdout.includes(`\n  passed  project/project-tests: npm test ran ${PROJECT_TEST_COUNTS[`${kind}-${language}`]}\n`), result.stdout);
      // The Python template's unit tests run under npm test, so certification runs them too.
      if (language === 'python') assert.match(await readFile(`${project}-bundle/project-tests.log`, 'utf8'), /^# Ran 6 tests in [\d.]+s\n# OK$/m);
      for (const line of suiteLines) assert.match(result.stdout, line);
      assert.match(result.stdout, /^Certification passed; bundle in /m);
      // The templates' integration.hcl keeps example.com placeholders until the vendor fills them in.
      assert.match(result.stderr, /^Warning: the catalog rejects this integration\.hcl, so the vendor must fix it and certify again:$/m);
      assert.match(result.stderr, /^  "support\.contact" "support@example\.com" is a placeholder address: give the address where the vendor answers issues$/m);

      const results = JSON.parse(await readFile(`${project}-bundle/results.json`, 'utf8'));
      assert.equal(results.summary.passed, true);
      assert.equal(results.summary.kind, kind);
      assert.match(results.summary.entry_sha256, /^[0-9a-f]{64}$/);
      assert.match(results.summary.code_sha256, /^[0-9a-f]{64}$/);
    });
  }

  test('binary with integration.hcl certifies', { timeout: 60_000 }, async () => {
    // A vendor may ship an executable instead of a project: certify copies it into the plugin directory.
    const project = join(root, 'good-secrets-ts');
    const shipped = join(root, 'shipped');
    await mkdir(shipped);
    await writeFile(join(shipped, 'good-secrets-ts'), `#!/bin/sh\nexec '${process.execPath}' '${join(project, 'dist', 'index.js')}'\n`, { mode: 0o755 });
    await copyFile(join(project, 'integration.hcl'), join(shipped, 'integration.hcl'));

    const result = await runCli(['plugin', 'certify', '-kind=secrets', `-output=${shipped}-bundle`, join(shipped, 'good-secrets-ts')]);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /^  passed  secrets\/existence-check$/m);
    assert.match(result.stdout, /^  skipped project\/project-tests: the project has no test script$/m);
    const summary = JSON.parse(await readFile(`${shipped}-bundle/summary.json`, 'utf8'));
    assert.equal(summary.sha256, createHash('sha256').update(await readFile(join(shipped, 'good-secrets-ts'))).digest('hex'));
  });

  test('review passes, then names a changed file', async () => {
    const bundle = join(root, 'good-secrets-ts-bundle');
    const files = ['audit.log', 'integration.hcl', 'junit.xml', 'manifest.json', 'plugin-output.log', 'report.html', 'results.json', 'server.log', 'summary.json'];
    for (const file of files) assert.ok((await readFile(join(bundle, file))).length > 0, `${file} is empty`);
    const manifest = JSON.parse(await readFile(join(bundle, 'manifest.json'), 'utf8'));
    assert.match(manifest.summary.sha256, /^[0-9a-f]{64}$/);
    assert.equal(manifest.summary.protocol, 'go-plugin core 1, backend 5');
    assert.equal(manifest.summary.sdk_version, '0.1.0');
    assert.deepEqual(manifest.summary.support, { contact: 'support@example.com', critical_response_hours: 48, other_response_business_days: 5 });
    assert.match(await readFile(join(bundle, 'junit.xml'), 'utf8'), /<testcase classname="secrets" name="help: every path returns/);

    const clean = await runCli(['plugin', 'review', bundle]);
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stdout, /^Plugin: +good-secrets-ts 0\.1\.0 \(secrets\) by Example Vendor$/m);
    assert.match(clean.stdout, /^Source: +https:\/\/example\.com\/good-secrets-ts\/source$/m);
    assert.match(clean.stdout, /^Support: +support@example\.com; critical issues within 48 hours, others within 5 business days$/m);
    assert.match(clean.stdout, new RegExp(`^Code SHA-256: +${manifest.summary.code_sha256}$`, 'm'));
    assert.match(clean.stdout, /^Review passed/m);
    assert.equal(
      clean.stderr,
      [
        'Warning: the catalog rejects this integration.hcl, so the vendor must fix it and certify again:',
        '  "vendor" is the template\'s placeholder "Example Vendor": give the vendor\'s name',
        '  "docs_url" "https://example.com/good-secrets-ts/docs" is a placeholder address: give the plugin\'s published address',
        '  "source_url" "https://example.com/good-secrets-ts/source" is a placeholder address: give the plugin\'s published address',
        '  "support.contact" "support@example.com" is a placeholder address: give the address where the vendor answers issues',
        '',
      ].join('\n'),
    );
    assert.match(clean.stdout, /^Suite secrets: 8 passed, 0 failed, 2 skipped$/m);
    assert.match(clean.stdout, /^  skipped secrets\/invalidation \(optional\): one certify server sends no invalidations/m);
    assert.match(clean.stdout, /^Suite project: 1 passed, 0 failed, 1 skipped$/m);

    await appendFile(join(bundle, 'audit.log'), '{"forged":true}\n');
    const tampered = await runCli(['plugin', 'review', bundle]);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /^Error: file "audit\.log" changed: SHA-256 [0-9a-f]{64}, manifest has [0-9a-f]{64}$/m);
    assert.match(tampered.stderr, /^Review failed: the bundle changed after certification$/m);
  });
});
