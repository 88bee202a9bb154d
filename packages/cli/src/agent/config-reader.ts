// Typed access to one stanza of an agent config, with errors that name the
// file, the line, the stanza and the field.
import { parseGoBool } from '@coffer/sdk';
import { parseDuration } from '../flags.js';
import type { PlainObject, PlainValue } from './config-source.js';
import { AgentConfigError } from './config-source.js';

/** One occurrence of a labelled stanza, such as `method "approle" { ... }`. */
export interface LabelledStanza {
  label: string;
  stanza: Stanza;
}

/**
 * The text of a config file, for the line numbers in errors. Neither parser
 * reports where a setting sits, so the name of each stanza and field is
 * searched for in the text, after the stanza that contains it.
 * NOTE: this is a best effort. A name that also appears earlier in a string
 * or a block comment can point an error at the wrong line.
 */
export class SourceText {
  constructor(
    readonly text: string,
    readonly format: 'hcl' | 'json',
  ) {}

  /** Returns the offset of `key` written as a setting or stanza name at or after `from`, or undefined. */
  find(key: string, from: number): number | undefined {
    const name = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // In HCL a name starts a line or follows "{" or ",", and "=", "{" or a label follows it.
    const pattern =
      this.format === 'json' ? new RegExp(`()"${name}"\\s*:`, 'g') : new RegExp(`((?:^|[{,])[ \\t]*)"?${name}"?(?=[ \\t]*[={]|[ \\t]+["A-Za-z_])`, 'gm');
    pattern.lastIndex = from;
    const match = pattern.exec(this.text);
    return match === null ? undefined : match.index + match[1].length;
  }

  line(offset: number): number {
    return this.text.slice(0, offset).split('\n').length;
  }
}

/** The settings of one stanza, such as `auto_auth` or `template`. */
export class Stanza {
  constructor(
    readonly file: string,
    /** Place of the stanza in the file, such as `auto_auth.method "approle"`; '' for the top level. */
    readonly path: string,
    readonly values: PlainObject,
    private readonly source?: SourceText,
    /** Offset of the stanza's name in the source text. */
    private readonly offset = 0,
  ) {}

  /** Builds an error that names the file, the line when it is found, this stanza and `field`. */
  error(field: string | undefined, problem: string): AgentConfigError {
    const place = [this.path, field].filter((part) => part !== undefined && part !== '').join('.');
    const offset = field === undefined ? this.offset : (this.source?.find(field, this.offset) ?? this.offset);
    const location = this.source === undefined || (this.path === '' && field === undefined) ? this.file : `${this.file}:${this.source.line(offset)}`;
    return new AgentConfigError(`${location}: ${place === '' ? '' : `${place}: `}${problem}`);
  }

  /** Builds the stanza of `values`, found as `field` at or after `from` in the source. */
  private nested(field: string, path: string, values: PlainObject, from = this.offset): Stanza {
    return new Stanza(this.file, path, values, this.source, this.source?.find(field, from) ?? from);
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

  /** Returns a list of strings, such as exec's `command`. */
  stringList(field: string): string[] | undefined {
    const value = this.values[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw this.error(field, `expected a list of strings, got ${describe(value)}`);
    return value as string[];
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

  /** Returns a duration in seconds, written as "5m", "90s" or a number of seconds. */
  duration(field: string, fallback: number): number {
    const value = this.scalar(field);
    if (value === undefined) return fallback;
    let seconds: number | undefined;
    if (typeof value === 'number') seconds = value;
    else if (typeof value === 'string') seconds = parseDuration(value);
    if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
      throw this.error(field, `expected a duration such as "30s" or "5m", got ${describe(value)}`);
    }
    return seconds;
  }

  /** Returns a file mode, written as an octal string such as "0640" or an HCL number such as 0640. */
  fileMode(field: string, fallback: number): number {
    const value = this.scalar(field);
    if (value === undefined) return fallback;
    const mode = typeof value === 'number' ? value : typeof value === 'string' && /^[0-7]{1,4}$/.test(value) ? Number.parseInt(value, 8) : NaN;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
      throw this.error(field, `expected an octal file mode such as "0640", got ${describe(value)}`);
    }
    return mode;
  }

  /** Returns a nested object such as a method's `config` as its own stanza. */
  object(field: string): Stanza {
    let value = this.values[field];
    // A block written once, `config { ... }`, arrives as a one-element array.
    if (Array.isArray(value) && value.length === 1) value = value[0];
    if (Array.isArray(value)) throw this.error(field, 'set more than once; set it once');
    if (value === undefined || value === null) return new Stanza(this.file, this.child(field), {}, this.source, this.offset);
    if (typeof value !== 'object') throw this.error(field, `expected a block, got ${describe(value)}`);
    return this.nested(field, this.child(field), value);
  }

  /** Returns every occurrence of an unlabelled block such as `template { ... }`. */
  blocks(field: string): Stanza[] {
    const occurrences = this.occurrences(field);
    let from = this.offset;
    return occurrences.map((value, index) => {
      const path = occurrences.length > 1 ? `${this.child(field)}[${index}]` : this.child(field);
      const stanza = this.nested(field, path, value, from);
      from = stanza.offset + 1;
      return stanza;
    });
  }

  /**
   * Returns every occurrence of a labelled block. The label comes from HCL's block
   * label, from a JSON object keyed by label, or from a `type` field, as
   * Vault Agent accepts `method "approle" {}` and `method { type = "approle" }`.
   */
  labelledBlocks(field: string): LabelledStanza[] {
    const result: LabelledStanza[] = [];
    let from = this.offset;
    const add = (label: string, body: PlainObject): void => {
      const stanza = this.nested(field, `${this.child(field)} "${label}"`, body, from);
      from = stanza.offset + 1;
      result.push({ label, stanza });
    };
    for (const value of this.occurrences(field)) {
      if (typeof value.type === 'string') {
        const { type, ...rest } = value;
        add(type, rest);
        continue;
      }
      for (const [label, inner] of Object.entries(value)) {
        const bodies = Array.isArray(inner) ? inner : [inner];
        for (const body of bodies) {
          if (body === null || typeof body !== 'object' || Array.isArray(body)) {
            throw this.error(field, `expected ${field} "TYPE" { ... } or a type field, got ${label} = ${describe(body)}`);
          }
          add(label, body);
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
