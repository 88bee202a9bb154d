/**
 * `roles/:name` (write, read, delete) and `roles/` (LIST): the credential
 * type and the policies of credentials issued for a role. As in Vault, a
 * write changes only the fields it sets, and the whole role is checked
 * before anything is stored.
 */
import { badRequest, definePath, nameSegment, type FieldData, type FieldMap, type PathDefinition, type Request } from '@coffer/sdk';
import { CREDENTIAL_TYPES, readRole, ROLE_PREFIX, writeRole, type CredentialType, type Role } from './store.js';

const ROLE_FIELDS = {
  name: { type: 'string', description: 'Name of the role.', required: true },
  credential_type: { type: 'string', description: 'Kind of credentials to issue: iam_user, assumed_role or federation_token. Required when the role is created.' },
  role_arns: { type: 'comma_string_slice', description: 'ARNs of the AWS roles that credentials may assume; required for assumed_role and rejected otherwise.' },
  policy_arns: {
    type: 'comma_string_slice',
    description: 'ARNs of managed policies: attached to IAM users, or passed to STS to limit what the credentials can do.',
  },
  policy_document: {
    type: 'string',
    description: 'IAM policy document as JSON: put inline on IAM users, or passed to STS to limit what the credentials can do.',
  },
  iam_groups: { type: 'comma_string_slice', description: 'IAM groups that issued IAM users are added to.' },
  iam_tags: { type: 'kv_pairs', description: 'Tags of issued IAM users, as an object or as "key=value" strings; only for iam_user.' },
  default_sts_ttl: { type: 'duration', description: 'TTL of STS credentials when the request names none; 0 takes 3600 s. Only for assumed_role and federation_token.' },
  max_sts_ttl: { type: 'duration', description: 'Maximum TTL of STS credentials; 0 takes the mount\'s max lease TTL. Only for assumed_role and federation_token.' },
  user_path: { type: 'string', description: 'IAM path of issued IAM users, e.g. "/coffer/"; empty takes "/". Only for iam_user.' },
  permissions_boundary_arn: { type: 'string', description: 'ARN of a managed policy set as the permissions boundary of issued IAM users. Only for iam_user.' },
  external_id: { type: 'string', description: 'External ID passed to AssumeRole. Only for assumed_role.' },
  session_tags: { type: 'kv_pairs', description: 'Session tags passed to AssumeRole, as an object or as "key=value" strings. Only for assumed_role.' },
} as const;

type RoleFields = FieldData<typeof ROLE_FIELDS>;

const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const POLICY_ARN = /^arn:aws[\w-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]+$/;
const GROUP_NAME = /^[\w+=,.@-]{1,128}$/;
const USER_PATH = /^\/([\x21-\x7F]{0,510}\/)?$/;
const STS_TYPES: readonly CredentialType[] = ['assumed_role', 'federation_token'];

export function pathRolesList(): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'roles/?',
    fields: {},
    operations: {
      list: async (request) => {
        const keys = (await request.storage.list(ROLE_PREFIX)).filter((key) => !key.endsWith('/'));
        return keys.length === 0 ? null : { data: { keys } };
      },
    },
    helpSynopsis: 'List the roles.',
    helpDescription: 'Returns the names of the roles written under roles/.',
  });
}

export function pathRoles(): PathDefinition<FieldMap> {
  return definePath({
    pattern: `roles/${nameSegment('name')}`,
    fields: ROLE_FIELDS,
    operations: {
      update: writeRoleEntry,
      read: async (request, fields) => {
        const role = await readRole(request.storage, fields.get('name'));
        return role === null ? null : { data: roleData(role) };
      },
      delete: async (request, fields) => {
        await request.storage.delete(ROLE_PREFIX + fields.get('name'));
        return null;
      },
    },
    helpSynopsis: 'Manage the roles that AWS credentials are issued for.',
    helpDescription: `
An iam_user role makes creds/<name> create an IAM user with the role's
policies, groups and tags, and an access key; revoking the lease deletes the
user. An assumed_role role calls sts:AssumeRole on one of role_arns, and a
federation_token role calls sts:GetFederationToken; both return a session
token that AWS expires, under a lease that cannot be renewed. Deleting a role
does not revoke credentials already issued.`,
  });
}

/** Returns the role in Vault's response form. */
function roleData(role: Role): Record<string, unknown> {
  return {
    credential_type: role.credentialType,
    role_arns: role.roleArns,
    policy_arns: role.policyArns,
    policy_document: role.policyDocument,
    iam_groups: role.iamGroups,
    iam_tags: role.iamTags,
    default_sts_ttl: role.defaultStsTtl,
    max_sts_ttl: role.maxStsTtl,
    user_path: role.userPath,
    permissions_boundary_arn: role.permissionsBoundaryArn,
    external_id: role.externalId,
    session_tags: role.sessionTags,
  };
}

