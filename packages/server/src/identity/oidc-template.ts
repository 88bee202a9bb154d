/**
 * Identity token templates: JSON text with `{{...}}` placeholders that
 * become JSON values, as Vault's JSON templating renders them. A string
 * becomes a quoted JSON string, a list a JSON array, a map a JSON object and
 * a time a number of Unix seconds, so placeholders stand unquoted in the
 * template, e.g. `{"name": {{identity.entity.name}}}`. A value the entity
 * lacks, such as a metadata key it does not have, renders as `""`, or as
 * `{}` for a whole map.
 */
import { parseDurationSeconds } from '@coffer/sdk';
import type { Entity, Group } from './model.js';

/** Claims a template cannot set, because the token's own claims use them (Vault's list). */
export const RESERVED_CLAIMS = ['iat', 'aud', 'exp', 'iss', 'sub', 'namespace', 'nonce', 'auth_time', 'at_hash', 'c_hash'];

/** The entity facts a template can read. */
export interface TemplateContext {
  entity: Entity | undefined;
  /** The entity's groups, direct then inherited. */
  groups: Group[];
  /** Unix seconds. */
  now: number;
}

/** A template that cannot be rendered; the message follows Vault's wording. */
export class TemplateError extends Error {}

function json(value: unknown): string {
  return JSON.stringify(value);
}

function mapValue(map: Record<string, string> | undefined, key: string | undefined): string {
  if (key === undefined) return json(map ?? {});
  return json(map !== undefined && Object.hasOwn(map, key) ? map[key] : '');
}

function renderAlias(entity: Entity | undefined, selector: string): string {
  const dot = selector.indexOf('.');
  if (dot <= 0) throw new TemplateError('invalid alias selector');
  const accessor = selector.slice(0, dot);
  const field = selector.slice(dot + 1);
  const alias = entity?.aliases.find((candidate) => candidate.mountAccessor === accessor);
  if (field === 'id') return json(alias?.id ?? '');
  if (field === 'name') return json(alias?.name ?? '');
  if (field === 'metadata') return mapValue(alias?.metadata, undefined);
  if (field.startsWith('metadata.')) return mapValue(alias?.metadata, field.slice('metadata.'.length));
  if (field === 'custom_metadata') return mapValue(alias?.customMetadata, undefined);
  if (field.startsWith('custom_metadata.')) return mapValue(alias?.customMetadata, field.slice('custom_metadata.'.length));
  throw new TemplateError('no value could be found for one of the template directives');
}

function renderEntity(context: TemplateContext, selector: string): string {
  const entity = context.entity;
  if (selector === 'id') return json(entity?.id ?? '');
  if (selector === 'name') return json(entity?.name ?? '');
  if (selector === 'metadata') return mapValue(entity?.metadata, undefined);
  if (selector.startsWith('metadata.')) return mapValue(entity?.metadata, selector.slice('metadata.'.length));
  if (selector === 'groups.names') return json(context.groups.map((group) => group.name));
  if (selector === 'groups.ids') return json(context.groups.map((group) => group.id));
  if (selector.startsWith('aliases.')) return renderAlias(entity, selector.slice('aliases.'.length));
  throw new TemplateError('no value could be found for one of the template directives');
}

function renderTime(now: number, selector: string): string {
  const parts = selector.split('.');
  if (parts[0] !== 'now') throw new TemplateError(`invalid time selector "${parts[0]}"`);
  if (parts.length === 1) return String(now);
  if (parts.length === 2) throw new TemplateError('missing time operand');
  const operand = parts.slice(2).join('.');
  const seconds = parseDurationSeconds(operand);
  if (seconds === null) throw new TemplateError(`invalid duration "${operand}"`);
  if (parts[1] === 'plus') return String(now + seconds);
  if (parts[1] === 'minus') return String(now - seconds);
  throw new TemplateError(`invalid time operator "${parts[1]}"`);
}

function renderPlaceholder(context: TemplateContext, placeholder: string): string {
  if (placeholder.startsWith('identity.entity.')) return renderEntity(context, placeholder.slice('identity.entity.'.length));
  // Vault renders these only for ACL policies' group lookups; a role is checked without groups, so they never pass.
  if (placeholder.startsWith('identity.groups.')) throw new TemplateError('string contains groups template directives but no groups were provided');
  if (placeholder.startsWith('time.')) return renderTime(context.now, placeholder.slice('time.'.length));
  throw new TemplateError('no value could be found for one of the template directives');
}

/**
 * Replaces each placeholder of `template` with its JSON value. The first
 * `}}` after a `{{` ends the placeholder, and any other `}}` is template
 * text, because JSON closes nested objects with it. Vault's parser rejects
 * such text as unbalanced, which makes nested objects need `} }`.
 * @throws TemplateError for a `{{` without its `}}`, or an unknown placeholder.
 */
export function renderTemplate(template: string, context: TemplateContext): string {
  const pieces = template.split('{{');
  let output = pieces[0];
  for (const piece of pieces.slice(1)) {
    const end = piece.indexOf('}}');
    if (end < 0) throw new TemplateError('unbalanced templating characters');
    output += renderPlaceholder(context, piece.slice(0, end).trim()) + piece.slice(end + 2);
  }
  return output;
}

/** Renders `template` and parses the result as the object of extra claims. */
export function renderClaims(template: string, context: TemplateContext): Record<string, unknown> {
  if (template === '') return {};
  const parsed: unknown = JSON.parse(renderTemplate(template, context));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TemplateError('the template must be a JSON object');
  return parsed as Record<string, unknown>;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Returns the template as sent, or decoded when it is standard base64, which Vault also accepts. */
export function decodeTemplate(template: string): string {
  if (template === '' || !BASE64.test(template)) return template;
  return Buffer.from(template, 'base64').toString('utf8');
}
