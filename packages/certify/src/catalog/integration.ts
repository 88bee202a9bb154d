/**
 * integration.hcl: the listing of one plugin in the integration catalog.
 * This module parses the file, checks it against the catalog's schema and
 * returns the typed integration with its conformance description.
 */
import { readFile } from 'node:fs/promises';
import type { AuditDescription } from '../audit/suite.js';
import type { AuthDescription, AuthRequest } from '../auth/suite.js';
import type { DatabaseDescription } from '../database/checks.js';
import type { SealDescription } from '../seal/suite.js';
import type { SecretsDescription } from '../secrets/suite.js';
import type { StorageDescription } from '../storage/certify.js';

/** The plugin kinds of Coffer, as `kind` takes them. */
export const PLUGIN_KINDS = ['secrets', 'auth', 'database', 'audit', 'seal', 'storage'] as const;
export type IntegrationKind = (typeof PLUGIN_KINDS)[number];

/** Support terms every listed integration commits to. */
export const MAX_CRITICAL_RESPONSE_HOURS = 48;
export const MAX_OTHER_RESPONSE_BUSINESS_DAYS = 5;

/** Description of how the certify run exercises the plugin: one block, named after the kind. */
export type CertifyDescription =
  | { kind: 'secrets'; secrets: SecretsDescription }
  | { kind: 'auth'; auth: AuthDescription }
  | { kind: 'audit'; audit: AuditDescription }
  | { kind: 'storage'; storage: StorageDescription }
  | { kind: 'database'; database: DatabaseDescription }
  | { kind: 'seal'; seal: SealDescription };

/** A checked integration.hcl. */
export interface Integration {
  name: string;
  vendor: string;
  kind: IntegrationKind;
  version: string;
  description: string;
  docs_url: string;
  source_url: string;
  license: string;
  /** Coffer versions the plugin supports, as a semver range such as `>=0.1.0`. */
  coffer_versions: string;
  support: { contact: string; critical_response_hours: number; other_response_business_days: number };
  /** Date of the last passing certification, `YYYY-MM-DD`; absent until certified. */
  certified?: string;
  /** True for plugins that ship inside Coffer. */
  builtin: boolean;
  /** Interpreter of the plugin: `node` (a JavaScript entry) or `python3` (a script). Absent for built-ins. */
  runtime?: 'node' | 'python3';
  /** Entry file relative to the project folder, such as `dist/index.js`. Absent for built-ins. */
  entry?: string;
  certify?: CertifyDescription;
}

/** Raised for a file that does not fit the schema; `problems` lists every one. */
export class IntegrationError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'IntegrationError';
  }
}

const NAME = /^[a-z][a-z0-9-]*$/;
const SEMVER = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;
const URL_PATTERN = /^https?:\/\/\S+$/;
/** A path inside the Coffer repository, for plugins that ship with it. */
const REPOSITORY_PATH = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[\w.\/-]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const STRING_FIELDS = ['name', 'vendor', 'kind', 'version', 'description', 'docs_url', 'source_url', 'license', 'coffer_versions'] as const;

interface Hcl2Json {
  parse(filename: string, contents: string): Promise<unknown>;
}
// Imported by a name TypeScript does not resolve, because the package's own
// typings pull in the DOM library.
const HCL2JSON_MODULE: string = '@cdktf/hcl2json';

/** Vendor name that `coffer plugin new` writes until the vendor gives one with -vendor. */
export const TEMPLATE_VENDOR = 'Example Vendor';

