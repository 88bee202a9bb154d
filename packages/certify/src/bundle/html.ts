/** The one-page HTML report of a certification run, for a reviewer's browser. */
import type { SuiteResult } from '../check.js';
import { escapeXml as escape } from './junit.js';
import type { BundleSummary } from './manifest.js';

/**
 * Describes a bundle's support terms in one line, such as
 * `support@acme.test; critical issues within 48 hours, others within 5 business days`.
 * A bundle written before the summary recorded them has none.
 */
export function describeSupport(support: BundleSummary['support'] | undefined): string {
  if (support === undefined) return 'not recorded in this bundle: read integration.hcl';
  return `${support.contact}; critical issues within ${support.critical_response_hours} hours, others within ${support.other_response_business_days} business days`;
}

/** Renders the report: the plugin's identity, the verdict and one table row per check. */
export function renderHtml(summary: BundleSummary, suites: SuiteResult[]): string {
  const rows = suites.flatMap((suite) =>
    suite.results.map(
      (check) =>
        `<tr class="${check.status}"><td>${escape(suite.suite)}</td><td>${escape(check.id)}</td><td>${check.required ? 'required' : 'optional'}</td>` +
        `<td>${check.status}</td><td>${escape(check.title)}</td><td>${escape(check.message ?? '')}</td></tr>`,
    ),
  );
  const facts: Array<[string, string]> = [
    ['plugin', `${summary.name} ${summary.version} (${summary.kind})`],
    ['vendor', summary.vendor],
    ['source', summary.source_url],
    ['support', describeSupport(summary.support)],
    ['verdict', summary.passed ? 'passed: every required check passed' : 'failed: a required check did not pass'],
    ['plugin SHA-256', summary.sha256],
    ['entry SHA-256', summary.entry_sha256],
    ['code SHA-256', summary.code_sha256 ?? 'not recorded in this bundle'],
    ['SDK version', summary.sdk_version],
    ['protocol', summary.protocol],
    ['Coffer version', summary.coffer_version],
    ['certified at', summary.finished_at],
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Certification of ${escape(summary.name)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
tr.failed td{background:#fdd}tr.skipped td{background:#ffd}</style></head>
<body><h1>Certification of ${escape(summary.name)}</h1>
<table>${facts.map(([label, value]) => `<tr><th>${escape(label)}</th><td>${escape(value)}</td></tr>`).join('')}</table>
<h2>Checks</h2>
<table><tr><th>suite</th><th>check</th><th>level</th><th>result</th><th>what it verifies</th><th>message</th></tr>
${rows.join('\n')}
</table>
<p>Every file of this bundle is listed with its SHA-256 in manifest.json; run <code>coffer plugin review</code> on the folder to verify it.</p>
</body></html>
`;
}
