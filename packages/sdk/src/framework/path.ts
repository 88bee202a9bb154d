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
  helpSynopsis: string;
  helpDescription: string;
}

/** A declared path with its compiled pattern. */
export interface CompiledPath {
  definition: PathDefinition<FieldMap>;
  regex: RegExp;
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
