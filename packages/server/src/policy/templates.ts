/**
 * Templated policy paths: `{{identity.entity.id}}` and the other identity
 * parameters of Vault's "Templated Policies" documentation, replaced with the
 * facts of the token's entity when its ACL is built.
 *
 * A path whose template cannot be resolved (no entity, a missing alias,
 * group or metadata key, or a value containing `*` or `+`) is left out of the
 * ACL, so it matches nothing, as in Vault's identitytpl package.
 */

/** Identity facts for templated policies; absent until identity exists. */
export interface EntityContext {
  id: string;
  name: string;
  metadata: Record<string, string>;
  aliases: {
    mountAccessor: string;
    name: string;
    metadata: Record<string, string>;
    /** The alias ID, for `identity.entity.aliases.<mount accessor>.id`. */
    id?: string;
    /** For `identity.entity.aliases.<mount accessor>.custom_metadata.<key>`. */
    customMetadata?: Record<string, string>;
  }[];
  /** The groups the entity belongs to, directly or through a parent group. */
  groups: { id: string; name: string; metadata: Record<string, string> }[];
}

/** One `{{...}}` directive, parsed. */
type Directive =
  | { kind: 'entity'; field: 'id' | 'name' }
  | { kind: 'entity-metadata'; key: string }
  | { kind: 'alias'; accessor: string; field: 'id' | 'name' }
  | { kind: 'alias-metadata'; accessor: string; key: string; custom: boolean }
  | { kind: 'group'; by: 'ids' | 'names'; selector: string; field: 'id' | 'name' }
  | { kind: 'group-metadata'; by: 'ids' | 'names'; selector: string; key: string };

/** A path split into literal text and directives, ready to render. */
export interface PathTemplate {
  readonly parts: readonly (string | Directive)[];
}

/** The directives a policy path accepts, for error messages. */
export const TEMPLATE_PARAMETERS =
  'identity.entity.id, identity.entity.name, identity.entity.metadata.<key>, ' +
  'identity.entity.aliases.<mount accessor>.id, identity.entity.aliases.<mount accessor>.name, ' +
  'identity.entity.aliases.<mount accessor>.metadata.<key>, identity.entity.aliases.<mount accessor>.custom_metadata.<key>, ' +
  'identity.groups.ids.<group id>.name, identity.groups.names.<group name>.id, ' +
  'identity.groups.ids.<group id>.metadata.<key> and identity.groups.names.<group name>.metadata.<key>';

/**
 * Parses the `{{...}}` directives of a path. Returns `null` for a path
 * without directives, a template, or an error message naming the problem.
 */
export function parsePathTemplate(path: string): PathTemplate | null | { error: string } {
  const pieces = path.split('{{');
  if (pieces[0].includes('}}')) return { error: 'unbalanced template: "}}" without a matching "{{"' };
  if (pieces.length === 1) return null;

  const parts: (string | Directive)[] = [];
  if (pieces[0] !== '') parts.push(pieces[0]);
  for (const piece of pieces.slice(1)) {
    const closed = piece.split('}}');
    if (closed.length !== 2) return { error: 'unbalanced template: "{{" without a matching "}}"' };

    const source = closed[0].trim();
    const directive = parseDirective(source);
    if (directive === undefined) {
      return { error: `unknown template parameter "${source}"; use ${TEMPLATE_PARAMETERS}` };
    }
    parts.push(directive);
    if (closed[1] !== '') parts.push(closed[1]);
  }
  return { parts };
}

/**
 * Renders a template with the entity's facts. Returns `undefined` when a
 * directive cannot be resolved or yields a glob character.
 */
export function renderPathTemplate(template: PathTemplate, entity: EntityContext | undefined): string | undefined {
  let result = '';
  for (const part of template.parts) {
    if (typeof part === 'string') {
      result += part;
      continue;
    }
    if (entity === undefined) return undefined;
    const value = resolveDirective(part, entity);
    if (value === undefined || value.includes('*') || value.includes('+')) return undefined;
    result += value;
  }
  return result;
}

