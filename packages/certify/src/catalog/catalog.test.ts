import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { checkIntegration, checkListing, IntegrationError } from './integration.js';
import { loadCatalog, renderCatalog } from './render.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CATALOG = join(ROOT, 'integrations');

/** A valid integration as hcl2json returns it, for the schema cases to break one field at a time. */
function validRaw(): Record<string, unknown> {
  return {
    name: 'notes',
    vendor: 'Example',
    kind: 'secrets',
    version: '1.2.0',
    description: 'Notes.',
    docs_url: 'https://example.com/docs',
    source_url: 'https://example.com/src',
    license: 'MPL-2.0',
    coffer_versions: '>=0.1.0',
    runtime: 'node',
    entry: 'dist/index.js',
    support: [{ contact: 'support@example.com', critical_response_hours: 48, other_response_business_days: 5 }],
    certify: [{ secrets: [{ write_path: 'notes/a', write_data: { text: 'x' } }] }],
  };
}

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    checkIntegration('integration.hcl', raw);
  } catch (error) {
    assert.ok(error instanceof IntegrationError);
    return error.problems;
  }
  return [];
}

describe('integration catalog', () => {
  test('every integration.hcl fits the schema', async () => {
    const integrations = await loadCatalog(CATALOG);
    const folders = (await readdir(CATALOG, { withFileTypes: true })).filter((entry) => entry.isDirectory());
    assert.ok(folders.length >= 20, `only ${folders.length} catalog folders`);
    assert.equal(integrations.length, folders.length);
  });

  test('folder names are kind-name', async () => {
    for (const integration of await loadCatalog(CATALOG)) {
      assert.ok(existsSync(join(CATALOG, `${integration.kind}-${integration.name}`, 'integration.hcl')), `integrations/${integration.kind}-${integration.name} is missing`);
    }
  });

  test('project copies match the catalog', async () => {
    for (const integration of await loadCatalog(CATALOG)) {
      const copy = join(ROOT, integration.source_url, 'integration.hcl');
      if (integration.builtin || !existsSync(copy)) continue;
      const listed = await readFile(join(CATALOG, `${integration.kind}-${integration.name}`, 'integration.hcl'), 'utf8');
      assert.equal(await readFile(copy, 'utf8'), listed, `${copy} differs from the catalog's copy`);
    }
  });

  test('docs/integrations.md is current', async () => {
    const expected = renderCatalog(await loadCatalog(CATALOG));
    const actual = await readFile(join(ROOT, 'docs', 'integrations.md'), 'utf8');
    assert.equal(actual, expected, 'docs/integrations.md is stale: run "npm run build && node scripts/gen-integrations.mjs"');
  });

  test('page groups by kind with terms', async () => {
    const page = renderCatalog(await loadCatalog(CATALOG));
    const headings = page.split('\n').filter((line) => line.startsWith('## '));
    assert.ok(page.includes('the business days shown, which are at most 48 hours and 5 business days\nbecause the catalog lists no plugin that promises longer.'), page.slice(0, 800));
    assert.deepEqual(headings, ['## Secrets engines', '## Auth methods', '## Database plugins', '## Audit devices', '## Seals', '## Storage backends']);
    assert.match(page, /\| \[kv\]\(\.\.\/plugins\/secrets\/kv\) \(built-in\) \| 0\.1\.0 \| Coffer maintainers \| 2026-12-04 \| .*critical within 48 h, others within 5 business days \|/);
    assert.match(page, /\| \[postgresql-database-plugin\]\(\.\.\/docs\/plugins\/database\.md\) \(built-in\) \| 0\.1\.0 \|/);
  });
});