/** An address at a domain reserved for documentation (RFC 2606), which the templates use as placeholders. */
const PLACEHOLDER_ADDRESS = /(?:^|[@./])example\.(?:com|net|org)(?:[/:?#]|$)/i;

/** Lists the template placeholders left in the vendor, URLs and support contact, one problem each. */
export function placeholderProblems(integration: Integration): string[] {
  const problems: string[] = [];
  if (integration.vendor === TEMPLATE_VENDOR) problems.push(`"vendor" is the template's placeholder "${TEMPLATE_VENDOR}": give the vendor's name`);
  for (const field of ['docs_url', 'source_url'] as const) {
    const value = integration[field];
    if (PLACEHOLDER_ADDRESS.test(value)) problems.push(`"${field}" "${value}" is a placeholder address: give the plugin's published address`);
  }
  const contact = integration.support.contact;
  if (PLACEHOLDER_ADDRESS.test(contact)) problems.push(`"support.contact" "${contact}" is a placeholder address: give the address where the vendor answers issues`);
  return problems;
}

/**
 * Checks what a catalog listing needs beyond the schema: no placeholder
 * from the template in the vendor, URLs or support contact, and the date
 * of the passing certification for a plugin that is not built in. A
 * project's own integration.hcl may still contain placeholders, so only the
 * catalog runs this check.
 * @throws IntegrationError listing every problem.
 */
export function checkListing(file: string, integration: Integration): void {
  const problems = placeholderProblems(integration);
  if (!integration.builtin && integration.certified === undefined) {
    problems.push('missing "certified": give the date of the passing certification run, such as 2026-01-31');
  }
  if (problems.length > 0) throw new IntegrationError(file, problems);
}

/** Reads and checks one integration.hcl. @throws IntegrationError listing every problem. */
export async function loadIntegration(file: string): Promise<Integration> {
  const text = await readFile(file, 'utf8');
  const { default: hcl2json } = (await import(HCL2JSON_MODULE)) as { default: Hcl2Json };
  let raw: unknown;
  try {
    raw = await hcl2json.parse(file, text);
  } catch (error) {
    throw new IntegrationError(file, [`invalid HCL: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return checkIntegration(file, raw);
}

/** Checks parsed HCL against the schema. @throws IntegrationError listing every problem. */
export function checkIntegration(file: string, raw: unknown): Integration {
  const problems: string[] = [];
  const body = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;

  for (const field of STRING_FIELDS) {
    if (typeof body[field] !== 'string' || (body[field] as string).trim() === '') problems.push(`missing or empty "${field}"`);
  }
  const known = new Set<string>([...STRING_FIELDS, 'support', 'certified', 'builtin', 'runtime', 'entry', 'certify']);
  for (const field of Object.keys(body)) if (!known.has(field)) problems.push(`unknown field "${field}"`);

  const text = (field: string): string => (typeof body[field] === 'string' ? (body[field] as string) : '');
  if (text('name') !== '' && !NAME.test(text('name'))) problems.push(`invalid "name" "${text('name')}": use lowercase letters, digits and dashes`);
  if (text('kind') !== '' && !(PLUGIN_KINDS as readonly string[]).includes(text('kind'))) problems.push(`invalid "kind" "${text('kind')}": use one of ${PLUGIN_KINDS.join(', ')}`);
  if (text('version') !== '' && !SEMVER.test(text('version'))) problems.push(`invalid "version" "${text('version')}": use a semantic version such as 1.2.0`);
  for (const field of ['docs_url', 'source_url']) {
    const value = text(field);
    if (value !== '' && !URL_PATTERN.test(value) && !REPOSITORY_PATH.test(value)) problems.push(`invalid "${field}" "${value}": use an http or https URL`);
  }
  if (body.certified !== undefined && (typeof body.certified !== 'string' || !DATE.test(body.certified))) problems.push('invalid "certified": use a date such as 2026-01-31');
  if (body.builtin !== undefined && typeof body.builtin !== 'boolean') problems.push('invalid "builtin": use true or false');
  if (body.runtime !== undefined && body.runtime !== 'node' && body.runtime !== 'python3') problems.push('invalid "runtime": use "node" or "python3"');
  if (body.builtin !== true && (typeof body.runtime !== 'string' || typeof body.entry !== 'string')) {
    problems.push('missing "runtime" or "entry": a plugin that is not built in says how it runs');
  }

  const support = checkSupport(body.support, problems);
  const certify = body.certify === undefined ? undefined : checkCertify(text('kind'), body.certify, problems);
  if (problems.length > 0) throw new IntegrationError(file, problems);

  const integration: Integration = {
    name: text('name'),
    vendor: text('vendor'),
    kind: text('kind') as IntegrationKind,
    version: text('version'),
    description: text('description'),
    docs_url: text('docs_url'),
    source_url: text('source_url'),
    license: text('license'),
    coffer_versions: text('coffer_versions'),
    support: support!,
    builtin: body.builtin === true,
  };
  if (typeof body.certified === 'string') integration.certified = body.certified;
  if (typeof body.runtime === 'string') integration.runtime = body.runtime as 'node' | 'python3';
  if (typeof body.entry === 'string') integration.entry = body.entry;
  if (certify !== undefined) integration.certify = certify;
  return integration;
}

/** hcl2json returns every block as a list of bodies; a block given once is its first body. */
function single(value: unknown): Record<string, unknown> | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : undefined;
}

function checkSupport(value: unknown, problems: string[]): Integration['support'] | undefined {
  const support = single(value);
  if (support === undefined) {
    problems.push('missing "support" block with contact, critical_response_hours and other_response_business_days');
    return undefined;
  }
  const contact = support.contact;
  const critical = support.critical_response_hours;
  const other = support.other_response_business_days;
  if (typeof contact !== 'string' || contact.trim() === '') problems.push('missing "support.contact"');
  if (typeof critical !== 'number' || critical <= 0 || critical > MAX_CRITICAL_RESPONSE_HOURS) {
    problems.push(`invalid "support.critical_response_hours": critical issues must be answered within ${MAX_CRITICAL_RESPONSE_HOURS} hours`);
  }
  if (typeof other !== 'number' || other <= 0 || other > MAX_OTHER_RESPONSE_BUSINESS_DAYS) {
    problems.push(`invalid "support.other_response_business_days": other issues must be answered within ${MAX_OTHER_RESPONSE_BUSINESS_DAYS} business days`);
  }
  return { contact: String(contact), critical_response_hours: Number(critical), other_response_business_days: Number(other) };
}

function checkCertify(kind: string, value: unknown, problems: string[]): CertifyDescription | undefined {
  const certify = single(value);
  const block = certify === undefined ? undefined : single(certify[kind]);
  if (certify === undefined || block === undefined) {
    problems.push(`the "certify" block needs a "${kind}" block inside it, named after the kind`);
    return undefined;
  }
  for (const other of Object.keys(certify)) if (other !== kind) problems.push(`unexpected block "certify.${other}": the plugin's kind is "${kind}"`);

  switch (kind) {
    case 'secrets':
      requireFields(block, ['write_path', 'write_data'], 'certify.secrets', problems);
      return { kind, secrets: block as unknown as SecretsDescription };
    case 'auth':
      return { kind, auth: authDescription(block, problems) };
    case 'audit':
      requireFields(block, ['options', 'log_file'], 'certify.audit', problems);
      return { kind, audit: block as unknown as AuditDescription };
    case 'storage':
      requireFields(block, ['settings', 'persistent'], 'certify.storage', problems);
      return { kind, storage: block as unknown as StorageDescription };
    case 'database':
      requireFields(block, ['connection', 'creation_statements'], 'certify.database', problems);
      requireStringList(block, ['creation_statements', 'revocation_statements', 'noop_statements'], 'certify.database', problems);
      return { kind, database: block as unknown as DatabaseDescription };
    case 'seal':
      requireFields(block, ['settings'], 'certify.seal', problems);
      return { kind, seal: block as unknown as SealDescription };
    default:
      return undefined;
  }
}

function requireFields(block: Record<string, unknown>, fields: string[], where: string, problems: string[]): void {
  for (const field of fields) if (block[field] === undefined) problems.push(`missing "${where}.${field}"`);
}

function requireStringList(block: Record<string, unknown>, fields: string[], where: string, problems: string[]): void {
  for (const field of fields) {
    const value = block[field];
    if (value !== undefined && (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))) problems.push(`invalid "${where}.${field}": use a list of strings`);
  }
}

/** Builds the auth description from repeated `setup` and `bad_login` blocks and one `login` block. */
function authDescription(block: Record<string, unknown>, problems: string[]): AuthDescription {
  requireFields(block, ['login', 'bad_login', 'policies', 'alias', 'ttl', 'max_ttl'], 'certify.auth', problems);
  const requests = (value: unknown): AuthRequest[] => {
    if (value === undefined) return [];
    return (Array.isArray(value) ? value : [value]) as AuthRequest[];
  };
  const description: AuthDescription = {
    login: single(block.login) as unknown as AuthRequest,
    bad_logins: requests(block.bad_login),
    setup: requests(block.setup),
    policies: (block.policies ?? []) as string[],
    alias: String(block.alias),
    ttl: Number(block.ttl),
    max_ttl: Number(block.max_ttl),
  };
  if (block.options !== undefined) description.options = block.options as Record<string, string>;
  if (block.skip !== undefined) description.skip = block.skip as Record<string, string>;
  return description;
}