/** Splits `text` at its first `.`, as Vault's selectors do. */
function splitOnce(text: string): [string, string] | undefined {
  const dot = text.indexOf('.');
  return dot === -1 ? undefined : [text.slice(0, dot), text.slice(dot + 1)];
}

function parseDirective(source: string): Directive | undefined {
  if (source.startsWith('identity.entity.')) return parseEntityDirective(source.slice('identity.entity.'.length));
  if (source.startsWith('identity.groups.')) return parseGroupDirective(source.slice('identity.groups.'.length));
  return undefined;
}

function parseEntityDirective(rest: string): Directive | undefined {
  if (rest === 'id' || rest === 'name') return { kind: 'entity', field: rest };
  if (rest.startsWith('metadata.') && rest.length > 'metadata.'.length) {
    return { kind: 'entity-metadata', key: rest.slice('metadata.'.length) };
  }
  if (!rest.startsWith('aliases.')) return undefined;

  const split = splitOnce(rest.slice('aliases.'.length));
  if (split === undefined || split[0] === '') return undefined;
  const [accessor, field] = split;
  if (field === 'id' || field === 'name') return { kind: 'alias', accessor, field };
  for (const prefix of ['metadata.', 'custom_metadata.']) {
    if (field.startsWith(prefix) && field.length > prefix.length) {
      return { kind: 'alias-metadata', accessor, key: field.slice(prefix.length), custom: prefix === 'custom_metadata.' };
    }
  }
  return undefined;
}

function parseGroupDirective(rest: string): Directive | undefined {
  const bySplit = splitOnce(rest);
  if (bySplit === undefined || (bySplit[0] !== 'ids' && bySplit[0] !== 'names')) return undefined;
  const by = bySplit[0];

  const selectorSplit = splitOnce(bySplit[1]);
  if (selectorSplit === undefined || selectorSplit[0] === '') return undefined;
  const [selector, field] = selectorSplit;
  if (field === 'id' || field === 'name') return { kind: 'group', by, selector, field };
  if (field.startsWith('metadata.') && field.length > 'metadata.'.length) {
    return { kind: 'group-metadata', by, selector, key: field.slice('metadata.'.length) };
  }
  return undefined;
}

/**
 * Resolves one directive. An empty ID or name does not resolve, while an
 * empty metadata value does, because Vault treats a metadata key that is
 * present as found.
 */
function resolveDirective(directive: Directive, entity: EntityContext): string | undefined {
  switch (directive.kind) {
    case 'entity':
      return nonEmpty(entity[directive.field]);
    case 'entity-metadata':
      return ownValue(entity.metadata, directive.key);
    case 'alias': {
      const alias = entity.aliases.find((candidate) => candidate.mountAccessor === directive.accessor);
      return alias === undefined ? undefined : nonEmpty(alias[directive.field]);
    }
    case 'alias-metadata': {
      const alias = entity.aliases.find((candidate) => candidate.mountAccessor === directive.accessor);
      if (alias === undefined) return undefined;
      return ownValue(directive.custom ? alias.customMetadata : alias.metadata, directive.key);
    }
    case 'group': {
      const group = findGroup(entity, directive.by, directive.selector);
      if (group === undefined) return undefined;
      return directive.field === 'id' ? group.id : nonEmpty(group.name);
    }
    case 'group-metadata': {
      const group = findGroup(entity, directive.by, directive.selector);
      return group === undefined ? undefined : ownValue(group.metadata, directive.key);
    }
  }
}

function findGroup(entity: EntityContext, by: 'ids' | 'names', selector: string): EntityContext['groups'][number] | undefined {
  return entity.groups.find((group) => (by === 'ids' ? group.id : group.name) === selector);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function ownValue(map: Record<string, string> | undefined, key: string): string | undefined {
  return map !== undefined && Object.hasOwn(map, key) ? map[key] : undefined;
}
