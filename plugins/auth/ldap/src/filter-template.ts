/**
 * The `userfilter` and `groupfilter` templates. Vault writes them as Go
 * templates, and its documentation uses only field references such as
 * `{{.UserDN}}`. This module supports those, with spaces inside the braces
 * allowed. It rejects any other action at config time, so that a filter
 * never fails at login.
 */
import { FilterParser, type Filter } from 'ldapts';

/** The fields each template may reference, as Vault names them. */
export const GROUP_FILTER_FIELDS = ['UserDN', 'Username'] as const;
export const USER_FILTER_FIELDS = ['UserAttr', 'Username'] as const;

const ACTION = /\{\{(.*?)\}\}/gs;
const FIELD_REFERENCE = /^\s*\.([A-Za-z_]\w*)\s*$/;

/**
 * Checks a template's actions. Returns a description of the first problem,
 * or `null` when every action names one of `fields`.
 */
export function templateProblem(template: string, fields: readonly string[]): string | null {
  for (const match of template.matchAll(ACTION)) {
    const reference = FIELD_REFERENCE.exec(match[1]);
    if (reference === null) {
      return `unsupported template action "${match[0]}": only field references such as {{.${fields[0]}}} are supported`;
    }
    if (!fields.includes(reference[1])) {
      return `unknown template field "${match[0]}": use ${fields.map((field) => `{{.${field}}}`).join(' or ')}`;
    }
  }
  if (template.replace(ACTION, '').includes('{{')) return 'unclosed template action: a "{{" has no matching "}}"';
  return null;
}

/**
 * Replaces each `{{.Field}}` with its value. The caller escapes the values;
 * the template was checked by {@link templateProblem} when it was stored.
 */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(ACTION, (action, inner: string) => {
    const reference = FIELD_REFERENCE.exec(inner);
    const value = reference === null ? undefined : values[reference[1]];
    if (value === undefined) throw new Error(`template action "${action}" has no value`);
    return value;
  });
}

/**
 * Checks the string form of a search filter (RFC 4515). Returns a
 * description of the problem, or `null` when the filter is valid.
 */
export function filterProblem(text: string): string | null {
  // ldapts closes missing parentheses on its own, so balance is checked
  // first. A literal parenthesis inside a value must be escaped as \28 or
  // \29, which makes counting enough.
  if (!text.startsWith('(') || !text.endsWith(')')) return 'a filter must start with "(" and end with ")"';
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    if (text[index] === '(') depth += 1;
    if (text[index] === ')') depth -= 1;
    if (depth < 0 || (depth === 0 && index < text.length - 1)) return 'unbalanced parentheses';
  }
  if (depth !== 0) return 'unbalanced parentheses';

  try {
    FilterParser.parseString(text);
  } catch (err) {
    return (err as Error).message;
  }
  return null;
}

/**
 * Parses a rendered filter.
 * @throws Error naming the problem, for a filter that {@link filterProblem} rejects.
 */
export function parseFilter(text: string): Filter {
  const problem = filterProblem(text);
  if (problem !== null) throw new Error(`invalid search filter: ${problem}`);
  return FilterParser.parseString(text);
}
