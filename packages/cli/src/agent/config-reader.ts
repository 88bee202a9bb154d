// Typed access to one stanza of an agent config, with errors that name the
// file, the stanza and the field.
import { parseGoBool } from '@coffer/sdk';
import { parseDuration } from '../flags.js';
import type { PlainObject, PlainValue } from './config-source.js';
import { AgentConfigError } from './config-source.js';

/** One occurrence of a labelled stanza, such as `method "approle" { ... }`. */
export interface LabelledStanza {
  label: string;
  stanza: Stanza;
}

/** The settings of one stanza, such as `auto_auth` or `template`. */
export class Stanza {
  constructor(
    readonly file: string,
    /** Where the stanza sits, such as `auto_auth.method "approle"`; '' for the top level. */
    readonly path: string,
    readonly values: PlainObject,
  ) {}

  /** Builds an error that names the file, this stanza and `field`. */
  error(field: string | undefined, problem: string): AgentConfigError {
    const place = [this.path, field].filter((part) => part !== undefined && part !== '').join('.');
    return new AgentConfigError(`${this.file}: ${place === '' ? '' : `${place}: `}${problem}`);
  }

  /**
   * Rejects a field that is not in `known`. `unsupported` lists fields Vault
   * Agent has and coffer agent does not, which get their own message.
   */
  checkFields(known: string[], unsupported: string[] = []): void {
    for (const key of Object.keys(this.values)) {
      if (known.includes(key)) continue;
      if (unsupported.includes(key)) throw this.error(key, 'this Vault Agent setting is not supported by coffer agent; remove it');
      throw this.error(key, `unknown field; the fields of this stanza are ${known.join(', ')}`);
    }
  }

  has(field: string): boolean {
    return this.values[field] !== undefined;
  }

  private scalar(field: string): PlainValue | undefined {
    const value = this.values[field];
    if (Array.isArray(value)) throw this.error(field, 'set more than once; set it once');
    return value ?? undefined;
  }

  string(field: string): string | undefined {
    const value = this.scalar(field);
    if (value === undefined) return undefined;
    if (typeof value === 'number') return String(value);
    if (typeof value !== 'string') throw this.error(field, `expected a string, got ${describe(value)}`);
    return value;
  }

  requiredString(field: string, hint: string): string {
    const value = this.string(field);
    if (value === undefined || value === '') throw this.error(field, `missing value: ${hint}`);
    return value;
  }

  bool(field: string, fallback: boolean): boolean {
    const value = this.scalar(field);
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string') {
      const parsed = parseGoBool(value);
      if (parsed !== undefined) return parsed;
    }
    throw this.error(field, `expected true or false, got ${describe(value)}`);
  }

  /** A duration in seconds, written as "5m", "90s" or a number of seconds. */
  duration(field: string, fallback: number): number {
    const value = this.scalar(field);
    if (value === undefined) return fallback;
    const seconds = typeof value === 'number' ? value : typeof value === 'string' ? parseDuration(value) : undefined;
    if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
      throw this.error(field, `expected a duration such as "30s" or "5m", got ${describe(value)}`);
    }
    return seconds;
  }

  /** A file mode, written as an octal string such as "0640" or an HCL number such as 0640. */
  fileMode(field: string, fallback: number): number {
    const value = this.scalar(field);
    if (value === undefined) return fallback;
    const mode = typeof value === 'number' ? value : typeof value === 'string' && /^[0-7]{1,4}$/.test(value) ? Number.parseInt(value, 8) : NaN;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
      throw this.error(field, `expected an octal file mode such as "0640", got ${describe(value)}`);
    }
    return mode;
  }

  /** A nested object such as a method's `config`, returned as its own stanza. */
  object(field: string): Stanza {
    let value = this.values[field];
    // A block written once, `config { ... }`, arrives as a one-element array.
    if (Array.isArray(value) && value.length === 1) value = value[0];
    if (Array.isArray(value)) throw this.error(field, 'set more than once; set it once');
    if (value === undefined || value === null) return new Stanza(this.file, this.child(field), {});
    if (typeof value !== 'object') throw this.error(field, `expected a block, got ${describe(value)}`);
    return new Stanza(this.file, this.child(field), value);
  }

  /** Every occurrence of an unlabelled block such as `template { ... }`. */
  blocks(field: string): Stanza[] {
    const occurrences = this.occurrences(field);
    return occurrences.map((value, index) => {
      const path = occurrences.length > 1 ? `${this.child(field)}[${index}]` : this.child(field);
      return new Stanza(this.file, path, value);
    });
  }

  /**
   * Every occurrence of a labelled block. The label comes from HCL's block
   * label, from a JSON object keyed by label, or from a `type` field, as
   * Vault Agent accepts `method "approle" {}` and `method { type = "approle" }`.
   */
  labelledBlocks(field: string): LabelledStanza[] {
    const result: LabelledStanza[] = [];
    for (const value of this.occurrences(field)) {
      if (typeof value.type === 'string') {
        const { type, ...rest } = value;
        result.push({ label: type, stanza: new Stanza(this.file, `${this.child(field)} "${type}"`, rest) });
        continue;
      }
      for (const [label, inner] of Object.entries(value)) {
        const bodies = Array.isArray(inner) ? inner : [inner];
        for (const body of bodies) {
          if (body === null || typeof body !== 'object' || Array.isArray(body)) {
            throw this.error(field, `expected ${field} "TYPE" { ... } or a type field, got ${label} = ${describe(body)}`);
          }
          result.push({ label, stanza: new Stanza(this.file, `${this.child(field)} "${label}"`, body) });
        }
      }
    }
    return result;
  }

  private occurrences(field: string): PlainObject[] {
    const value = this.values[field];
    if (value === undefined || value === null) return [];
    const list = Array.isArray(value) ? value : [value];
    return list.map((item) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) throw this.error(field, `expected a block, got ${describe(item)}`);
      return item;
    });
  }

  private child(field: string): string {
    return this.path === '' ? field : `${this.path}.${field}`;
  }
}

function describe(value: PlainValue): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a block';
  return JSON.stringify(value);
}
