/**
 * docs/integrations.md, generated from integrations/<name>/integration.hcl.
 * The catalog test fails when the committed page differs from this output;
 * regenerate it with `node scripts/gen-integrations.mjs`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkListing, loadIntegration, MAX_CRITICAL_RESPONSE_HOURS, MAX_OTHER_RESPONSE_BUSINESS_DAYS, PLUGIN_KINDS, type Integration, type IntegrationKind } from './integration.js';

const KIND_TITLES: Record<IntegrationKind, string> = {
  secrets: 'Secrets engines',
  auth: 'Auth methods',
  database: 'Database plugins',
  audit: 'Audit devices',
  seal: 'Seals',
  storage: 'Storage backends',
};

/**
 * Loads every `<catalog>/<name>/integration.hcl`, sorted by kind order, then name.
 * @throws IntegrationError for a file that breaks the schema or still contains a template placeholder.
 */
export async function loadCatalog(catalog: string): Promise<Integration[]> {
  const names = (await readdir(catalog, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  const load = async (name: string): Promise<Integration> => {
    const file = join(catalog, name, 'integration.hcl');
    const integration = await loadIntegration(file);
    checkListing(file, integration);
    return integration;
  };
  const integrations = await Promise.all(names.map(load));
  return integrations.sort((a, b) => PLUGIN_KINDS.indexOf(a.kind) - PLUGIN_KINDS.indexOf(b.kind) || a.name.localeCompare(b.name));
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** Renders the catalog page: one table per kind, with version, certification date and support terms. */
export function renderCatalog(integrations: Integration[]): string {
  const lines = [
    '# Integrations',
    '',
    '<!-- Generated from integrations/*/integration.hcl by scripts/gen-integrations.mjs; edit those files, not this page. -->',
    '',
    'The certified column gives the date on which a plugin last passed the',
    'conformance suite of its kind (`coffer plugin certify`, or the same suite',
    'in the tests of a built-in plugin); "not yet" means it has not. Every',
    'vendor answers critical issues within the hours and other issues within',
    `the business days shown, which are at most ${MAX_CRITICAL_RESPONSE_HOURS} hours and ${MAX_OTHER_RESPONSE_BUSINESS_DAYS} business days`,
    'because the catalog lists no plugin that promises longer. Built-in',
    'plugins ship inside Coffer.',
    '',
  ];
  for (const kind of PLUGIN_KINDS) {
    const ofKind = integrations.filter((integration) => integration.kind === kind);
    lines.push(`## ${KIND_TITLES[kind]}`, '');
    if (ofKind.length === 0) {
      lines.push('None listed yet.', '');
      continue;
    }
    lines.push('| name | version | vendor | certified | support | description |', '| --- | --- | --- | --- | --- | --- |');
    for (const integration of ofKind) {
      // Repository paths are relative to the root, and this page lives in docs/.
      const docs = /^https?:/.test(integration.docs_url) ? integration.docs_url : `../${integration.docs_url}`;
      const name = `[${integration.name}](${docs})${integration.builtin ? ' (built-in)' : ''}`;
      const support = `${integration.support.contact}; critical within ${integration.support.critical_response_hours} h, others within ${integration.support.other_response_business_days} business days`;
      const row = [name, integration.version, integration.vendor, integration.certified ?? 'not yet', support, integration.description];
      lines.push(`| ${row.map(cell).join(' | ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
