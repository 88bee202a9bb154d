/**
 * One `path "..." { ... }` block of a policy: its keys checked and turned
 * into a rule, following Vault's parsePaths (vault/policy.go).
 */
import { isPlainObject, parseDurationSeconds, type CofferError } from '@coffer/sdk';
import { closestName } from '../config/suggest.js';
import { CAPABILITY_BITS, CAPABILITY_NAMES, DENY, isCapability } from './capabilities.js';
import { ANY_PARAMETER, type ParameterConstraints, type ParameterValues } from './parameters.js';
import type { PolicySource } from './source.js';
import { parsePathTemplate, type PathTemplate } from './templates.js';

/** The capabilities and constraints a rule sets on its path. */
export interface RulePermissions extends ParameterConstraints {
  /** Capability bits, see capabilities.ts. A rule with deny holds only the deny bit. */
  capabilities: number;
  /** Seconds; 0 when unset. */
  minWrappingTtl: number;
  /** Seconds; 0 when unset. */
  maxWrappingTtl: number;
}

/** One parsed path block. */
export interface PathRule {
  /** The path as written, without a leading `/`, directives included. */
  readonly path: string;
  /** Present when the path contains `{{...}}` directives, rendered per entity. */
  readonly template?: PathTemplate;
  readonly permissions: RulePermissions;
}

/** A path block as the parser found it. */
export interface PathBlock {
  label: string;
  body: Record<string, unknown>;
  /** How many blocks with the same label came before this one. */
  occurrence: number;
}

const KNOWN_KEYS = [
  'capabilities',
  'policy',
  'allowed_parameters',
  'denied_parameters',
  'required_parameters',
  'min_wrapping_ttl',
  'max_wrapping_ttl',
  'comment',
] as const;

/** Keys of Vault Enterprise that change who may pass; ignoring them would grant too much. */
const ENTERPRISE_KEYS = ['mfa_methods', 'control_group'];

/** The capabilities of Vault's pre-0.5 `policy = "..."` shorthand. */
const LEGACY_POLICIES: Readonly<Record<string, readonly string[]>> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

const DURATION_HINT = 'use seconds or a duration such as "90s", "5m" or "1h"';

/** Reports problems in one block, each on the line of the key at fault when it can be found. */
class BlockContext {
  readonly line: number | undefined;

  constructor(
    readonly source: PolicySource,
    readonly block: PathBlock,
  ) {
    this.line = source.findPathLine(block.label, block.occurrence);
  }

  fail(problem: string, key?: string): CofferError {
    const keyLine = key === undefined ? undefined : this.source.findKeyLine(key, this.line ?? 1);
    return this.source.error(`path ${JSON.stringify(this.block.label)}: ${problem}`, keyLine ?? this.line);
  }
}

/**
 * Parses one path block.
 * @throws CofferError (400) naming the policy, the line when found, the path and the problem.
 */
export function parsePathRule(source: PolicySource, block: PathBlock): PathRule {
  const context = new BlockContext(source, block);
  checkKeys(context);

  const path = block.label.startsWith('/') ? block.label.slice(1) : block.label;
  const template = parsePath(context, path);
  const capabilities = parseCapabilities(context);
  const permissions: RulePermissions = {
    capabilities,
    requiredParameters: parseRequiredParameters(context),
    minWrappingTtl: parseWrappingTtl(context, 'min_wrapping_ttl'),
    maxWrappingTtl: parseWrappingTtl(context, 'max_wrapping_ttl'),
  };
  const allowed = parseParameterValues(context, 'allowed_parameters');
  if (allowed !== undefined) permissions.allowedParameters = allowed;
  const denied = parseParameterValues(context, 'denied_parameters');
  if (denied !== undefined) permissions.deniedParameters = denied;

  const { minWrappingTtl, maxWrappingTtl } = permissions;
  if (minWrappingTtl > 0 && maxWrappingTtl > 0 && maxWrappingTtl < minWrappingTtl) {
    throw context.fail(`max_wrapping_ttl (${maxWrappingTtl}s) is less than min_wrapping_ttl (${minWrappingTtl}s)`, 'max_wrapping_ttl');
  }
  return template === null ? { path, permissions } : { path, template, permissions };
}

function checkKeys(context: BlockContext): void {
  for (const key of Object.keys(context.block.body)) {
    if ((KNOWN_KEYS as readonly string[]).includes(key)) continue;
    if (ENTERPRISE_KEYS.includes(key)) {
      throw context.fail(`"${key}" is a Vault Enterprise feature that Coffer does not support; remove it`, key);
    }
    const suggestion = closestName(key, KNOWN_KEYS);
    const hint = suggestion === undefined ? `use ${listOf(KNOWN_KEYS)}` : `did you mean "${suggestion}"?`;
    throw context.fail(`unknown key "${key}"; ${hint}`, key);
  }
}

