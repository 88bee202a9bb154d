/**
 * The AWS engine through a real dev server and the IAM and STS stand-in
 * (`@coffer/secrets-aws/testing`) on a loopback port. The engine reaches the
 * stand-in with the real AWS SDK, and sys/leases/revoke deletes the IAM user
 * with everything attached to it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startAwsDouble, type AwsDouble } from '@coffer/secrets-aws/testing';
import type { RunningServer } from '../server.js';
import { api, startDevServer, type ApiResponse } from '../testing/api-client.js';

// Dummies, so the AWS SDK never looks for real credentials, shared files or instance metadata.
process.env.AWS_ACCESS_KEY_ID = 'AKIAENVIRONMENTDUMMY';
process.env.AWS_SECRET_ACCESS_KEY = 'environment-dummy-secret';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

const ROOT = 'root-aws-test-token';
const POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}';

describe('aws over HTTP', () => {
  let aws: AwsDouble;
  let server: RunningServer;
  let roleArn: string;
  const call = (method: string, path: string, body?: unknown): Promise<ApiResponse> => api(server, method, path, { token: ROOT, body });

  before(async () => {
    aws = await startAwsDouble();
    roleArn = aws.createRole('deploy');
    aws.createGroup('developers');
    server = await startDevServer(ROOT);
    assert.equal((await call('POST', 'sys/mounts/aws', { type: 'aws' })).status, 204);
    const root = { access_key: aws.admin.accessKeyId, secret_key: aws.admin.secretAccessKey, region: 'us-east-1', iam_endpoint: aws.endpoint, sts_endpoint: aws.endpoint };
    assert.equal((await call('POST', 'aws/config/root', root)).status, 204);
    assert.equal((await call('POST', 'aws/config/lease', { lease: '10m', lease_max: '30m' })).status, 204);
    const roles: [string, Record<string, unknown>][] = [
      ['app', { credential_type: 'iam_user', policy_document: POLICY, policy_arns: 'arn:aws:iam::aws:policy/ReadOnlyAccess', iam_groups: 'developers', iam_tags: ['team=payments'] }],
      ['deploy', { credential_type: 'assumed_role', role_arns: roleArn }],
      ['fed', { credential_type: 'federation_token', policy_document: POLICY }],
    ];
    for (const [name, body] of roles) {
      const written = await call('POST', `aws/roles/${name}`, body);
      assert.equal(written.status, 204, JSON.stringify(written.body));
    }
  });
  after(async () => {
    await server.close();
    await aws.close();
  });

  test('config/root hides secret_key', async () => {
    const response = await call('GET', 'aws/config/root');

    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, {
      access_key: aws.admin.accessKeyId,
      region: 'us-east-1',
      iam_endpoint: aws.endpoint,
      sts_endpoint: aws.endpoint,
      max_retries: -1,
      username_template: '',
    });
  });

  test('iam_user lease revocation deletes the user', async () => {
    const issued = await call('GET', 'aws/creds/app');

    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    assert.match(issued.body.lease_id, /^aws\/creds\/app\/\w+/);
    assert.equal(issued.body.lease_duration, 600);
    assert.equal(issued.body.renewable, true);
    const names = [...aws.users.keys()].filter((name) => name.startsWith('vault-root-app-'));
    assert.equal(names.length, 1);
    const user = aws.users.get(names[0])!;
    assert.deepEqual([...user.accessKeys.keys()], [issued.body.data.access_key]);
    assert.deepEqual([...user.groups], ['developers']);
    assert.deepEqual(user.tags, { team: 'payments' });

    const revoked = await call('PUT', 'sys/leases/revoke', { lease_id: issued.body.lease_id });

    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
    assert.equal(aws.users.has(names[0]), false);
    assert.deepEqual([...aws.users.keys()], ['coffer-admin']);
  });

  test('assumed_role over sts with POST', async () => {
    const issued = await call('POST', 'aws/sts/deploy', { ttl: '15m', role_session_name: 'http-test' });

    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    assert.equal(issued.body.renewable, false);
    assert.equal(issued.body.lease_duration, 900);
    assert.equal(issued.body.data.arn, 'arn:aws:sts::123456789012:assumed-role/deploy/http-test');
    const session = aws.sessions.at(-1)!;
    assert.equal(issued.body.data.session_token, session.sessionToken);
    assert.equal(session.durationSeconds, 900);

    const renewed = await call('PUT', 'sys/leases/renew', { lease_id: issued.body.lease_id });
    assert.equal(renewed.status, 400);
    assert.deepEqual(renewed.body, { errors: ['lease is not renewable'] });
  });

  test('federation_token over creds with GET', async () => {
    const issued = await call('GET', 'aws/creds/fed');

    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    assert.equal(issued.body.lease_duration, 3600);
    assert.equal(aws.sessions.at(-1)!.action, 'GetFederationToken');
    assert.equal(issued.body.data.access_key, aws.sessions.at(-1)!.accessKeyId);
  });

  test('bad role is rejected with the field', async () => {
    const response = await call('POST', 'aws/roles/bad', { credential_type: 'iam_user', policy_document: '{"Version":', role_arns: roleArn });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { errors: ['invalid field "policy_document": not valid JSON: Unexpected end of JSON input'] });
    assert.equal((await call('GET', 'aws/roles/bad')).status, 404);
  });
});
