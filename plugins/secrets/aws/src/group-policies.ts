/**
 * The policies of IAM groups, which assumed_role and federation_token roles
 * pass to STS because temporary credentials cannot belong to a group.
 */
import { GetGroupPolicyCommand, paginateListAttachedGroupPolicies, paginateListGroupPolicies, type IAMClient } from '@aws-sdk/client-iam';
import { callAws } from './clients.js';

/** Returns the managed policy ARNs and inline policy documents of `groups`. */
export async function groupPolicies(client: IAMClient, groups: string[]): Promise<{ arns: string[]; documents: string[] }> {
  const arns: string[] = [];
  const documents: string[] = [];
  for (const group of groups) {
    await callAws(`list the managed policies of group ${group}`, async () => {
      for await (const page of paginateListAttachedGroupPolicies({ client }, { GroupName: group })) {
        for (const policy of page.AttachedPolicies ?? []) if (policy.PolicyArn !== undefined) arns.push(policy.PolicyArn);
      }
    });
    const names: string[] = [];
    await callAws(`list the inline policies of group ${group}`, async () => {
      for await (const page of paginateListGroupPolicies({ client }, { GroupName: group })) names.push(...(page.PolicyNames ?? []));
    });
    for (const name of names) {
      const output = await callAws(`get inline policy ${name} of group ${group}`, () => client.send(new GetGroupPolicyCommand({ GroupName: group, PolicyName: name })));
      // IAM returns policy documents URL-encoded (RFC 3986).
      if (output.PolicyDocument !== undefined) documents.push(decodeURIComponent(output.PolicyDocument));
    }
  }
  return { arns, documents };
}
