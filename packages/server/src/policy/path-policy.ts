/**
 * sys/policy (the older API) and sys/policies/acl: listing, reading,
 * writing and deleting ACL policies, with Vault's response shapes.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition, type Request, type Response } from '@coffer/sdk';
import { sysDataResponse } from './response.js';
import { normalizePolicyName, type PolicyStore } from './store.js';

const NAME_FIELD = {
  type: 'string',
  description: 'Name of the policy; it is lower-cased.',
  required: true,
} as const;

const POLICY_FIELD = {
  type: 'string',
  description: 'The policy document, HCL or JSON, optionally base64-encoded.',
} as const;

/** Characters of standard base64 once line breaks are removed. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes a policy sent as base64, as Vault accepts to spare clients the
 * escaping. Text that is not valid padded base64 is returned unchanged;
 * line breaks are ignored, as Go's decoder ignores them.
 */
export function decodePolicyText(text: string): string {
  const compact = text.replace(/[\r\n]/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) return text;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** Stores a policy and returns the warnings Vault gives, or `null` (204) when there are none. */
async function writePolicy(store: PolicyStore, name: string, text: string, sentAsRules: boolean): Promise<Response | null> {
  if (text === '') throw badRequest('missing "policy": send the policy document, HCL or JSON, in the "policy" field');

  const warnings: string[] = [];
  const normalized = normalizePolicyName(name);
  if (name !== name.toLowerCase()) warnings.push(`policy name "${name}" was lower-cased to "${normalized}"`);
  if (sentAsRules) warnings.push('the "rules" field is deprecated; send the policy document in "policy"');

  await store.put(name, decodePolicyText(text));
  return warnings.length > 0 ? { warnings } : null;
}

/** Returns a stored policy with its document under `textField`, or `null` (404) when none exists. */
async function readPolicy(store: PolicyStore, request: Request, name: string, textField: 'rules' | 'policy'): Promise<Response | null> {
  const policy = await store.get(name);
  if (policy === null) return null;
  return sysDataResponse(request, { name: policy.name, [textField]: policy.raw });
}

/** Declares the sys/policy and sys/policies/acl paths, relative to `sys/`. */
export function policyManagementPaths(store: PolicyStore): PathDefinition<FieldMap>[] {
  const listLegacy = async (request: Request): Promise<Response> => {
    const names = await store.list();
    return sysDataResponse(request, { keys: names, policies: names });
  };

  return [
    definePath({
      pattern: 'policy/?',
      fields: {},
      operations: { read: listLegacy, list: listLegacy },
      helpSynopsis: 'List the ACL policies.',
      helpDescription: 'Returns the names of the ACL policies under "keys" and "policies", root included.',
    }),
    definePath({
      pattern: 'policy/(?<name>.+)',
      fields: {
        name: NAME_FIELD,
        policy: POLICY_FIELD,
        rules: { type: 'string', description: 'Deprecated name of "policy".' },
      },
      operations: {
        async read(request, fields) {
          return readPolicy(store, request, fields.get('name'), 'rules');
        },
        async update(_request, fields) {
          const policy = fields.get('policy');
          const sentAsRules = policy === '' && fields.get('rules') !== '';
          return writePolicy(store, fields.get('name'), sentAsRules ? fields.get('rules') : policy, sentAsRules);
        },
        async delete(_request, fields) {
          await store.delete(fields.get('name'));
          return null;
        },
      },
      helpSynopsis: 'Read, write or delete an ACL policy.',
      helpDescription: 'The older form of sys/policies/acl/<name>. A read returns the document under "rules".',
    }),
    definePath({
      pattern: 'policies/acl/?',
      fields: {},
      operations: {
        async list(request) {
          return sysDataResponse(request, { keys: await store.list() });
        },
      },
      helpSynopsis: 'List the ACL policies.',
      helpDescription: 'Returns the names of the ACL policies under "keys", root included.',
    }),
    definePath({
      pattern: 'policies/acl/(?<name>.+)',
      fields: { name: NAME_FIELD, policy: POLICY_FIELD },
      operations: {
        async read(request, fields) {
          return readPolicy(store, request, fields.get('name'), 'policy');
        },
        async update(_request, fields) {
          return writePolicy(store, fields.get('name'), fields.get('policy'), false);
        },
        async delete(_request, fields) {
          await store.delete(fields.get('name'));
          return null;
        },
      },
      helpSynopsis: 'Read, write or delete an ACL policy.',
      helpDescription: 'A write parses the whole document and stores nothing if any part is invalid.',
    }),
  ];
}
