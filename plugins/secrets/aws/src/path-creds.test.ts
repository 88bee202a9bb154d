import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { StorageView, WriteAheadLog } from '@coffer/sdk';
import { GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { assertRejectedUnchanged, createHarness, dataOf, leaseOf, rootConfig, type Harness } from './test-support.js';
import { ACCOUNT_ID, startAwsDouble, type AwsDouble } from './testing/index.js';

const POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}';
const GROUP_POLICY = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}}';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

/** Calls IAM GetUser signed with an issued key; returns the user name or the AWS error code. */
async function iamWhoAmI(aws: AwsDouble, accessKeyId: string, secretAccessKey: string): Promise<string> {
  const client = new IAMClient({ region: 'us-east-1', endpoint: aws.endpoint, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  try {
    return (await client.send(new GetUserCommand({}))).User!.UserName!;
  } catch (err) {
    return (err as { Code?: string }).Code ?? String(err);
  } finally {
    client.destroy();
  }
}

/** Calls STS GetCallerIdentity with issued session credentials; returns the caller's ARN. */
async function stsWhoAmI(aws: AwsDouble, data: Record<string, any>): Promise<string> {
  const credentials = { accessKeyId: data.access_key, secretAccessKey: data.secret_key, sessionToken: data.session_token };
  const client = new STSClient({ region: 'us-east-1', endpoint: aws.endpoint, credentials, maxAttempts: 1 });
  try {
    return (await client.send(new GetCallerIdentityCommand({}))).Arn!;
  } finally {
    client.destroy();
  }
}

describe('creds for iam_user', () => {
  let aws: AwsDouble;
  let harness: Harness;
  let boundary: string;

  before(async () => {
    aws = await startAwsDouble();
    boundary = aws.createManagedPolicy('boundary');
    const group = aws.createGroup('developers');
    group.inlinePolicies.set('queue', GROUP_POLICY);
  });
  after(async () => {
    await aws.close();
  });
  beforeEach(async () => {
    harness = createHarness('userpass-alice');
    await harness.send('update', 'config/root', rootConfig(aws));
    await harness.send('update', 'config/lease', { lease: '10m', lease_max: '1h' });
    await harness.send('update', 'roles/app', {
      credential_type: 'iam_user',
      policy_document: POLICY,
      policy_arns: [READ_ONLY],
      iam_groups: 'developers',
      iam_tags: { team: 'payments' },
      user_path: '/coffer/',
      permissions_boundary_arn: boundary,
    });
  });

  test('issue creates a complete user', async () => {
    const response = await harness.send('read', 'creds/app');

    const data = dataOf(response);
    assert.deepEqual(Object.keys(data).sort(), ['access_key', 'secret_key', 'security_token', 'session_token']);
    assert.equal(data.session_token, null);
    const username = response!.secret!.internalData.username as string;
    assert.match(username, /^vault-userpass-alice-app-\d{10}-[A-Za-z0-9]{20}$/);
    const user = aws.users.get(username)!;
    assert.equal(user.path, '/coffer/');
    assert.equal(user.arn, `arn:aws:iam::${ACCOUNT_ID}:user/coffer/${username}`);
    assert.equal(user.permissionsBoundary, boundary);
    assert.deepEqual(user.tags, { team: 'payments' });
    assert.deepEqual([...user.inlinePolicies], [['app', POLICY]]);
    assert.deepEqual([...user.attachedPolicyArns], [READ_ONLY]);
    assert.deepEqual([...user.groups], ['developers']);
    assert.deepEqual([...user.accessKeys.keys()], [data.access_key]);
    assert.equal(user.accessKeys.get(data.access_key)!.secretAccessKey, data.secret_key);
    assert.equal(await iamWhoAmI(aws, data.access_key, data.secret_key), username);

    assert.equal(response!.secret!.ttl, 600);
    assert.equal(response!.secret!.maxTtl, 3600);
    assert.equal(response!.secret!.renewable, true);
    assert.deepEqual(response!.secret!.internalData, { username, policy: 'app', is_sts: false, secret_type: 'access_keys' });
    assert.deepEqual([...(await harness.snapshot()).keys()].filter((key) => key.includes('/wal/')), []);
  });

  test('sts path and update issue the same way', async () => {
    for (const [operation, path] of [['update', 'creds/app'], ['read', 'sts/app']] as const) {
      const response = await harness.send(operation, path, operation === 'update' ? { ttl: '5m' } : {});
      assert.ok(aws.users.has(response!.secret!.internalData.username as string), path);
      assert.equal(response!.secret!.ttl, 600);
    }
  });

  test('revoke removes every IAM object', async () => {
    const response = await harness.send('read', 'creds/app');
    const username = response!.secret!.internalData.username as string;
    const { access_key: accessKey, secret_key: secretKey } = dataOf(response);
    assert.ok(aws.users.has(username));

    assert.equal(await harness.send('revoke', 'creds/app', {}, leaseOf(response)), null);

    assert.equal(aws.users.has(username), false);
    assert.equal(await iamWhoAmI(aws, accessKey, secretKey), 'InvalidClientTokenId');
    const calls = aws.calls.slice(aws.calls.lastIndexOf('ListGroupsForUser'));
    assert.deepEqual(calls, [
      'ListGroupsForUser',
      'RemoveUserFromGroup',
      'ListUserPolicies',
      'DeleteUserPolicy',
      'ListAttachedUserPolicies',
      'DetachUserPolicy',
      'ListAccessKeys',
      'DeleteAccessKey',
      'DeleteUser',
    ]);

    // A second revocation finds the user gone and succeeds.
    assert.equal(await harness.send('revoke', 'creds/app', {}, leaseOf(response)), null);
  });

  test('revoke removes objects added after issue', async () => {
    const response = await harness.send('read', 'creds/app');
    const user = aws.users.get(response!.secret!.internalData.username as string)!;
    user.inlinePolicies.set('extra', POLICY);
    user.accessKeys.set('AKIAEXTRAKEY00000000', { secretAccessKey: 'x', status: 'Active', createDate: new Date() });

    await harness.send('revoke', 'creds/app', {}, leaseOf(response));

    assert.equal(aws.users.has(user.userName), false);
  });

  test('renew is capped at lease_max', async () => {
    const response = await harness.send('read', 'creds/app');

    const renewed = await harness.send('renew', 'creds/app', {}, leaseOf(response, { increment: 7200, issuedSecondsAgo: 3000 }));

    assert.equal(renewed!.secret!.ttl, 600);
    assert.equal(renewed!.secret!.renewable, true);
    await assert.rejects(harness.send('renew', 'creds/app', {}, leaseOf(response, { issuedSecondsAgo: 3600 })), { message: 'past the max TTL, cannot renew' });
  });

  test('username_template names users', async () => {
    await harness.send('update', 'config/root', { username_template: '{{ printf "coffer-%s-%s" .PolicyName (random 6) }}' });

    const response = await harness.send('read', 'creds/app');

    assert.match(response!.secret!.internalData.username as string, /^coffer-app-[A-Za-z0-9]{6}$/);
  });

  test('name with characters IAM rejects', async () => {
    await harness.send('update', 'config/root', { username_template: '{{ printf "team/%s %s" .RoleName (random 4) }}' });
    const users = [...aws.users.keys()];
    aws.calls.length = 0;

    await assert.rejects(harness.send('read', 'creds/app'), (err: Error & { status?: number }) => {
      assert.match(err.message, /^failed to generate username: "team\/app [A-Za-z0-9]{4}" contains a character that IAM user names cannot contain; make username_template generate only letters, digits and "\+=,\.@_-"$/);
      assert.equal(err.status, 500);
      return true;
    });
    assert.deepEqual(aws.calls, []);
    assert.deepEqual([...aws.users.keys()], users);
    assert.deepEqual(await new WriteAheadLog(new StorageView(harness.storage, 'logical/aws/')).list(), []);
  });

  test('name over 64 characters is rejected', async () => {
    await harness.send('update', 'config/root', { username_template: '{{ random 65 }}' });
    const before = aws.users.size;

    await assert.rejects(harness.send('read', 'creds/app'), (err: Error & { status?: number }) => {
      assert.match(err.message, /^failed to generate username: "[A-Za-z0-9]{65}" is 65 characters, over the limit of 64 for IAM user names; shorten username_template$/);
      assert.equal(err.status, 500);
      return true;
    });
    assert.equal(aws.users.size, before);
  });

  test('failure part-way deletes the user', async () => {
    await harness.send('update', 'roles/broken', { credential_type: 'iam_user', policy_document: POLICY, iam_groups: 'missing-group' });
    const users = [...aws.users.keys()];

    await assertRejectedUnchanged(
      harness,
      () => harness.send('read', 'creds/broken'),
      'failed to add the user to group missing-group: NoSuchEntity: The group with name missing-group cannot be found.',
    );
    assert.deepEqual([...aws.users.keys()], users);
  });

  test('clashing name keeps the existing user', async () => {
    await harness.send('update', 'config/root', { username_template: 'fixed-name' });
    const first = await harness.send('read', 'creds/app');
    const key = dataOf(first).access_key;

    await assertRejectedUnchanged(harness, () => harness.send('read', 'creds/app'), 'failed to create IAM user: EntityAlreadyExists: User with name fixed-name already exists; make username_template generate unique names, e.g. with (random 20)');
    assert.deepEqual([...aws.users.get('fixed-name')!.accessKeys.keys()], [key]);
  });

  test('periodic pass deletes an unissued user', async () => {
    const issued = await harness.send('read', 'creds/app');
    const username = issued!.secret!.internalData.username as string;
    const wal = new WriteAheadLog(new StorageView(harness.storage, 'logical/aws/'));
    await wal.put('user', { username }, Date.now() - 3600_000);

    await harness.backend.periodic();

    assert.equal(aws.users.has(username), false);
    assert.deepEqual(await wal.list(), []);
  });

  test('periodic pass spares a user being issued', async () => {
    const hold = aws.holdNext('CreateAccessKey');
    const issuing = harness.send('read', 'creds/app');
    await hold.reached;

    // Backdate the creation's write-ahead record past the rollback age, as a slow creation would leave it.
    const view = new StorageView(harness.storage, 'logical/aws/');
    const wal = new WriteAheadLog(view);
    const [id] = await wal.list();
    const entry = (await wal.get(id))!;
    const username = entry.data.username as string;
    await view.put({ key: `wal/${id}`, value: Buffer.from(JSON.stringify({ ...entry, createdAt: entry.createdAt - 3600_000 })) });

    const rolling = harness.backend.periodic();
    // Let the pass reach the user's lock before the creation finishes.
    await new Promise((resolve) => setTimeout(resolve, 50));
    hold.release();
    const issued = await issuing;
    await rolling;

    assert.equal(issued!.secret!.internalData.username, username);
    assert.equal(aws.users.has(username), true);
    assert.equal(await iamWhoAmI(aws, dataOf(issued).access_key, dataOf(issued).secret_key), username);
    assert.deepEqual(await wal.list(), []);
  });

  test('unknown role and missing config are rejected', async () => {
    await assertRejectedUnchanged(harness, () => harness.send('read', 'creds/nope'), 'unknown role: nope');
    const bare = createHarness();
    await bare.send('update', 'roles/app', { credential_type: 'iam_user', policy_document: POLICY });
    await assertRejectedUnchanged(bare, () => bare.send('read', 'creds/app'), 'no root credentials configured: write config/root first');
  });
});

describe('creds for assumed_role', () => {
  let aws: AwsDouble;
  let harness: Harness;
  let roleArn: string;
  let otherArn: string;

  before(async () => {
    aws = await startAwsDouble();
    roleArn = aws.createRole('deploy', 7200);
    otherArn = aws.createRole('audit');
  });
  after(async () => {
    await aws.close();
  });
  beforeEach(async () => {
    harness = createHarness('token');
    await harness.send('update', 'config/root', rootConfig(aws));
    await harness.send('update', 'roles/deploy', {
      credential_type: 'assumed_role',
      role_arns: [roleArn],
      policy_document: POLICY,
      policy_arns: READ_ONLY,
      external_id: 'ext-42',
      session_tags: 'project=coffer',
    });
  });

  test('issue returns working session credentials', async () => {
    const response = await harness.send('update', 'sts/deploy', { role_session_name: 'ci-run-7' });

    const data = dataOf(response);
    assert.deepEqual(Object.keys(data).sort(), ['access_key', 'arn', 'secret_key', 'security_token', 'session_token', 'ttl']);
    const session = aws.sessions.at(-1)!;
    assert.equal(session.action, 'AssumeRole');
    assert.equal(data.access_key, session.accessKeyId);
    assert.equal(data.secret_key, session.secretAccessKey);
    assert.equal(data.session_token, session.sessionToken);
    assert.equal(data.security_token, session.sessionToken);
    assert.equal(data.arn, `arn:aws:sts::${ACCOUNT_ID}:assumed-role/deploy/ci-run-7`);
    assert.equal(data.ttl, 3600);
    assert.equal(session.durationSeconds, 3600);
    assert.equal(session.policy, POLICY);
    assert.deepEqual(session.policyArns, [READ_ONLY]);
    assert.equal(session.externalId, 'ext-42');
    assert.deepEqual(session.tags, { project: 'coffer' });
    assert.equal(await stsWhoAmI(aws, data), data.arn);

    assert.equal(response!.secret!.ttl, 3600);
    assert.equal(response!.secret!.renewable, false);
    assert.equal(response!.secret!.internalData.is_sts, true);
  });

  test('generated session name has the sts form', async () => {
    const response = await harness.send('read', 'creds/deploy');

    assert.match(aws.sessions.at(-1)!.sessionName, /^vault-\d{10}-[A-Za-z0-9]{15}$/);
    assert.equal(response!.secret!.internalData.username, aws.sessions.at(-1)!.sessionName);
  });

  test('ttl comes from request, role, then default', async () => {
    await harness.send('update', 'sts/deploy', { ttl: '20m' });
    assert.equal(aws.sessions.at(-1)!.durationSeconds, 1200);

    await harness.send('update', 'roles/deploy', { default_sts_ttl: '30m', max_sts_ttl: '90m' });
    const fromRole = await harness.send('read', 'sts/deploy');
    assert.equal(aws.sessions.at(-1)!.durationSeconds, 1800);
    assert.equal(fromRole!.secret!.ttl, 1800);

    const capped = await harness.send('update', 'sts/deploy', { ttl: '3h' });
    assert.equal(aws.sessions.at(-1)!.durationSeconds, 5400);
    assert.equal(dataOf(capped).ttl, 5400);
    assert.equal(capped!.secret!.ttl, 5400);
  });

  test('ttl is capped by the mount max without max_sts_ttl', async () => {
    await harness.send('update', 'sts/deploy', { ttl: '5h' });
    assert.equal(aws.sessions.at(-1)!.durationSeconds, 7200);
  });

  test('ttl below the aws minimum is rejected', async () => {
    const sessions = aws.sessions.length;
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'sts/deploy', { ttl: 60 }),
      `failed to assume role ${roleArn}: ValidationError: 1 validation error detected: Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
    );
    assert.equal(aws.sessions.length, sessions);
  });

  test('ttl over the role session max is rejected', async () => {
    await harness.send('update', 'roles/deploy', { role_arns: otherArn });
    const sessions = aws.sessions.length;

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'sts/deploy', { ttl: '2h' }),
      `failed to assume role ${otherArn}: ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
    );
    assert.equal(aws.sessions.length, sessions);
  });

  test('role_arn must be one of role_arns', async () => {
    await harness.send('update', 'roles/deploy', { role_arns: [roleArn, otherArn] });

    await assertRejectedUnchanged(
      harness,
      () => harness.send('read', 'sts/deploy'),
      'missing required field "role_arn": role "deploy" allows 2 role ARNs, so the request must name one',
    );
    const unknown = `arn:aws:iam::${ACCOUNT_ID}:role/admin`;
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'sts/deploy', { role_arn: unknown }),
      `invalid field "role_arn": "${unknown}" is not one of the role_arns of role "deploy"`,
    );

    const response = await harness.send('update', 'sts/deploy', { role_arn: otherArn, role_session_name: 'pick' });
    assert.equal(dataOf(response).arn, `arn:aws:sts::${ACCOUNT_ID}:assumed-role/audit/pick`);
  });

  test('role aws does not allow is rejected', async () => {
    const missing = `arn:aws:iam::${ACCOUNT_ID}:role/missing`;
    await harness.send('update', 'roles/deploy', { role_arns: missing });
    await assertRejectedUnchanged(
      harness,
      () => harness.send('read', 'sts/deploy'),
      `failed to assume role ${missing}: AccessDenied: User: arn:aws:iam::${ACCOUNT_ID}:user/coffer-admin is not authorized to perform: sts:AssumeRole on resource: ${missing}`,
    );
  });

  test('revoke and renew change nothing in aws', async () => {
    const response = await harness.send('read', 'sts/deploy');
    const calls = aws.calls.length;

    assert.equal(await harness.send('revoke', 'sts/deploy', {}, leaseOf(response)), null);
    assert.equal(aws.calls.length, calls);
    assert.equal(await stsWhoAmI(aws, dataOf(response)), dataOf(response).arn);
    await assert.rejects(harness.send('renew', 'sts/deploy', {}, leaseOf(response)), { message: 'STS credentials cannot be renewed' });
  });
});

