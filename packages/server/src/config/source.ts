/**
 * A config file's text, kept beside its parsed value so that errors can name
 * a line. Neither hcl2json nor JSON.parse reports where a setting sits, so the
 * lookups here scan the text for the setting's name. That is a best effort:
 * it skips `#` and `//` comment lines, but a name that also appears in a
 * block comment, a heredoc or a string before the real setting can point the
 * error at the wrong line.
 */
import { ConfigError } from './errors.js';

export type ConfigFormat = 'hcl' | 'json';

export interface Position {
  line: number;
  column: number;
}

export class ConfigSource {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly format: ConfigFormat,
  ) {}

  /**
   * Finds where `key` is written as a setting or stanza name, at or after
   * offset `from`. Returns the offset of the name (or its opening quote).
   */
  findKey(key: string, from = 0): number | undefined {
    const pattern = this.keyPattern(key);
    pattern.lastIndex = from;
    const match = pattern.exec(this.text);
    if (match === null) return undefined;
    return match.index + match[1].length;
  }

  /**
   * Finds the `occurrence`-th (0-based) stanza `stanza` with label `label`,
   * e.g. the second `listener "tcp"`. Returns the offset of the stanza name,
   * or of the label for JSON written as `"listener": [{"tcp": {...}}, ...]`.
   */
  findBlock(stanza: string, label: string, occurrence: number): number | undefined {
    if (this.format === 'hcl') {
      const pattern = new RegExp(
        `^[ \\t]*"?${escapeRegExp(stanza)}"?[ \\t]+"?${escapeRegExp(label)}"?[ \\t]*\\{`,
        'gim',
      );
      const matches = [...this.text.matchAll(pattern)];
      const match = matches[occurrence] ?? matches[0];
      if (match?.index !== undefined) return match.index + leadingSpace(match[0]);
      return this.findKey(stanza);
    }

    const stanzaOffset = this.findKey(stanza);
    if (stanzaOffset === undefined) return undefined;
    let offset = this.findKey(label, stanzaOffset);
    for (let index = 0; index < occurrence && offset !== undefined; index++) {
      const next = this.findKey(label, offset + 1);
      if (next === undefined) break;
      offset = next;
    }
    return offset ?? stanzaOffset;
  }

  /** Converts a character offset into a 1-based line and column. */
  position(offset: number): Position {
    const before = this.text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - (before.lastIndexOf('\n') + 1) + 1;
    return { line, column };
  }

  /** Builds a ConfigError for `setting`, located at `offset` when one is known. */
  error(detail: string, setting: string | undefined, offset: number | undefined): ConfigError {
    const position = offset === undefined ? undefined : this.position(offset);
    return new ConfigError(detail, {
      file: this.file,
      line: position?.line,
      column: position?.column,
      setting,
    });
  }

  private keyPattern(key: string): RegExp {
    const name = escapeRegExp(key);
    if (this.format === 'json') {
      // Group 1 is empty so that both patterns report the name's offset the same way.
      return new RegExp(`()"${name}"\\s*:`, 'g');
    }
    // A name starts a line or follows `{` or `,`, and is followed by `=`, `{`,
    // or a label. Comment lines start with `#` or `//` and so never match.
    return new RegExp(`((?:^|[{,])[ \\t]*)"?${name}"?(?=[ \\t]*[={]|[ \\t]+["A-Za-z_])`, 'gim');
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function leadingSpace(text: string): number {
  return text.length - text.trimStart().length;
}