async function writeRoleEntry(request: Request, fields: RoleFields): Promise<null> {
  const name = fields.get('name');
  const existing = await readRole(request.storage, name);

  const credentialType = fields.getIfSet('credential_type') ?? existing?.credentialType;
  if (credentialType === undefined || credentialType === '') throw badRequest('missing required field "credential_type"');
  if (!(CREDENTIAL_TYPES as readonly string[]).includes(credentialType)) {
    throw badRequest(`invalid field "credential_type": "${credentialType}" is not one of ${CREDENTIAL_TYPES.join(', ')}`);
  }
  const role: Role = {
    credentialType: credentialType as CredentialType,
    roleArns: fields.getIfSet('role_arns') ?? existing?.roleArns ?? [],
    policyArns: fields.getIfSet('policy_arns') ?? existing?.policyArns ?? [],
    policyDocument: fields.has('policy_document') ? compactPolicyDocument(fields.get('policy_document')) : (existing?.policyDocument ?? ''),
    iamGroups: fields.getIfSet('iam_groups') ?? existing?.iamGroups ?? [],
    iamTags: fields.getIfSet('iam_tags') ?? existing?.iamTags ?? {},
    defaultStsTtl: fields.getIfSet('default_sts_ttl') ?? existing?.defaultStsTtl ?? 0,
    maxStsTtl: fields.getIfSet('max_sts_ttl') ?? existing?.maxStsTtl ?? 0,
    userPath: fields.getIfSet('user_path') ?? existing?.userPath ?? '',
    permissionsBoundaryArn: fields.getIfSet('permissions_boundary_arn') ?? existing?.permissionsBoundaryArn ?? '',
    externalId: fields.getIfSet('external_id') ?? existing?.externalId ?? '',
    sessionTags: fields.getIfSet('session_tags') ?? existing?.sessionTags ?? {},
  };

  checkRole(role);
  await writeRole(request.storage, name, role);
  return null;
}

/**
 * Parses the policy document and returns it without insignificant white
 * space, as Vault stores it.
 * @throws CofferError (400) naming `policy_document` when it is not a JSON object.
 */
function compactPolicyDocument(document: string): string {
  if (document.trim() === '') return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch (err) {
    throw badRequest(`invalid field "policy_document": not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('invalid field "policy_document": must be a JSON object such as {"Version": "2012-10-17", "Statement": [...]}');
  }
  return JSON.stringify(parsed);
}

/** @throws CofferError (400) naming the first field that does not fit the role's credential type, or is malformed. */
function checkRole(role: Role): void {
  const type = role.credentialType;
  const isSts = STS_TYPES.includes(type);

  // Fields that only one credential type uses; Vault rejects them on the others.
  onlyFor('role_arns', role.roleArns.length > 0, type === 'assumed_role', 'assumed_role');
  onlyFor('external_id', role.externalId !== '', type === 'assumed_role', 'assumed_role');
  onlyFor('session_tags', Object.keys(role.sessionTags).length > 0, type === 'assumed_role', 'assumed_role');
  onlyFor('iam_tags', Object.keys(role.iamTags).length > 0, type === 'iam_user', 'iam_user');
  onlyFor('user_path', role.userPath !== '', type === 'iam_user', 'iam_user');
  onlyFor('permissions_boundary_arn', role.permissionsBoundaryArn !== '', type === 'iam_user', 'iam_user');
  onlyFor('default_sts_ttl', role.defaultStsTtl > 0, isSts, 'assumed_role or federation_token');
  onlyFor('max_sts_ttl', role.maxStsTtl > 0, isSts, 'assumed_role or federation_token');

  if (type === 'assumed_role' && role.roleArns.length === 0) {
    throw badRequest('missing required field "role_arns": credential_type assumed_role needs at least one role ARN');
  }
  if (type !== 'assumed_role' && role.policyArns.length === 0 && role.policyDocument === '' && role.iamGroups.length === 0) {
    throw badRequest(`missing required field "policy_arns", "policy_document" or "iam_groups": credential_type ${type} needs at least one of them`);
  }
  for (const arn of role.roleArns) {
    if (!ROLE_ARN.test(arn)) throw badRequest(`invalid field "role_arns": "${arn}" is not an IAM role ARN such as "arn:aws:iam::123456789012:role/name"`);
  }
  for (const arn of role.policyArns) {
    if (!POLICY_ARN.test(arn)) throw badRequest(`invalid field "policy_arns": "${arn}" is not a managed policy ARN such as "arn:aws:iam::aws:policy/ReadOnlyAccess"`);
  }
  if (role.permissionsBoundaryArn !== '' && !POLICY_ARN.test(role.permissionsBoundaryArn)) {
    throw badRequest(`invalid field "permissions_boundary_arn": "${role.permissionsBoundaryArn}" is not a managed policy ARN such as "arn:aws:iam::aws:policy/ReadOnlyAccess"`);
  }
  for (const group of role.iamGroups) {
    if (!GROUP_NAME.test(group)) throw badRequest(`invalid field "iam_groups": "${group}" is not an IAM group name: use up to 128 letters, digits and "+=,.@_-"`);
  }
  if (role.userPath !== '' && !USER_PATH.test(role.userPath)) {
    throw badRequest(`invalid field "user_path": "${role.userPath}" is not an IAM path: it must start and end with "/", e.g. "/coffer/"`);
  }
  if (role.maxStsTtl > 0 && role.defaultStsTtl > role.maxStsTtl) {
    throw badRequest(`invalid field "default_sts_ttl": ${role.defaultStsTtl} s is greater than "max_sts_ttl" of ${role.maxStsTtl} s`);
  }
}

function onlyFor(field: string, isSet: boolean, allowed: boolean, types: string): void {
  if (isSet && !allowed) throw badRequest(`invalid field "${field}": only valid for credential_type ${types}`);
}