describe('creds for federation_token', () => {
  let aws: AwsDouble;
  let harness: Harness;

  before(async () => {
    aws = await startAwsDouble();
    const group = aws.createGroup('readers');
    group.attachedPolicyArns.add('arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess');
    group.inlinePolicies.set('queue', GROUP_POLICY);
  });
  after(async () => {
    await aws.close();
  });
  beforeEach(async () => {
    harness = createHarness('token');
    await harness.send('update', 'config/root', rootConfig(aws));
    await harness.send('update', 'roles/fed', { credential_type: 'federation_token', policy_document: POLICY, max_sts_ttl: '2h' });
  });

  test('issue returns a federated user token', async () => {
    const response = await harness.send('read', 'creds/fed');

    const data = dataOf(response);
    const session = aws.sessions.at(-1)!;
    assert.equal(session.action, 'GetFederationToken');
    assert.match(session.sessionName, /^vault-\d{10}-[A-Za-z0-9]{15}$/);
    assert.equal(session.sessionName.length, 32);
    assert.equal(data.arn, `arn:aws:sts::${ACCOUNT_ID}:federated-user/${session.sessionName}`);
    assert.equal(session.policy, POLICY);
    assert.deepEqual(session.policyArns, []);
    assert.equal(data.ttl, 3600);
    assert.equal(await stsWhoAmI(aws, data), data.arn);
    assert.equal(response!.secret!.renewable, false);
  });

  test('ttl is capped at max_sts_ttl', async () => {
    const response = await harness.send('update', 'creds/fed', { ttl: '36h' });
    assert.equal(aws.sessions.at(-1)!.durationSeconds, 7200);
    assert.equal(response!.secret!.ttl, 7200);
  });

  test('group policies are combined', async () => {
    await harness.send('update', 'roles/fed', { iam_groups: 'readers' });

    await harness.send('read', 'creds/fed');

    const session = aws.sessions.at(-1)!;
    assert.deepEqual(JSON.parse(session.policy!), {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' },
      ],
    });
    assert.deepEqual(session.policyArns, ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess']);
  });

  test('malformed policy is rejected by aws', async () => {
    await harness.send('update', 'roles/fed', { policy_document: '{"Version":"2012-10-17"}' });
    await assertRejectedUnchanged(
      harness,
      () => harness.send('read', 'creds/fed'),
      'failed to get a federation token: MalformedPolicyDocument: Policy document must contain a Statement.',
    );
  });
});
