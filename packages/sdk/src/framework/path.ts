/**
 * Path declarations. A path is data: one pattern with named captures, its
 * fields, its operations and its help.
 */
import type { PathOperation, Request, Response } from '../logical.js';
import type { FieldData } from './field-data.js';
import type { FieldMap } from './field.js';

export type PathHandler<F extends FieldMap> = (request: Request, fields: FieldData<F>) => Promise<Response | null>;

export interface PathDefinition<F extends FieldMap> {
  /**
   * A regular expression, without anchors, matched against the whole path
   * relative to the mount. Named groups (`(?<name>...)`) become fields of
   * the same name, which must be declared in `fields`.
   */
  pattern: string;
  fields: F;
  operations: Partial<Record<PathOperation, PathHandler<F>>>;
  /**
   * Tells create from update: when present, a write to a path that does not
   * exist is a `create` and needs the create capability.
   */
  existenceCheck?: (request: Request, fields: FieldData<F>) => Promise<boolean>;
  /** Accept fields that are not declared; they are available in `fields.raw`. */
  takesArbitraryInput?: boolean;
  /**
   * Ignore fields that are not declared, and name them in a warning of the
   * response, as Vault's own paths do, instead of rejecting the request.
   * For paths that common clients send extra fields to, such as
   * `node-vault`, which repeats `mount_point` in the body of `sys/mounts`.
   */
  ignoresUnknownFields?: boolean;
  helpSynopsis: string;
  helpDescription: string;
}

/** A declared path with its compiled pattern. */
export interface CompiledPath {
  definition: PathDefinition<FieldMap>;
  regex: RegExp;
  /**
   * Text that every path the pattern matches starts with, so routing can
   * skip the regex for other paths. Empty when the pattern starts with
   * regex syntax or contains an alternation.
   */
  literalPrefix: string;
  /** The pattern's named groups in order, read from its first match. */
  groupNames?: string[];
}

/** Characters that end the literal start of a pattern. */
const REGEX_SYNTAX = new Set(['\\', '^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}']);
/** Quantifiers that can make the character before them optional. */
const OPTIONAL_QUANTIFIERS = new Set(['?', '*', '{']);

/**
 * Returns the literal text that starts every match of `pattern`: the
 * characters before its first regex syntax, without the last one when a
 * quantifier may make it optional. A pattern with an alternation has none,
 * because `^a|b$` also matches paths that do not start with "a".
 */
export function literalPrefix(pattern: string): string {
  if (pattern.includes('|')) return '';
  let end = 0;
  while (end < pattern.length && !REGEX_SYNTAX.has(pattern[end])) end++;
  if (end > 0 && end < pattern.length && OPTIONAL_QUANTIFIERS.has(pattern[end])) end--;
  return pattern.slice(0, end);
}

/** Declares a path; the identity function exists so TypeScript infers `F`. */
export function definePath<F extends FieldMap>(definition: PathDefinition<F>): PathDefinition<FieldMap> {
  return definition as unknown as PathDefinition<FieldMap>;
}

/** A named capture of one path segment, as in Vault's `GenericNameRegex`. */
export function nameSegment(name: string): string {
  return `(?<${name}>\\w(?:[\\w.@-]*\\w)?)`;
}

/** A named capture of the rest of the path, any depth. */
export function restOfPath(name: string): string {
  return `(?<${name}>.+)`;
}

/** An optional trailing slash. */
export const OPTIONAL_TRAILING_SLASH = '/?';
