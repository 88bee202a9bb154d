import type { ConfigError } from './errors.js';
import type { ConfigSource } from './source.js';

/**
 * The place a setting is decoded in: the file, the enclosing stanza (if any)
 * and where that stanza starts, so errors can name the setting, the stanza
 * and the line.
 */
export class Scope {
  private constructor(
    readonly source: ConfigSource,
    /** Offset where the enclosing stanza starts, when found. Settings are searched from here. */
    readonly offset: number | undefined,
    /** The enclosing stanza's name, e.g. `listener`, or '' at the top level. */
    readonly stanza: string,
    /** The enclosing stanza's label as written, e.g. `tcp`. */
    readonly label: string,
  ) {}

  static topLevel(source: ConfigSource): Scope {
    return new Scope(source, undefined, '', '');
  }

  /** Returns the scope of a stanza that starts at `offset`. */
  block(stanza: string, label: string, offset: number | undefined): Scope {
    return new Scope(this.source, offset, stanza, label);
  }

  /** Returns the dotted setting name for ConfigError.setting, e.g. `listener.address`. */
  settingName(key: string): string {
    return this.stanza === '' ? key : `${this.stanza}.${key}`;
  }

  /** Words that place a setting in its stanza for messages, e.g. ` in listener "tcp"`. */
  get where(): string {
    if (this.stanza === '') return '';
    return this.label === '' ? ` in ${this.stanza}` : ` in ${this.stanza} "${this.label}"`;
  }

  /** Locates `key` within this scope, falling back to the stanza's own start. */
  locate(key: string): number | undefined {
    return this.source.findKey(key, this.offset ?? 0) ?? this.offset;
  }

  /** Builds an error about setting `key` of this scope. */
  fail(key: string, detail: string): ConfigError {
    return this.source.error(detail, this.settingName(key), this.locate(key));
  }

  /** Builds an error about the enclosing stanza as a whole. */
  failStanza(detail: string, setting = this.stanza): ConfigError {
    return this.source.error(detail, setting, this.offset);
  }
}
