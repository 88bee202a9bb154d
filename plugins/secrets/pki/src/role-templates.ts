/**
 * Vault's identity templates in a role's allowed_domains and
 * allowed_uri_sans: checked when the role is written, and rendered with the
 * caller's entity through the system view before each request's names are
 * checked.
 */
import { isCofferError, type Request } from '@coffer/sdk';
import type { PkiContext } from './context.js';
import { invalidField } from './errors.js';
import type { Role } from './roles.js';
import { asciiDnsName } from './subject.js';

/** One `{{...}}` expression of Vault's identity templating. */
const TEMPLATE_EXPRESSION = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The identity template expressions Vault's ACL templating defines, by shape. */
const TEMPLATE_PATTERNS = [
  /^identity\.entity\.(id|name)$/,
  /^identity\.entity\.metadata\.[^.\s]+$/,
  /^identity\.entity\.aliases\.[^.\s]+\.(id|name)$/,
  /^identity\.entity\.aliases\.[^.\s]+\.(metadata|custom_metadata)\.[^.\s]+$/,
  /^identity\.groups\.(ids|names)\.[^.\s]+\.(id|name)$/,
  /^identity\.groups\.(ids|names)\.[^.\s]+\.metadata\.[^.\s]+$/,
];

/**
 * Checks the identity templates of allowed_domains or allowed_uri_sans, for
 * a role that turns templating on: each `{{...}}` must be one of Vault's
 * identity expressions, and no stray braces may remain.
 * NOTE: these shapes accept a few templates that the server's parser
 * rejects, such as `{{{identity.entity.name}}}`. Such an entry allows
 * nothing at request time and is logged as a warning.
 * @throws CofferError (400) naming `field` and the first invalid value.
 */
export function checkIdentityTemplates(field: string, values: string[]): void {
  for (const value of values) {
    for (const match of value.matchAll(TEMPLATE_EXPRESSION)) {
      if (!TEMPLATE_PATTERNS.some((pattern) => pattern.test(match[1]))) {
        throw invalidField(field, `unknown identity template ${match[0]} in "${value}": use an expression such as {{identity.entity.name}}, {{identity.entity.aliases.<mount accessor>.name}} or {{identity.entity.metadata.<key>}}`);
      }
    }
    if (value.replace(TEMPLATE_EXPRESSION, '').includes('{{') || value.replace(TEMPLATE_EXPRESSION, '').includes('}}')) {
      throw invalidField(field, `unbalanced template braces in "${value}"`);
    }
  }
}

/**
 * Returns the role with the templated entries of allowed_domains (with
 * allowed_domains_template) and allowed_uri_sans (with
 * allowed_uri_sans_template) rendered for the caller's entity, as Vault's
 * name checks do. An entry that cannot be rendered is left out, so it
 * allows nothing. That covers a caller without an entity, such as the root
 * token, an entity without the named alias or metadata key, and a value
 * containing `*`, which would otherwise turn into a glob. A domain whose
 * ASCII form has more `*` than the template wrote is left out for the same reason.
 * @throws CofferError (500) when the server cannot be reached to render.
 */
export async function renderRoleTemplates(role: Role, roleName: string, request: Request, context: PkiContext): Promise<Role> {
  const render = (field: string, values: string[]) => renderEntries(field, values, roleName, request.entityId, context);
  return {
    ...role,
    allowed_domains: role.allowed_domains_template ? await render('allowed_domains', role.allowed_domains) : role.allowed_domains,
    allowed_uri_sans: role.allowed_uri_sans_template ? await render('allowed_uri_sans', role.allowed_uri_sans) : role.allowed_uri_sans,
  };
}

async function renderEntries(field: string, values: string[], roleName: string, entityId: string | undefined, context: PkiContext): Promise<string[]> {
  const rendered: string[] = [];
  for (const value of values) {
    if (!value.includes('{{')) {
      rendered.push(value);
      continue;
    }
    const text = await renderEntry(field, value, roleName, entityId, context);
    if (text === undefined) continue;
    // The server rejects a rendered "*", but an allowed domain is also compared in its ASCII form, where
    // compatibility characters such as U+FF0A become "*" and would turn the entry into a glob or a wildcard.
    // A "*" written in the template itself is the role's own glob and stays.
    if (starCount(asciiDnsName(text)) !== starCount(text)) {
      context.logger.warn({ role: roleName, field }, 'identity template skipped because its value becomes a glob in ASCII form');
      continue;
    }
    rendered.push(text);
  }
  return rendered;
}

function starCount(text: string): number {
  return text.split('*').length - 1;
}

async function renderEntry(field: string, template: string, roleName: string, entityId: string | undefined, context: PkiContext): Promise<string | undefined> {
  const { system } = context;
  if (entityId === undefined || entityId === '' || system.renderIdentityTemplate === undefined) return undefined;
  try {
    return await system.renderIdentityTemplate(template, entityId);
  } catch (err) {
    // A template the server's parser rejects allows nothing, as in Vault, but the operator should hear of it.
    if (!isCofferError(err) || err.status !== 400) throw err;
    context.logger.warn({ err, role: roleName, field }, 'identity template skipped because the server rejected it');
    return undefined;
  }
}
