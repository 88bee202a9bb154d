/**
 * The text of a policy being parsed, with the helpers that put a line number
 * on an error. hcl2json returns plain values without positions, so a problem
 * in a path block is located by searching the text for the block's label and
 * then for the key at fault. When the search finds nothing, the error has no
 * line.
 */
import { badRequest, type CofferError } from '@coffer/sdk';

export type PolicyFormat = 'hcl' | 'json';

export class PolicySource {
  readonly format: PolicyFormat;
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly name: string,
    readonly text: string,
  ) {
    // As in HCL 1, which Vault uses: a document starting with `{` is JSON.
    this.format = text.trimStart().startsWith('{') ? 'json' : 'hcl';
    for (let index = 0; index < text.length; index++) {
      if (text[index] === '\n') this.lineStarts.push(index + 1);
    }
  }

  /** Builds the 400 error for a problem, prefixed with the policy name and the position when known. */
  error(problem: string, line?: number, column?: number): CofferError {
    let where = '';
    if (line !== undefined) where = column === undefined ? ` at line ${line}` : ` at line ${line}, column ${column}`;
    return badRequest(`invalid policy "${this.name}"${where}: ${problem}`);
  }

  /** Returns the 1-based line and column of a character offset. */
  position(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (this.lineStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - this.lineStarts[low] + 1 };
  }

  /**
   * Returns the line of the `occurrence`-th (0-based) block labelled
   * `label`: `path "label" {` in HCL, `"label": {` in JSON.
   */
  findPathLine(label: string, occurrence: number): number | undefined {
    const quoted = escapeRegExp(JSON.stringify(label));
    const pattern = this.format === 'hcl' ? new RegExp(`\\bpath\\s*${quoted}`, 'g') : new RegExp(`${quoted}\\s*:`, 'g');
    let seen = 0;
    for (const match of this.text.matchAll(pattern)) {
      if (seen === occurrence) return this.position(match.index).line;
      seen += 1;
    }
    return undefined;
  }

  /**
   * Returns the line of the first `key =`, `key {`, `key "label" {` or
   * `"key":` at or after `fromLine`, the line of the block that holds it.
   */
  findKeyLine(key: string, fromLine = 1): number | undefined {
    const start = this.lineStarts[fromLine - 1] ?? 0;
    const name = escapeRegExp(key);
    // A block may carry quoted labels between its name and its brace.
    const pattern = new RegExp(`(?:^|[\\s{,])(?:"${name}"|${name})(?:\\s+"(?:[^"\\\\]|\\\\.)*")*\\s*[=:{]`, 'g');
    pattern.lastIndex = start;
    const match = pattern.exec(this.text);
    if (match === null) return undefined;
    const keyOffset = match.index + match[0].search(/\S/);
    return this.position(keyOffset).line;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
