// `coffer plugin new`, `certify` and `review`: the integration kit that
// takes a vendor from an empty folder to a certified, reviewed plugin.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describeSupport, loadIntegration, placeholderProblems, TEMPLATE_VENDOR, verifyBundle, type BundleSummary, type SuiteResult } from '@coffer/certify';
import type { Command } from '../command.js';
import { expectArguments } from '../command.js';
import { UsageError } from '../flags.js';
import type { UI } from '../io.js';
import { certifyPlugin } from '../kit/certify.js';
import { CERTIFIABLE_KINDS } from '../kit/kind-suites.js';
import { scaffoldPlugin, ScaffoldError } from '../kit/scaffold.js';

const KINDS = ['secrets', 'auth', 'database', 'audit', 'seal', 'storage'];

function requireKind(kind: string): string {
  if (kind === '') throw new UsageError(`missing -kind: use one of ${KINDS.join(', ')}`);
  if (!KINDS.includes(kind)) throw new UsageError(`invalid value "${kind}" for flag -kind: use one of ${KINDS.join(', ')}`);
  return kind;
}

export const pluginNewCommand: Command = {
  name: 'plugin new',
  synopsis: 'Create a plugin project from a template',
  help: `
Usage: coffer plugin new -kind=KIND [options] NAME

  Writes a ready-to-build plugin project: source against @coffer/sdk, unit
  tests, an acceptance test that runs the plugin under a real Coffer server,
  package.json, tsconfig.json, a README and integration.hcl. The Coffer
  packages are linked into node_modules, so the project builds offline.

      $ coffer plugin new -kind=secrets my-engine
      $ coffer plugin new -kind=auth -lang=python -output=./corp-auth corp-auth`,
  flags: [
    { name: 'kind', kind: 'string', usage: 'Plugin kind: secrets, auth, audit, storage, database or seal. Required.' },
    { name: 'lang', kind: 'string', usage: 'Language: ts, or python (auth only).', defaultText: 'ts' },
    { name: 'output', kind: 'string', usage: 'Project folder to create; it must not exist or be empty.', defaultText: './NAME' },
    { name: 'vendor', kind: 'string', usage: 'Vendor name written to integration.hcl. The catalog rejects the default, so set it before you certify.', defaultText: `"${TEMPLATE_VENDOR}"` },
  ],
  async run({ ui, args, flags }) {
    expectArguments(args, 1);
    const name = args[0]!;
    const kind = requireKind(flags.string('kind'));
    const language = flags.string('lang', 'ts');
    const output = flags.string('output', name);
    let written: string[];
    try {
      written = await scaffoldPlugin({ name, kind, language, output, vendor: flags.string('vendor', TEMPLATE_VENDOR) });
    } catch (error) {
      if (!(error instanceof ScaffoldError)) throw error;
      ui.error(error.message);
      return 1;
    }
    ui.output(`Success! Created ${kind} plugin "${name}" in ${resolve(output)} with ${written.length} files.`);
    ui.output(`Next: cd ${output} && npm run build && npm test. Before certifying, replace the placeholders in integration.hcl, then run coffer plugin certify -kind=${kind} .`);
    return 0;
  },
};

/** Formats one suite's results as lines for the terminal. */
function resultLines(suite: SuiteResult): string[] {
  return suite.results.map((check) => {
    const level = check.required ? '' : ' (optional)';
    const message = check.message === undefined ? '' : `: ${check.message.split('\n')[0]}`;
    return `  ${check.status.padEnd(7)} ${suite.suite}/${check.id}${level}${message}`;
  });
}

/**
 * Warns when the certified integration.hcl still has the template's
 * placeholders, which the catalog rejects. Certification and review still
 * pass, because the checks and the bundle are unaffected, but the vendor
 * must fill them in and certify again before listing.
 */
async function warnOfPlaceholders(ui: UI, bundle: string): Promise<void> {
  const problems = placeholderProblems(await loadIntegration(join(bundle, 'integration.hcl')));
  if (problems.length === 0) return;
  ui.error('Warning: the catalog rejects this integration.hcl, so the vendor must fix it and certify again:');
  for (const problem of problems) ui.error(`  ${problem}`);
}

