import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { startAwsDouble, type AwsDouble } from './index.js';

// Dummies, so the AWS SDK never looks for real credentials, shared files or instance metadata.
process.env.AWS_ACCESS_KEY_ID = 'AKIAENVIRONMENTDUMMY';
process.env.AWS_SECRET_ACCESS_KEY = 'environment-dummy-secret';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

describe('aws stand-in', () => {
  let aws: AwsDouble;
  let iam: IAMClient;

  before(async () => {
    aws = await startAwsDouble();
    const credentials = { accessKeyId: aws.admin.accessKeyId, secretAccessKey: aws.admin.secretAccessKey };
    iam = new IAMClient({ region: aws.region, endpoint: aws.endpoint, credentials, maxAttempts: 1 });
  });
  after(async () => {
    iam.destroy();
    await aws.close();
  });

  test('unsigned request is rejected', async () => {
    const response = await fetch(aws.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListUsers&Version=2010-05-08',
    });

    assert.equal(response.status, 403);
    assert.equal(response.headers.get('content-type'), 'text/xml');
    const body = await response.text();
    assert.match(body, /^<ErrorResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code><Message>Request is missing Authentication Token<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
    assert.deepEqual(aws.calls, []);
  });

  test('user with policies cannot be deleted', async () => {
    const user = aws.users.get('coffer-admin')!;
    await iam.send(new PutUserPolicyCommand({ UserName: user.userName, PolicyName: 'p', PolicyDocument: '{"Statement":[]}' }));

    await assert.rejects(iam.send(new DeleteUserCommand({ UserName: user.userName })), {
      name: 'DeleteConflictException',
      message: 'Cannot delete entity, must remove tokens, policies, groups and access keys first.',
    });
    assert.ok(aws.users.has(user.userName));
  });

  test('malformed policy is rejected', async () => {
    await assert.rejects(iam.send(new PutUserPolicyCommand({ UserName: 'coffer-admin', PolicyName: 'q', PolicyDocument: '{' })), {
      name: 'MalformedPolicyDocumentException',
      message: 'Syntax errors in policy.',
    });
    assert.equal(aws.users.get('coffer-admin')!.inlinePolicies.has('q'), false);
  });

  test('missing user is NoSuchEntity', async () => {
    await assert.rejects(iam.send(new DeleteUserCommand({ UserName: 'nobody' })), {
      name: 'NoSuchEntityException',
      message: 'The user with name nobody cannot be found.',
    });
  });
});
