// Prints an HCL syntax tree in canonical form: two-space indentation, one
// item per line, `key = value` with the equals signs of neighbouring
// one-line attributes aligned, objects on several lines, and comments and
// blank lines kept where they were.
import type { Attribute, Body, Item, LeadingLines, ListValue, Value } from './parser.js';
import { parseHcl } from './parser.js';

const indentUnit = '  ';

/**
 * Formats HCL source in canonical form. Formatting the result again returns
 * it unchanged.
 *
 * @throws HclSyntaxError when the source does not parse.
 */
export function formatHcl(source: string): string {
  return printHcl(parseHcl(source));
}

/** Prints a parsed file, ending with one newline; an empty file stays empty. */
export function printHcl(file: Body): string {
  const lines = bodyLines(file, 0);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function indent(depth: number): string {
  return indentUnit.repeat(depth);
}

function commentLines(lines: LeadingLines, depth: number): string[] {
  return lines.map((line) => (line === '' ? '' : indent(depth) + line));
}

/** Appends a same-line comment to the last line. */
function withTrailing(lines: string[], trailing: string | undefined): string[] {
  if (trailing === undefined) return lines;
  return [...lines.slice(0, -1), `${lines[lines.length - 1]} ${trailing}`];
}

function bodyLines(body: Body, depth: number): string[] {
  const widths = keyWidths(body.items);
  const lines: string[] = [];
  for (const item of body.items) {
    lines.push(...commentLines(item.leading, depth));
    lines.push(...withTrailing(itemLines(item, depth, widths.get(item)), item.trailing));
  }
  lines.push(...commentLines(body.closing, depth));
  return lines;
}

/**
 * Pads the keys of each run of one-line attributes to the longest key of the
 * run, so their equals signs line up. A comment, a blank line, a block or an
 * attribute whose value takes several lines ends the run.
 */
function keyWidths(items: Item[]): Map<Item, number> {
  const widths = new Map<Item, number>();
  let run: Attribute[] = [];
  const closeRun = (): void => {
    const width = Math.max(0, ...run.map((attribute) => attribute.key.length));
    for (const attribute of run) widths.set(attribute, width);
    run = [];
  };

  for (const item of items) {
    if (item.kind !== 'attribute' || valueLines(item.value, 0).length > 1) {
      closeRun();
      continue;
    }
    if (item.leading.length > 0) closeRun();
    run.push(item);
    // A same-line comment does not break the run, but it belongs to this item only.
  }
  closeRun();
  return widths;
}

function itemLines(item: Item, depth: number, keyWidth: number | undefined): string[] {
  const pad = indent(depth);
  if (item.kind === 'attribute') {
    const [first, ...rest] = valueLines(item.value, depth);
    return [`${pad}${item.key.padEnd(keyWidth ?? 0)} = ${first}`, ...rest];
  }

  const header = `${pad}${[item.type, ...item.labels].join(' ')} {`;
  if (isEmptyBody(item.body)) return [`${header}}`];
  return [withOpening(header, item.body), ...bodyLines(item.body, depth + 1), `${pad}}`];
}

function isEmptyBody(body: Body): boolean {
  return body.items.length === 0 && body.closing.length === 0 && body.opening === undefined;
}

/** Adds the comment that followed the opening brace to the line that ends with it. */
function withOpening(line: string, body: Body): string {
  return body.opening === undefined ? line : `${line} ${body.opening}`;
}

/**
 * Lines of a value whose first line follows `key = `. Later lines carry their
 * own indentation, except the content of a heredoc, which is kept as written.
 */
function valueLines(value: Value, depth: number): string[] {
  switch (value.kind) {
    case 'literal':
      return value.text.split('\n');
    case 'list':
      return listLines(value, depth);
    case 'object':
      if (isEmptyBody(value.body)) return ['{}'];
      return [withOpening('{', value.body), ...bodyLines(value.body, depth + 1), `${indent(depth)}}`];
  }
}

function listLines(list: ListValue, depth: number): string[] {
  const hasComments =
    list.closing.length > 0 || list.elements.some((element) => element.leading.length > 0 || element.trailing !== undefined);
  const elementLines = list.elements.map((element) => valueLines(element.value, depth + 1));
  const oneLine = !list.multiline && !hasComments && elementLines.every((lines) => lines.length === 1);
  if (oneLine) return [`[${elementLines.map((lines) => lines[0]).join(', ')}]`];

  const lines = ['['];
  list.elements.forEach((element, index) => {
    const [first, ...rest] = elementLines[index];
    const valueText = [`${indent(depth + 1)}${first}`, ...rest];
    valueText[valueText.length - 1] += ',';
    lines.push(...commentLines(element.leading, depth + 1), ...withTrailing(valueText, element.trailing));
  });
  lines.push(...commentLines(list.closing, depth + 1), `${indent(depth)}]`);
  return lines;
}
