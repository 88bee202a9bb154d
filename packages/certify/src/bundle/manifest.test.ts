import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { describeSupport, renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { sha256Hex, verifyBundle, writeManifest, type BundleSummary } from './manifest.js';

const summary: BundleSummary = {
  name: 'demo',
  kind: 'secrets',
  version: '1.0.0',
  vendor: 'Example',
  source_url: 'https://git.acme.test/demo',
  support: { contact: 'support@acme.test', critical_response_hours: 48, other_response_business_days: 5 },
  sha256: 'a'.repeat(64),
  entry_sha256: 'b'.repeat(64),
  code_sha256: 'c'.repeat(64),
  sdk_version: '0.1.0',
  protocol: 'go-plugin core 1, backend 5',
  coffer_version: '0.1.0',
  started_at: '2026-01-01T00:00:00.000Z',
  finished_at: '2026-01-01T00:00:05.000Z',
  passed: true,
};

describe('bundle manifest', () => {
  let bundle: string;
  beforeEach(async () => {
    bundle = await mkdtemp(join(tmpdir(), 'coffer-bundle-'));
    await writeFile(join(bundle, 'results.json'), '{}');
    await writeFile(join(bundle, 'server.log'), 'line\n');
  });
  afterEach(async () => {
    await rm(bundle, { recursive: true, force: true });
  });

  test('manifest hashes every file', async () => {
    const manifest = await writeManifest(bundle, summary);
    assert.deepEqual(manifest.files, { 'results.json': sha256Hex('{}'), 'server.log': sha256Hex('line\n') });
    assert.deepEqual((await verifyBundle(bundle)).problems, []);
  });

  test('changed, missing and added files are named', async () => {
    await writeManifest(bundle, summary);
    await writeFile(join(bundle, 'results.json'), '{"passed":true}');
    await unlink(join(bundle, 'server.log'));
    await writeFile(join(bundle, 'extra.txt'), 'x');
    assert.deepEqual((await verifyBundle(bundle)).problems, [
      `file "results.json" changed: SHA-256 ${sha256Hex('{"passed":true}')}, manifest has ${sha256Hex('{}')}`,
      'file "server.log" is missing',
      'file "extra.txt" is not in the manifest',
    ]);
  });

  test('missing manifest is an error', async () => {
    await assert.rejects(verifyBundle(bundle), { message: new RegExp(`^cannot read ${bundle}/manifest.json: .*is "${bundle}" a certification bundle\\?$`) });
  });
});

describe('junit report', () => {
  test('renders each status and escapes text', () => {
    const xml = renderJunit([
      {
        suite: 'secrets',
        plugin: 'demo',
        results: [
          { id: 'help', title: 'help <exists>', required: true, status: 'passed', durationMs: 5 },
          { id: 'openapi', title: 'openapi', required: false, status: 'skipped', message: 'not "listed"', durationMs: 0 },
          { id: 'unknown-field', title: 'unknown', required: true, status: 'failed', message: 'a & b', durationMs: 1000 },
        ],
      },
    ]);
    assert.match(xml, /<testsuite name="secrets: demo" tests="3" failures="1" skipped="1" time="1\.005">/);
    assert.match(xml, /<testcase classname="secrets" name="help: help &lt;exists&gt;" time="0\.005"\/>/);
    assert.match(xml, /<skipped message="not &quot;listed&quot;"\/>/);
    assert.match(xml, /name="openapi \(optional\): openapi"/);
    assert.match(xml, /<failure message="a &amp; b"\/>/);
  });
});

describe('bundle report', () => {
  const suites = [{ suite: 'secrets', plugin: 'demo', results: [{ id: 'help', title: 'help works', required: true, status: 'passed' as const, durationMs: 3 }] }];

  test('report names support and entry', () => {
    const html = renderHtml(summary, suites);
    assert.ok(html.includes('<tr><th>support</th><td>support@acme.test; critical issues within 48 hours, others within 5 business days</td></tr>'), html);
    assert.ok(html.includes('<tr><th>source</th><td>https://git.acme.test/demo</td></tr>'), html);
    assert.ok(html.includes(`<tr><th>entry SHA-256</th><td>${'b'.repeat(64)}</td></tr>`), html);
    assert.ok(html.includes(`<tr><th>code SHA-256</th><td>${'c'.repeat(64)}</td></tr>`), html);
  });

  test('older bundle has no support', () => {
    assert.equal(describeSupport(undefined), 'not recorded in this bundle: read integration.hcl');
  });
});