export const pluginCertifyCommand: Command = {
  name: 'plugin certify',
  synopsis: 'Run the conformance suite against a plugin and write a review bundle',
  help: `
Usage: coffer plugin certify -kind=KIND [options] DIR_OR_BINARY

  Builds the project (npm run build, when package.json has a build script),
  starts a fresh Coffer server with a file audit device, registers the plugin
  by SHA-256, runs the conformance suite of its kind as integration.hcl
  describes, then runs the project's own tests (npm test). Writes a review
  bundle: results as JSON and JUnit XML, report.html, server, audit and
  plugin logs, integration.hcl and manifest.json. Exits with 0 only when
  every required check passed.

      $ coffer plugin certify -kind=secrets -output=certification .`,
  flags: [
    { name: 'kind', kind: 'string', usage: `Plugin kind. Suites exist for ${CERTIFIABLE_KINDS.join(', ')}. Required.` },
    { name: 'output', kind: 'string', usage: 'Bundle folder to write; it must not exist or be empty.', defaultText: './certification' },
    { name: 'build', kind: 'bool', usage: 'Run npm run build first. Set -build=false when the project is built already.', defaultText: 'true' },
    { name: 'project-tests', kind: 'bool', usage: "Run the project's npm test. Without it certification cannot pass.", defaultText: 'true' },
  ],
  async run({ ui, args, flags }) {
    expectArguments(args, 1);
    const kind = requireKind(flags.string('kind'));
    const output = flags.string('output', 'certification');
    const runProjectTests = flags.has('project-tests') ? flags.bool('project-tests') : true;
    const build = flags.has('build') ? flags.bool('build') : true;
    let outcome;
    try {
      outcome = await certifyPlugin({ target: args[0]!, kind, output, runProjectTests, build, progress: (line) => ui.error(line) });
    } catch (error) {
      ui.error(`Error certifying plugin: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    for (const suite of outcome.suites) for (const line of resultLines(suite)) ui.output(line);
    await warnOfPlaceholders(ui, resolve(output));
    if (outcome.passed) {
      ui.output(`Certification passed; bundle in ${resolve(output)}`);
      return 0;
    }
    for (const failure of outcome.failures) ui.error(failure);
    ui.error(`Certification failed: ${outcome.failures.length} required check(s) did not pass; bundle in ${resolve(output)}`);
    return 1;
  },
};

/**
 * Prints the count of checks per suite and every check that did not pass,
 * with its reason, because a reviewer must judge each skip and failure.
 * Call it only for a verified bundle, whose results.json is the certified one.
 */
async function printCheckSummary(ui: UI, bundle: string): Promise<void> {
  const { suites } = JSON.parse(await readFile(join(bundle, 'results.json'), 'utf8')) as { suites: SuiteResult[] };
  for (const suite of suites) {
    const count = (status: string) => suite.results.filter((check) => check.status === status).length;
    ui.output(`Suite ${suite.suite}: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`);
    for (const line of resultLines({ ...suite, results: suite.results.filter((check) => check.status !== 'passed') })) ui.output(line);
  }
}

export const pluginReviewCommand: Command = {
  name: 'plugin review',
  synopsis: 'Verify a certification bundle and summarize it',
  help: `
Usage: coffer plugin review BUNDLE

  Checks every file of a bundle that "coffer plugin certify" wrote against
  the SHA-256 in its manifest.json, and prints a summary for the reviewer:
  the plugin, its source and support terms, its hashes and each suite's
  results. Warns when integration.hcl still has template placeholders,
  which the catalog rejects. Exits with 1 when a file changed, is missing
  or was added, naming it, or when certification did not pass.

      $ coffer plugin review ./certification`,
  flags: [],
  async run({ ui, args }) {
    expectArguments(args, 1);
    let verification;
    try {
      verification = await verifyBundle(resolve(args[0]!));
    } catch (error) {
      ui.error(`Error reviewing bundle: ${(error as Error).message}`);
      return 1;
    }
    const { summary } = verification.manifest;
    ui.output(`Plugin:        ${summary.name} ${summary.version} (${summary.kind}) by ${summary.vendor}`);
    // Bundles written before the summary recorded the source and support terms lack both.
    ui.output(`Source:        ${(summary.source_url as string | undefined) ?? 'not recorded in this bundle: read integration.hcl'}`);
    ui.output(`Support:       ${describeSupport(summary.support as BundleSummary['support'] | undefined)}`);
    ui.output(`SHA-256:       ${summary.sha256}`);
    ui.output(`Entry SHA-256: ${summary.entry_sha256}`);
    ui.output(`Code SHA-256:  ${(summary.code_sha256 as string | undefined) ?? 'not recorded in this bundle'}`);
    ui.output(`SDK:           ${summary.sdk_version}`);
    ui.output(`Protocol:      ${summary.protocol}`);
    ui.output(`Coffer:        ${summary.coffer_version}`);
    ui.output(`Certified:     ${summary.finished_at}, ${summary.passed ? 'every required check passed' : 'FAILED'}`);
    ui.output(`Files:         ${Object.keys(verification.manifest.files).length} listed in manifest.json`);
    if (verification.problems.length === 0) await printCheckSummary(ui, resolve(args[0]!));
    for (const problem of verification.problems) ui.error(`Error: ${problem}`);
    if (verification.problems.length > 0) {
      ui.error('Review failed: the bundle changed after certification');
      return 1;
    }
    if (!summary.passed) {
      ui.error('Review failed: certification did not pass; see report.html');
      return 1;
    }
    await warnOfPlaceholders(ui, resolve(args[0]!));
    ui.output('Review passed: the bundle is intact; read report.html, server.log and audit.log before listing the plugin');
    return 0;
  },
};

export const pluginKitCommands: Command[] = [pluginNewCommand, pluginCertifyCommand, pluginReviewCommand];