describe('integration schema', () => {
  test('valid integration has no problems', () => {
    assert.deepEqual(problemsOf(validRaw()), []);
    const integration = checkIntegration('integration.hcl', validRaw());
    assert.deepEqual(integration.certify, { kind: 'secrets', secrets: { write_path: 'notes/a', write_data: { text: 'x' } } });
    assert.equal(integration.builtin, false);
  });

  test('missing and unknown fields are named', () => {
    const raw = validRaw();
    delete raw.vendor;
    raw.colour = 'red';
    assert.deepEqual(problemsOf(raw), ['missing or empty "vendor"', 'unknown field "colour"']);
  });

  test('bad values are named', () => {
    const raw: Record<string, unknown> = { ...validRaw(), name: 'Bad Name', kind: 'widget', version: 'one', docs_url: 'ftp://x', certified: 'yesterday' };
    delete raw.certify;
    assert.deepEqual(problemsOf(raw), [
      'invalid "name" "Bad Name": use lowercase letters, digits and dashes',
      'invalid "kind" "widget": use one of secrets, auth, database, audit, seal, storage',
      'invalid "version" "one": use a semantic version such as 1.2.0',
      'invalid "docs_url" "ftp://x": use an http or https URL',
      'invalid "certified": use a date such as 2026-01-31',
    ]);
  });

  test('support terms are enforced', () => {
    const raw = { ...validRaw(), support: [{ contact: 'x', critical_response_hours: 72, other_response_business_days: 10 }] };
    assert.deepEqual(problemsOf(raw), [
      'invalid "support.critical_response_hours": critical issues must be answered within 48 hours',
      'invalid "support.other_response_business_days": other issues must be answered within 5 business days',
    ]);
  });

  test('certify block must match the kind', () => {
    const raw = { ...validRaw(), certify: [{ auth: [{}] }] };
    assert.deepEqual(problemsOf(raw), ['the "certify" block needs a "secrets" block inside it, named after the kind']);
    const incomplete = { ...validRaw(), certify: [{ secrets: [{ write_path: 'a' }] }] };
    assert.deepEqual(problemsOf(incomplete), ['missing "certify.secrets.write_data"']);
  });

  test('database and seal blocks are checked', () => {
    const database = { ...validRaw(), kind: 'database', certify: [{ database: [{ connection: { path: 'x' }, creation_statements: 'CREATE' }] }] };
    assert.deepEqual(problemsOf(database), ['invalid "certify.database.creation_statements": use a list of strings']);
    const noConnection = { ...validRaw(), kind: 'database', certify: [{ database: [{ creation_statements: ['CREATE'] }] }] };
    assert.deepEqual(problemsOf(noConnection), ['missing "certify.database.connection"']);
    const seal = { ...validRaw(), kind: 'seal', certify: [{ seal: [{ files: {} }] }] };
    assert.deepEqual(problemsOf(seal), ['missing "certify.seal.settings"']);
    const valid = checkIntegration('integration.hcl', { ...validRaw(), kind: 'seal', certify: [{ seal: [{ settings: { key_file: '{{dir}}/k' } }] }] });
    assert.deepEqual(valid.certify, { kind: 'seal', seal: { settings: { key_file: '{{dir}}/k' } } });
  });

  test('external plugin needs runtime and entry', () => {
    const raw = validRaw();
    delete raw.entry;
    assert.deepEqual(problemsOf(raw), ['missing "runtime" or "entry": a plugin that is not built in says how it runs']);
  });

  test('listing rejects template placeholders', async () => {
    const root = await mkdtemp(join(tmpdir(), 'coffer-catalog-'));
    try {
      const file = join(root, 'secrets-acme-engine', 'integration.hcl');
      await mkdir(join(root, 'secrets-acme-engine'));
      // The fields `coffer plugin new` writes, left as the template has them.
      await writeFile(
        file,
        [
          'name = "acme-engine"',
          'vendor = "Example Vendor"',
          'kind = "secrets"',
          'version = "0.1.0"',
          'description = "Stores items."',
          'docs_url = "https://example.com/acme-engine/docs"',
          'source_url = "https://www.example.org/acme-engine"',
          'license = "MPL-2.0"',
          'coffer_versions = ">=0.1.0"',
          'runtime = "node"',
          'entry = "dist/index.js"',
          'support {',
          '  contact = "support@example.com"',
          '  critical_response_hours = 48',
          '  other_response_business_days = 5',
          '}',
          '',
        ].join('\n'),
      );

      await assert.rejects(loadCatalog(root), (error: unknown) => {
        assert.ok(error instanceof IntegrationError);
        assert.equal(error.file, file);
        assert.deepEqual(error.problems, [
          '"vendor" is the template\'s placeholder "Example Vendor": give the vendor\'s name',
          '"docs_url" "https://example.com/acme-engine/docs" is a placeholder address: give the plugin\'s published address',
          '"source_url" "https://www.example.org/acme-engine" is a placeholder address: give the plugin\'s published address',
          '"support.contact" "support@example.com" is a placeholder address: give the address where the vendor answers issues',
          'missing "certified": give the date of the passing certification run, such as 2026-01-31',
        ]);
        return true;
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('listing accepts a filled-in entry', () => {
    const raw: Record<string, unknown> = { ...validRaw(), vendor: 'Acme', docs_url: 'https://acme.test/docs', source_url: 'https://git.acme.test/engine', certified: '2026-12-05' };
    raw.support = [{ contact: 'support@acme.test', critical_response_hours: 48, other_response_business_days: 5 }];
    assert.doesNotThrow(() => checkListing('integration.hcl', checkIntegration('integration.hcl', raw)));
    // A host name that merely starts with "example" is not a placeholder.
    const lookalike = { ...raw, docs_url: 'https://example.company.test/docs' };
    assert.doesNotThrow(() => checkListing('integration.hcl', checkIntegration('integration.hcl', lookalike)));
  });

  test('generator reports a bad entry', async () => {
    const root = await mkdtemp(join(tmpdir(), 'coffer-catalog-'));
    try {
      await mkdir(join(root, 'integrations', 'secrets-bad'), { recursive: true });
      await mkdir(join(root, 'docs'));
      const file = join(root, 'integrations', 'secrets-bad', 'integration.hcl');
      await writeFile(file, 'name = "bad"\n');

      const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'gen-integrations.mjs'), root], { encoding: 'utf8' });
      assert.equal(result.status, 1, result.stderr);
      assert.equal(result.stdout, '');
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], new RegExp(`^${file.replaceAll('/', '\\/')}: missing or empty "vendor"; `));
      assert.equal(existsSync(join(root, 'docs', 'integrations.md')), false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
