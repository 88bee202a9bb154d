/**
 * Creation and deletion of the IAM users that iam_user roles issue, in the
 * order IAM requires: a user can only be deleted once its access keys,
 * inline policies, attached policies and group memberships are gone.
 */
import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  paginateListAccessKeys,
  paginateListAttachedUserPolicies,
  paginateListGroupsForUser,
  paginateListUserPolicies,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { CofferError } from '@coffer/sdk';
import { awsErrorCode, callAws } from './clients.js';
import type { Role } from './store.js';

/** The CofferError code of a CreateUser call that found the name taken, so callers leave that user alone. */
export const USER_EXISTS = 'COFFER_ERR_AWS_USER_EXISTS';

/**
 * Creates the user with the role's path, permissions boundary and tags,
 * attaches and puts its policies, adds it to its groups, and creates an
 * access key. The inline policy is named after the role, as in Vault.
 */
export async function createIamUser(client: IAMClient, username: string, roleName: string, role: Role): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const tags = Object.entries(role.iamTags).map(([Key, Value]) => ({ Key, Value }));
  const create = new CreateUserCommand({
    UserName: username,
    Path: role.userPath || '/',
    ...(role.permissionsBoundaryArn !== '' ? { PermissionsBoundary: role.permissionsBoundaryArn } : {}),
    ...(tags.length > 0 ? { Tags: tags } : {}),
  });
  await callAws('create IAM user', async () => {
    try {
      return await client.send(create);
    } catch (err) {
      if (awsErrorCode(err) !== 'EntityAlreadyExists') throw err;
      const hint = 'make username_template generate unique names, e.g. with (random 20)';
      throw new CofferError(USER_EXISTS, 400, `failed to create IAM user: EntityAlreadyExists: ${(err as Error).message.replace(/\.$/, '')}; ${hint}`);
    }
  });
  for (const arn of role.policyArns) {
    await callAws(`attach policy ${arn}`, () => client.send(new AttachUserPolicyCommand({ UserName: username, PolicyArn: arn })));
  }
  if (role.policyDocument !== '') {
    await callAws('put the inline policy', () => client.send(new PutUserPolicyCommand({ UserName: username, PolicyName: roleName, PolicyDocument: role.policyDocument })));
  }
  for (const group of role.iamGroups) {
    await callAws(`add the user to group ${group}`, () => client.send(new AddUserToGroupCommand({ UserName: username, GroupName: group })));
  }

  const output = await callAws('create an access key', () => client.send(new CreateAccessKeyCommand({ UserName: username })));
  const key = output.AccessKey;
  if (key?.AccessKeyId === undefined || key.SecretAccessKey === undefined) {
    throw new CofferError('COFFER_ERR_AWS', 500, 'failed to create an access key: the response has no "AccessKey"');
  }
  return { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
}

/**
 * Deletes the user and everything that blocks its deletion. Lists what IAM
 * stores for the user instead of trusting the role, which may have changed since issue.
 * An object already gone (`NoSuchEntity`) counts as deleted.
 * @returns false when the user was already gone.
 */
export async function deleteIamUser(client: IAMClient, username: string): Promise<boolean> {
  const groups: string[] = [];
  const found = await unlessMissing('list the groups of the IAM user', async () => {
    for await (const page of paginateListGroupsForUser({ client }, { UserName: username })) {
      for (const group of page.Groups ?? []) groups.push(group.GroupName!);
    }
  });
  if (!found) return false;
  for (const group of groups) {
    await unlessMissing(`remove the user from group ${group}`, () => client.send(new RemoveUserFromGroupCommand({ UserName: username, GroupName: group })));
  }

  await unlessMissing('delete the inline policies', async () => {
    for await (const page of paginateListUserPolicies({ client }, { UserName: username })) {
      for (const policyName of page.PolicyNames ?? []) {
        await unlessMissing(`delete inline policy ${policyName}`, () => client.send(new DeleteUserPolicyCommand({ UserName: username, PolicyName: policyName })));
      }
    }
  });
  await unlessMissing('detach the managed policies', async () => {
    for await (const page of paginateListAttachedUserPolicies({ client }, { UserName: username })) {
      for (const policy of page.AttachedPolicies ?? []) {
        await unlessMissing(`detach policy ${policy.PolicyArn}`, () => client.send(new DetachUserPolicyCommand({ UserName: username, PolicyArn: policy.PolicyArn })));
      }
    }
  });
  await unlessMissing('delete the access keys', async () => {
    for await (const page of paginateListAccessKeys({ client }, { UserName: username })) {
      for (const key of page.AccessKeyMetadata ?? []) {
        await unlessMissing(`delete access key ${key.AccessKeyId}`, () => client.send(new DeleteAccessKeyCommand({ UserName: username, AccessKeyId: key.AccessKeyId })));
      }
    }
  });
  return unlessMissing('delete IAM user', () => client.send(new DeleteUserCommand({ UserName: username })));
}

/** Runs `call` as {@link callAws} does, but returns false instead of failing when AWS returns `NoSuchEntity`. */
async function unlessMissing(operation: string, call: () => Promise<unknown>): Promise<boolean> {
  let missing = false;
  await callAws(operation, async () => {
    try {
      await call();
    } catch (err) {
      if (awsErrorCode(err) !== 'NoSuchEntity') throw err;
      missing = true;
    }
  });
  return !missing;
}
