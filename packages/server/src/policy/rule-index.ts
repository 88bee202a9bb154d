/**
 * The compiled rules of an ACL and their lookup, as Vault's ACL does it
 * (vault/acl.go): an exact-path map, a longest-prefix table for paths ending
 * in `*`, and a list of paths with `+` segments kept in priority order.
 *
 * Rules for the same path from several policies merge into one entry: their
 * capabilities are united, unless one of them denies, in which case the
 * entry only denies. Different paths never merge; the most specific match
 * decides alone, by Vault's documented priority:
 * 1. the later the first `+` or `*`, the higher;
 * 2. a path not ending in `*` beats one that does;
 * 3. fewer `+` segments beat more;
 * 4. a longer path beats a shorter one;
 * 5. a lexically greater path beats a smaller one.
 */
import { DENY } from './capabilities.js';
import type { ParameterValues } from './parameters.js';
import type { RulePermissions } from './path-rules.js';

/** The permissions of one path after merging every rule written for it. */
export interface MergedPermissions {
  capabilities: number;
  minWrappingTtl: number;
  maxWrappingTtl: number;
  allowedParameters?: Map<string, readonly unknown[]>;
  deniedParameters?: Map<string, readonly unknown[]>;
  requiredParameters: string[];
}

/** The facts of a path that the priority order compares. */
interface Specificity {
  /** Index of the first `+` or, for a plain prefix rule, of its `*`. */
  firstWildcard: number;
  /** True when the path ends in `*`. */
  isPrefix: boolean;
  /** Number of `+` segments. */
  wildcards: number;
  /** The path without its trailing `*`. */
  matchPath: string;
}

interface WildcardRule extends Specificity {
  segments: string[];
  permissions: MergedPermissions;
}

/** Collects rules for an ACL; `compile` returns the lookup structure. */
export class RuleIndexBuilder {
  private readonly exact = new Map<string, MergedPermissions>();
  private readonly prefixes = new Map<string, MergedPermissions>();
  private readonly wildcards = new Map<string, MergedPermissions>();

  /** Adds a rule for `path`, a concrete path (templates already rendered). */
  add(path: string, permissions: RulePermissions): void {
    // Vault's test for segment wildcards; "foo/+bar" counts, and its "+bar"
    // segment then only matches itself.
    const hasSegmentWildcards = path === '+' || path.includes('/+') || path.startsWith('+/');
    let table = this.exact;
    let key = path;
    if (hasSegmentWildcards) {
      table = this.wildcards;
    } else if (path.endsWith('*')) {
      table = this.prefixes;
      key = path.slice(0, -1);
    }
    table.set(key, mergePermissions(table.get(key), permissions));
  }

  compile(): RuleIndex {
    const wildcardRules: WildcardRule[] = [];
    for (const [path, permissions] of this.wildcards) {
      const isPrefix = path.endsWith('*');
      const matchPath = isPrefix ? path.slice(0, -1) : path;
      const segments = matchPath.split('/');
      wildcardRules.push({
        firstWildcard: path.indexOf('+'),
        isPrefix,
        wildcards: segments.filter((segment) => segment === '+').length,
        matchPath,
        segments,
        permissions,
      });
    }
    wildcardRules.sort((a, b) => compareSpecificity(b, a));
    return new RuleIndex(this.exact, this.prefixes, groupByFirstSegment(wildcardRules));
  }
}

/**
 * The `+` rules, each list in priority order. A rule whose first segment is
 * literal only matches paths that start with that segment, so it is filed
 * under it. Rules that start with `+` can match any path.
 */
interface WildcardRules {
  byFirstSegment: ReadonlyMap<string, readonly WildcardRule[]>;
  leadingWildcard: readonly WildcardRule[];
  count: number;
}

function groupByFirstSegment(sorted: readonly WildcardRule[]): WildcardRules {
  const byFirstSegment = new Map<string, WildcardRule[]>();
  const leadingWildcard: WildcardRule[] = [];
  for (const rule of sorted) {
    const first = rule.segments[0];
    if (first === '+') {
      leadingWildcard.push(rule);
      continue;
    }
    const bucket = byFirstSegment.get(first);
    if (bucket === undefined) byFirstSegment.set(first, [rule]);
    else bucket.push(rule);
  }
  return { byFirstSegment, leadingWildcard, count: sorted.length };
}

