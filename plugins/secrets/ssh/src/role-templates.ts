/**
 * Vault's identity templates in CA roles: allowed_users, default_user,
 * allowed_domains and default_extensions may name the caller's entity, as in
 * `{{identity.entity.aliases.<mount accessor>.name}}`, when the role's
 * matching *_template switch is on. The server renders them through the
 * system view, and this engine never matches against a raw template.
 */
import { badRequest, internalError, isCofferError, type Request, type SystemView } from '@coffer/sdk';
import { invalidField } from './errors.js';
import { commaList, type Role } from './role.js';

/** The role fields that may contain identity templates, each with its switch. */
const TEMPLATED_FIELDS = [
  ['allowed_users', 'allowed_users_template'],
  ['default_user', 'default_user_template'],
  ['allowed_domains', 'allowed_domains_template'],
] as const;

/** The parts of a role a signing request uses, so only those fields are rendered. */
export interface TemplateNeeds {
  certType: 'user' | 'host';
  /** True when the request names no principals, so default_user applies. */
  defaultUser: boolean;
  /** True when the request sets no extensions, so default_extensions applies. */
  defaultExtensions: boolean;
}

function isTemplate(value: string): boolean {
  return value.includes('{{');
}

/**
 * Checks every template of the fields whose switch is on with the server's
 * parser, by rendering it for no entity. A system view without a renderer,
 * as in a bare test harness, leaves the check to signing time.
 * @throws CofferError (400) naming the field and the template.
 */
export async function checkRoleTemplates(role: Role, system: SystemView): Promise<void> {
  if (system.renderIdentityTemplate === undefined) return;
  const values: [string, string[]][] = TEMPLATED_FIELDS.filter(([, flag]) => role[flag]).map(([field]) => [field, commaList(role[field])]);
  if (role.default_extensions_template) values.push(['default_extensions', Object.values(role.default_extensions)]);

  for (const [field, items] of values) {
    for (const item of items.filter(isTemplate)) {
      try {
        await system.renderIdentityTemplate(item, '');
      } catch (err) {
        if (isCofferError(err) && err.status === 400) throw invalidField(field, err.message);
        throw err;
      }
    }
  }
}

/**
 * Returns the role with the templates a request needs rendered for the
 * caller's entity, following Vault's SSH engine. A caller without an entity
 * gets no templated principal and no templated extension. A templated
 * default_user without an entity is rejected, because leaving it out could
 * produce a certificate without principals.
 * @throws CofferError (400) when a template cannot be rendered for the
 *   caller's entity, naming the template and the field.
 */
export async function renderRoleTemplates(role: Role, request: Request, system: SystemView, needs: TemplateNeeds): Promise<Role> {
  const renderer = new TemplateRenderer(request.entityId ?? '', system);
  const rendered: Role = { ...role };

  if (needs.certType === 'user' && role.allowed_users_template) rendered.allowed_users = await renderer.list('allowed_users', role.allowed_users);
  if (needs.certType === 'user' && needs.defaultUser && role.default_user_template && isTemplate(role.default_user)) {
    rendered.default_user = await renderer.defaultUser(role.default_user);
  }
  if (needs.certType === 'host' && role.allowed_domains_template) rendered.allowed_domains = await renderer.list('allowed_domains', role.allowed_domains);
  if (needs.defaultExtensions && role.default_extensions_template) rendered.default_extensions = await renderer.extensions(role.default_extensions);
  return rendered;
}

/** Renders the values of one request for one entity, or for none. */
class TemplateRenderer {
  constructor(
    private readonly entityId: string,
    private readonly system: SystemView,
  ) {}

  /**
   * Renders the templated items of a comma-separated list. Without an entity
   * they are left out. A rendered item with a comma is rejected, because the
   * list is split again and metadata such as "alice,root" would add a principal.
   */
  async list(field: string, value: string): Promise<string> {
    const items: string[] = [];
    for (const item of commaList(value)) {
      if (!isTemplate(item)) {
        items.push(item);
        continue;
      }
      if (this.entityId === '') continue;

      const rendered = await this.render(field, item);
      if (rendered.includes(',')) throw badRequest(`template '${item}' in ${field} rendered to a value with a comma, which cannot be one principal`);
      items.push(rendered);
    }
    return items.join(',');
  }

  async defaultUser(template: string): Promise<string> {
    if (this.entityId === '') {
      throw badRequest(`template '${template}' in default_user needs a token with an identity entity: log in through an auth method, or set valid_principals`);
    }
    return this.render('default_user', template);
  }

  /** Renders the templated values of the default extensions. Without an entity those extensions are left out. */
  async extensions(extensions: Record<string, string>): Promise<Record<string, string>> {
    const rendered: Record<string, string> = {};
    for (const [name, value] of Object.entries(extensions)) {
      if (!isTemplate(value)) {
        rendered[name] = value;
      } else if (this.entityId !== '') {
        rendered[name] = await this.render('default_extensions', value);
      }
    }
    return rendered;
  }

  private async render(field: string, template: string): Promise<string> {
    if (this.system.renderIdentityTemplate === undefined) throw internalError(`cannot render template '${template}' in ${field}: the system view has no identity template renderer`);
    let rendered: string | undefined;
    try {
      rendered = await this.system.renderIdentityTemplate(template, this.entityId);
    } catch (err) {
      if (isCofferError(err) && err.status === 400) throw badRequest(`template '${template}' in ${field} could not be rendered: ${err.message}`);
      throw err;
    }
    if (rendered === undefined) {
      throw badRequest(
        `template '${template}' in ${field} could not be rendered for the caller's entity: the entity lacks an alias, group or metadata key it names, or a value contains * or +`,
      );
    }
    return rendered;
  }
}
