/**
 * Identity templates for plugins: the system view's `renderIdentityTemplate`,
 * rendered with the same parser and renderer as templated ACL policies, so a
 * template means the same in a policy path and in a plugin's role.
 */
import { badRequest } from '@coffer/sdk';
import { parsePathTemplate, renderPathTemplate } from '../policy/templates.js';
import type { IdentityStore } from './store.js';

/**
 * Renders `template` with the facts of the entity `entityId`. Returns
 * `undefined` when the template cannot be rendered for that entity: an empty
 * ID, an entity that does not exist or is disabled, a missing alias, group or
 * metadata key, or a value with a glob character. An entity merged into
 * another renders as the entity it was merged into, as its tokens do.
 * @throws CofferError (400) when the template is malformed or names an
 *   unknown parameter.
 */
export async function renderIdentityTemplate(identity: IdentityStore, template: string, entityId: string): Promise<string | undefined> {
  const parsed = parsePathTemplate(template);
  if (parsed !== null && 'error' in parsed) throw badRequest(`invalid identity template "${template}": ${parsed.error}`);
  if (entityId === '') return undefined;

  const facts = await identity.policiesFor(entityId);
  if (!facts.found || facts.disabled || facts.context === undefined) return undefined;
  return parsed === null ? template : renderPathTemplate(parsed, facts.context);
}