/**
 * Checks where the globs stand and parses `{{...}}` directives. Returns the
 * template, or `null` for a path without directives.
 */
function parsePath(context: BlockContext, path: string): PathTemplate | null {
  if (path === '') throw context.fail('the path is empty; name a path such as "secret/*"');
  if (path.includes('+*')) throw context.fail('invalid use of wildcards: "+*" is forbidden');
  const glob = path.indexOf('*');
  if (glob !== -1 && glob !== path.length - 1) {
    throw context.fail('"*" is only allowed as the last character; use "+" to match one segment');
  }

  const template = parsePathTemplate(path);
  if (template !== null && 'error' in template) throw context.fail(template.error);
  return template;
}

function parseCapabilities(context: BlockContext): number {
  const body = context.block.body;
  const names: string[] = [];

  if (body.capabilities !== undefined) {
    if (!Array.isArray(body.capabilities) || !body.capabilities.every((item) => typeof item === 'string')) {
      throw context.fail('capabilities must be a list of strings such as ["read", "list"]', 'capabilities');
    }
    names.push(...(body.capabilities as string[]));
  }
  if (body.policy !== undefined) {
    const known = typeof body.policy === 'string' && Object.hasOwn(LEGACY_POLICIES, body.policy);
    const legacy = known ? LEGACY_POLICIES[body.policy as string] : undefined;
    if (legacy === undefined) {
      throw context.fail(`unknown policy value ${JSON.stringify(body.policy)}; use "deny", "read", "write" or "sudo", or list capabilities`, 'policy');
    }
    names.push(...legacy);
  }

  let bits = 0;
  for (const name of names) {
    if (!isCapability(name)) {
      const suggestion = closestName(name, CAPABILITY_NAMES);
      const hint = suggestion === undefined ? '' : `. Did you mean "${suggestion}"?`;
      throw context.fail(`unknown capability "${name}"; use ${listOf(CAPABILITY_NAMES)}${hint}`, 'capabilities');
    }
    bits |= CAPABILITY_BITS[name];
  }
  // Deny replaces every other capability of the rule.
  return (bits & DENY) !== 0 ? DENY : bits;
}

/**
 * Parses `allowed_parameters` or `denied_parameters`: an object (or, in the
 * block form hcl2json produces for `key { ... }`, a list of objects) mapping
 * parameter names to lists of values. Names are lower-cased as in Vault.
 * Returns `undefined` when the key is absent or the object is empty.
 */
function parseParameterValues(context: BlockContext, key: 'allowed_parameters' | 'denied_parameters'): ParameterValues | undefined {
  const raw = context.block.body[key];
  if (raw === undefined) return undefined;

  const objects = Array.isArray(raw) ? raw : [raw];
  if (!objects.every(isPlainObject)) {
    throw context.fail(`${key} must be an object of parameter names and value lists, such as { "foo" = [] }`, key);
  }

  const values = new Map<string, readonly unknown[]>();
  for (const object of objects as Record<string, unknown>[]) {
    for (const [name, list] of Object.entries(object)) {
      if (!Array.isArray(list)) {
        throw context.fail(`${key} "${name}" must be a list of values such as [] or ["zip", "zap"]`, key);
      }
      if (name.includes('*') && name !== ANY_PARAMETER) {
        throw context.fail(`${key} name "${name}" may not contain "*"; use "*" alone for every parameter`, key);
      }
      if (name === ANY_PARAMETER && list.length > 0) {
        throw context.fail(`${key} "*" must be [] because "*" stands for every parameter`, key);
      }
      values.set(name.toLowerCase(), list);
    }
  }
  return values.size === 0 ? undefined : values;
}

function parseRequiredParameters(context: BlockContext): string[] {
  const raw = context.block.body.required_parameters;
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || !raw.every((item) => typeof item === 'string')) {
    throw context.fail('required_parameters must be a list of parameter names such as ["bar"]', 'required_parameters');
  }
  for (const name of raw as string[]) {
    if (name.includes('*')) {
      throw context.fail(`required_parameters name "${name}" may not contain "*"; name each required parameter`, 'required_parameters');
    }
  }
  return raw as string[];
}

function parseWrappingTtl(context: BlockContext, key: 'min_wrapping_ttl' | 'max_wrapping_ttl'): number {
  const raw = context.block.body[key];
  if (raw === undefined) return 0;
  const seconds = typeof raw === 'number' || typeof raw === 'string' ? parseDurationSeconds(raw) : null;
  if (seconds === null) throw context.fail(`invalid ${key} ${JSON.stringify(raw)}; ${DURATION_HINT}`, key);
  return seconds;
}

function listOf(names: readonly string[]): string {
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