/** The compiled rules. Lookups do no parsing and allocate little. */
export class RuleIndex {
  /** Distinct prefix lengths, longest first, for the longest-prefix search. */
  private readonly prefixLengths: number[];

  constructor(
    private readonly exact: ReadonlyMap<string, MergedPermissions>,
    private readonly prefixes: ReadonlyMap<string, MergedPermissions>,
    private readonly wildcards: WildcardRules,
  ) {
    this.prefixLengths = [...new Set([...prefixes.keys()].map((prefix) => prefix.length))].sort((a, b) => b - a);
  }

  /**
   * Finds the permissions that govern `path`. A LIST of `foo/` also matches
   * an exact rule for `foo`, and tries the glob rules on `foo` before `foo/`,
   * as Vault does, because listing always names a folder.
   */
  lookup(path: string, isList: boolean): MergedPermissions | undefined {
    const exact = this.exact.get(path);
    if (exact !== undefined) return exact;
    if (!isList) return this.lookupNonExact(path);

    const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
    const exactTrimmed = this.exact.get(trimmed);
    if (exactTrimmed !== undefined) return exactTrimmed;
    if (trimmed !== path) {
      const folder = this.lookupNonExact(trimmed);
      if (folder !== undefined) return folder;
    }
    return this.lookupNonExact(path);
  }

  /**
   * Returns true when the rule governing `prefix`, or any rule for a path
   * below it, grants a capability without denying. A `+` rule counts when
   * some path below `prefix` could match it.
   */
  grantsUnder(prefix: string): boolean {
    const governing = this.lookup(prefix, true);
    if (governing !== undefined && grants(governing)) return true;
    for (const table of [this.exact, this.prefixes]) {
      for (const [path, permissions] of table) {
        if (path.startsWith(prefix) && grants(permissions)) return true;
      }
    }
    const parts = (prefix.endsWith('/') ? prefix.slice(0, -1) : prefix).split('/');
    const rules = [...this.wildcards.leadingWildcard, ...[...this.wildcards.byFirstSegment.values()].flat()];
    return rules.some((rule) => grants(rule.permissions) && reachesBelow(rule, parts));
  }

  private lookupNonExact(path: string): MergedPermissions | undefined {
    const prefix = this.longestPrefix(path);
    if (this.wildcards.count === 0) return prefix === undefined ? undefined : this.prefixes.get(prefix);

    // Each list is sorted by priority, so its first match is its best one.
    const parts = path.split('/');
    const literal = this.wildcards.byFirstSegment.get(parts[0])?.find((rule) => matchesSegments(rule, parts));
    const leading = this.wildcards.leadingWildcard.find((rule) => matchesSegments(rule, parts));
    const leadingWins = leading !== undefined && (literal === undefined || compareSpecificity(leading, literal) > 0);
    const wildcard = leadingWins ? leading : literal;
    if (prefix === undefined) return wildcard?.permissions;
    if (wildcard === undefined) return this.prefixes.get(prefix);

    const prefixSpecificity: Specificity = { firstWildcard: prefix.length, isPrefix: true, wildcards: 0, matchPath: prefix };
    return compareSpecificity(prefixSpecificity, wildcard) > 0 ? this.prefixes.get(prefix) : wildcard.permissions;
  }

  private longestPrefix(path: string): string | undefined {
    for (const length of this.prefixLengths) {
      if (length > path.length) continue;
      const candidate = path.slice(0, length);
      if (this.prefixes.has(candidate)) return candidate;
    }
    return undefined;
  }
}

/**
 * Matches a `+` path against the request path's segments. `+` matches any
 * one segment, and a trailing `*` lets the last segment be a prefix and
 * any segments follow.
 */
function matchesSegments(rule: WildcardRule, parts: readonly string[]): boolean {
  const segments = rule.segments;
  if (parts.length < segments.length) return false;
  if (!rule.isPrefix && parts.length !== segments.length) return false;

  const last = segments.length - 1;
  for (let index = 0; index <= last; index++) {
    const segment = segments[index];
    if (segment === '+' || segment === parts[index]) continue;
    if (rule.isPrefix && index === last && parts[index].startsWith(segment)) continue;
    return false;
  }
  return true;
}

