/**
 * OpenAPI 3 documents generated from path declarations, so help and the
 * `sys/internal/specs/openapi` document never drift from the code.
 */
import type { FieldMap, FieldSchema, FieldType } from './field.js';
import type { PathDefinition } from './path.js';

/** One OpenAPI path item, keyed by method. */
export type OpenApiPathItem = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  paths: Record<string, OpenApiPathItem>;
  components: { schemas: Record<string, unknown> };
}

const JSON_TYPES: Record<FieldType, Record<string, unknown>> = {
  string: { type: 'string' },
  lowercase_string: { type: 'string' },
  name: { type: 'string' },
  int: { type: 'integer' },
  bool: { type: 'boolean' },
  duration: { type: 'string', format: 'duration' },
  map: { type: 'object' },
  comma_string_slice: { type: 'array', items: { type: 'string' } },
  string_slice: { type: 'array', items: { type: 'string' } },
  kv_pairs: { type: 'object', additionalProperties: { type: 'string' } },
};

const METHODS: Record<string, string> = { read: 'get', update: 'post', create: 'post', patch: 'patch', delete: 'delete' };

/**
 * Expands a path pattern into the URL templates it matches: named groups
 * become `{name}`, an optional group yields the path with and without it,
 * and `/?` and trailing `/` variants collapse.
 * NOTE: this understands the pattern forms that the framework's helpers and
 * the built-in backends use (named groups, `(?:...)?`, `/?`, `.*`, `|` inside
 * a named group). A pattern with other regex syntax is listed as written.
 */
export function expandPattern(pattern: string): string[] {
  const results = new Set<string>();
  for (const expanded of expandOptionals(pattern)) {
    const template = expanded
      .replace(/\(\?<(\w+)>(?:[^()]|\([^()]*\))*\)/g, '{$1}')
      .replace(/\/\?$/, '')
      .replace(/\\\./g, '.')
      .replace(/\.\*$/, '')
      .replace(/\/+$/, '');
    results.add(template);
  }
  return [...results];
}

function expandOptionals(pattern: string): string[] {
  const start = pattern.indexOf('(?:');
  if (start === -1) return [pattern];
  let depth = 0;
  let end = -1;
  for (let index = start; index < pattern.length; index += 1) {
    if (pattern[index] === '\\') {
      index += 1;
      continue;
    }
    if (pattern[index] === '(') depth += 1;
    if (pattern[index] === ')') {
      depth -= 1;
      if (depth === 0) {
        end = index;
        break;
      }
    }
  }
  if (end === -1) return [pattern];
  const inner = pattern.slice(start + 3, end);
  const optional = pattern[end + 1] === '?';
  const rest = pattern.slice(end + (optional ? 2 : 1));
  const before = pattern.slice(0, start);
  const variants: string[] = [];
  for (const tail of expandOptionals(rest)) {
    for (const middle of expandOptionals(inner)) variants.push(before + middle + tail);
    if (optional) variants.push(before + tail);
  }
  return variants;
}

function fieldSchema(field: FieldSchema): Record<string, unknown> {
  const schema: Record<string, unknown> = { ...JSON_TYPES[field.type], description: field.description };
  if (field.default !== undefined) schema.default = field.default;
  if (field.allowedValues !== undefined) schema.enum = field.allowedValues;
  return schema;
}

/**
 * Builds the OpenAPI path items of one backend mounted at `mountPath`
 * (e.g. `secret/`), with one request schema per path in `schemas`.
 */
export function openApiPaths(
  mountPath: string,
  paths: readonly PathDefinition<FieldMap>[],
  schemas: Record<string, unknown>,
): Record<string, OpenApiPathItem> {
  const items: Record<string, OpenApiPathItem> = {};
  for (const path of paths) {
    for (const template of expandPattern(path.pattern)) {
      const url = `/${mountPath}${template}`;
      const captures = [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      const item: OpenApiPathItem = items[url] ?? {
        description: path.helpSynopsis.trim(),
        parameters: captures.map((name) => ({
          name,
          in: 'path',
          required: true,
          description: path.fields[name]?.description ?? '',
          schema: { type: 'string' },
        })),
      };

      const bodyFields = Object.entries(path.fields).filter(([name]) => !captures.includes(name));
      const schemaName = `${schemaPrefix(url)}Request`;
      if (bodyFields.length > 0) {
        schemas[schemaName] = {
          type: 'object',
          properties: Object.fromEntries(bodyFields.map(([name, field]) => [name, fieldSchema(field)])),
          required: bodyFields.filter(([, field]) => field.required === true).map(([name]) => name),
        };
      }
      for (const operation of Object.keys(path.operations)) {
        if (operation === 'list') {
          item.get = { ...(item.get as object), summary: path.helpSynopsis.trim(), parameters: [{ name: 'list', in: 'query', required: true, schema: { type: 'string', enum: ['true'] } }], responses: { '200': { description: 'OK' } } };
          continue;
        }
        const method = METHODS[operation];
        if (method === undefined || item[method] !== undefined) continue;
        const operationItem: Record<string, unknown> = { summary: path.helpSynopsis.trim(), description: path.helpDescription.trim(), responses: { '200': { description: 'OK' }, '204': { description: 'empty body' } } };
        if ((method === 'post' || method === 'patch') && bodyFields.length > 0) {
          operationItem.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName}` } } } };
        }
        item[method] = operationItem;
      }
      items[url] = item;
    }
  }
  return items;
}

function schemaPrefix(url: string): string {
  return url
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}
