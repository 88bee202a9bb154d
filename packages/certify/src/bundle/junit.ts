/** JUnit XML of suite results, the format CI systems and review tools read. */
import type { SuiteResult } from '../check.js';

/** Escapes text for an XML attribute or text node. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[char]!);
}

/** Renders one `<testsuite>` per suite; an optional check's failure is a failure too, marked optional in its name. */
export function renderJunit(suites: SuiteResult[]): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>'];
  for (const suite of suites) {
    const failures = suite.results.filter((check) => check.status === 'failed').length;
    const skipped = suite.results.filter((check) => check.status === 'skipped').length;
    const time = suite.results.reduce((sum, check) => sum + check.durationMs, 0) / 1000;
    lines.push(`  <testsuite name="${escapeXml(`${suite.suite}: ${suite.plugin}`)}" tests="${suite.results.length}" failures="${failures}" skipped="${skipped}" time="${time.toFixed(3)}">`);
    for (const check of suite.results) {
      const name = escapeXml(`${check.id}${check.required ? '' : ' (optional)'}: ${check.title}`);
      const open = `    <testcase classname="${escapeXml(suite.suite)}" name="${name}" time="${(check.durationMs / 1000).toFixed(3)}"`;
      if (check.status === 'passed') {
        lines.push(`${open}/>`);
      } else if (check.status === 'skipped') {
        lines.push(`${open}>`, `      <skipped message="${escapeXml(check.message ?? '')}"/>`, '    </testcase>');
      } else {
        lines.push(`${open}>`, `      <failure message="${escapeXml(check.message ?? '')}"/>`, '    </testcase>');
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