/** Returns true when the permissions grant some capability and do not deny. */
function grants(permissions: MergedPermissions): boolean {
  return permissions.capabilities !== 0 && (permissions.capabilities & DENY) === 0;
}

/**
 * Returns true when a `+` rule could match a path whose first segments are
 * `parts`: each of the rule's segments up to there is `+` or equal, and a
 * rule shorter than `parts` covers the rest with its trailing `*`.
 */
function reachesBelow(rule: WildcardRule, parts: readonly string[]): boolean {
  const segments = rule.segments;
  if (segments.length < parts.length && !rule.isPrefix) return false;
  const compared = Math.min(segments.length, parts.length);
  for (let index = 0; index < compared; index++) {
    const segment = segments[index];
    if (segment === '+' || segment === parts[index]) continue;
    if (rule.isPrefix && index === segments.length - 1 && parts[index].startsWith(segment)) continue;
    return false;
  }
  return true;
}

/** Returns a positive number when `a` has the higher priority, negative when `b` has. */
function compareSpecificity(a: Specificity, b: Specificity): number {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard - b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return a.isPrefix ? -1 : 1;
  if (a.wildcards !== b.wildcards) return b.wildcards - a.wildcards;
  if (a.matchPath.length !== b.matchPath.length) return a.matchPath.length - b.matchPath.length;
  if (a.matchPath === b.matchPath) return 0;
  return a.matchPath > b.matchPath ? 1 : -1;
}

/**
 * Merges a rule into the entry for its path, as Vault's NewACL does. A deny
 * on either side wins and drops the parameter lists. Otherwise the
 * capabilities unite and each wrapping TTL bound takes the lower non-zero
 * value. Parameter value lists concatenate, except that an empty list
 * (any value) wins, and required parameters unite.
 */
function mergePermissions(existing: MergedPermissions | undefined, incoming: RulePermissions): MergedPermissions {
  if (existing === undefined) {
    const merged: MergedPermissions = {
      capabilities: incoming.capabilities,
      minWrappingTtl: incoming.minWrappingTtl,
      maxWrappingTtl: incoming.maxWrappingTtl,
      requiredParameters: [...incoming.requiredParameters],
    };
    if (incoming.allowedParameters !== undefined) merged.allowedParameters = new Map(incoming.allowedParameters);
    if (incoming.deniedParameters !== undefined) merged.deniedParameters = new Map(incoming.deniedParameters);
    return merged;
  }

  if ((existing.capabilities & DENY) !== 0) return existing;
  if ((incoming.capabilities & DENY) !== 0) {
    existing.capabilities = DENY;
    delete existing.allowedParameters;
    delete existing.deniedParameters;
    return existing;
  }

  existing.capabilities |= incoming.capabilities;
  existing.minWrappingTtl = lowerNonZero(existing.minWrappingTtl, incoming.minWrappingTtl);
  existing.maxWrappingTtl = lowerNonZero(existing.maxWrappingTtl, incoming.maxWrappingTtl);
  existing.allowedParameters = mergeValues(existing.allowedParameters, incoming.allowedParameters);
  existing.deniedParameters = mergeValues(existing.deniedParameters, incoming.deniedParameters);
  for (const name of incoming.requiredParameters) {
    if (!existing.requiredParameters.includes(name)) existing.requiredParameters.push(name);
  }
  return existing;
}

function lowerNonZero(current: number, incoming: number): number {
  if (incoming === 0) return current;
  return current === 0 || incoming < current ? incoming : current;
}

function mergeValues(
  existing: Map<string, readonly unknown[]> | undefined,
  incoming: ParameterValues | undefined,
): Map<string, readonly unknown[]> | undefined {
  if (incoming === undefined) return existing;
  if (existing === undefined) return new Map(incoming);
  for (const [name, values] of incoming) {
    const current = existing.get(name);
    if (values.length === 0 || (current !== undefined && current.length === 0)) {
      existing.set(name, []);
    } else {
      existing.set(name, [...values, ...(current ?? [])]);
    }
  }
  return existing;
}
