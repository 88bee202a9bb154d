import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, dataOf } from './test-support.js';

const POLICY = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]\n}';
const COMPACT_POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/deploy';

const EMPTY_ROLE = {
  role_arns: [],
  policy_arns: [],
  policy_document: '',
  iam_groups: [],
  iam_tags: {},
  default_sts_ttl: 0,
  max_sts_ttl: 0,
  user_path: '',
  permissions_boundary_arn: '',
  external_id: '',
  session_tags: {},
};

describe('roles', () => {
  test('iam_user role is stored and read back', async () => {
    const harness = createHarness();
    await harness.send('update', 'roles/app', {
      credential_type: 'iam_user',
      policy_document: POLICY,
      policy_arns: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      iam_groups: ['developers'],
      iam_tags: ['team=payments', 'env=test'],
      user_path: '/coffer/',
      permissions_boundary_arn: 'arn:aws:iam::123456789012:policy/boundary',
    });

    assert.deepEqual(dataOf(await harness.send('read', 'roles/app')), {
      ...EMPTY_ROLE,
      credential_type: 'iam_user',
      policy_document: COMPACT_POLICY,
      policy_arns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
      iam_groups: ['developers'],
      iam_tags: { team: 'payments', env: 'test' },
      user_path: '/coffer/',
      permissions_boundary_arn: 'arn:aws:iam::123456789012:policy/boundary',
    });
  });

  test('assumed_role role is stored and read back', async () => {
    const harness = createHarness();
    await harness.send('update', 'roles/deploy', {
      credential_type: 'assumed_role',
      role_arns: ROLE_ARN,
      default_sts_ttl: '15m',
      max_sts_ttl: '1h',
      external_id: 'ext-1',
      session_tags: { project: 'coffer' },
    });

    assert.deepEqual(dataOf(await harness.send('read', 'roles/deploy')), {
      ...EMPTY_ROLE,
      credential_type: 'assumed_role',
      role_arns: [ROLE_ARN],
      default_sts_ttl: 900,
      max_sts_ttl: 3600,
      external_id: 'ext-1',
      session_tags: { project: 'coffer' },
    });
  });

  test('write changes only the fields it sets', async () => {
    const harness = createHarness();
    await harness.send('update', 'roles/fed', { credential_type: 'federation_token', policy_document: POLICY, max_sts_ttl: 7200 });

    await harness.send('update', 'roles/fed', { default_sts_ttl: 1800 });

    const data = dataOf(await harness.send('read', 'roles/fed'));
    assert.equal(data.credential_type, 'federation_token');
    assert.equal(data.policy_document, COMPACT_POLICY);
    assert.equal(data.default_sts_ttl, 1800);
    assert.equal(data.max_sts_ttl, 7200);
  });

  test('list and delete', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('list', 'roles/'), null);
    await harness.send('update', 'roles/a', { credential_type: 'iam_user', policy_arns: 'arn:aws:iam::aws:policy/ReadOnlyAccess' });
    await harness.send('update', 'roles/b', { credential_type: 'assumed_role', role_arns: ROLE_ARN });

    assert.deepEqual(dataOf(await harness.send('list', 'roles/')), { keys: ['a', 'b'] });

    assert.equal(await harness.send('delete', 'roles/a'), null);
    assert.equal(await harness.send('read', 'roles/a'), null);
    assert.deepEqual(dataOf(await harness.send('list', 'roles/')), { keys: ['b'] });
  });

  test('invalid fields are rejected', async () => {
    const harness = createHarness();
    await harness.send('update', 'roles/existing', { credential_type: 'assumed_role', role_arns: ROLE_ARN });
    const iamUser = { credential_type: 'iam_user', policy_document: POLICY };
    const cases: [string, Record<string, unknown>, string][] = [
      ['new', { policy_document: POLICY }, 'missing required field "credential_type"'],
      ['new', { credential_type: 'session_token', policy_document: POLICY }, 'invalid field "credential_type": "session_token" is not one of iam_user, assumed_role, federation_token'],
      ['new', { credential_type: 'iam_user', policy_document: '{"Version": ' }, 'invalid field "policy_document": not valid JSON: Unexpected end of JSON input'],
      ['new', { credential_type: 'iam_user', policy_document: '["a"]' }, 'invalid field "policy_document": must be a JSON object such as {"Version": "2012-10-17", "Statement": [...]}'],
      ['new', { ...iamUser, role_arns: ROLE_ARN }, 'invalid field "role_arns": only valid for credential_type assumed_role'],
      ['new', { ...iamUser, external_id: 'x' }, 'invalid field "external_id": only valid for credential_type assumed_role'],
      ['new', { ...iamUser, session_tags: 'a=b' }, 'invalid field "session_tags": only valid for credential_type assumed_role'],
      ['new', { ...iamUser, default_sts_ttl: 900 }, 'invalid field "default_sts_ttl": only valid for credential_type assumed_role or federation_token'],
      ['new', { ...iamUser, max_sts_ttl: 900 }, 'invalid field "max_sts_ttl": only valid for credential_type assumed_role or federation_token'],
      ['new', { credential_type: 'federation_token', policy_document: POLICY, iam_tags: 'a=b' }, 'invalid field "iam_tags": only valid for credential_type iam_user'],
      ['new', { credential_type: 'federation_token', policy_document: POLICY, user_path: '/x/' }, 'invalid field "user_path": only valid for credential_type iam_user'],
      [
        'new',
        { credential_type: 'federation_token', policy_document: POLICY, permissions_boundary_arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
        'invalid field "permissions_boundary_arn": only valid for credential_type iam_user',
      ],
      ['new', { credential_type: 'assumed_role' }, 'missing required field "role_arns": credential_type assumed_role needs at least one role ARN'],
      ['new', { credential_type: 'iam_user' }, 'missing required field "policy_arns", "policy_document" or "iam_groups": credential_type iam_user needs at least one of them'],
      [
        'new',
        { credential_type: 'federation_token' },
        'missing required field "policy_arns", "policy_document" or "iam_groups": credential_type federation_token needs at least one of them',
      ],
      ['new', { credential_type: 'assumed_role', role_arns: 'deploy' }, 'invalid field "role_arns": "deploy" is not an IAM role ARN such as "arn:aws:iam::123456789012:role/name"'],
      [
        'new',
        { credential_type: 'iam_user', policy_arns: 'ReadOnlyAccess' },
        'invalid field "policy_arns": "ReadOnlyAccess" is not a managed policy ARN such as "arn:aws:iam::aws:policy/ReadOnlyAccess"',
      ],
      [
        'new',
        { ...iamUser, permissions_boundary_arn: ROLE_ARN },
        `invalid field "permissions_boundary_arn": "${ROLE_ARN}" is not a managed policy ARN such as "arn:aws:iam::aws:policy/ReadOnlyAccess"`,
      ],
      ['new', { ...iamUser, iam_groups: 'dev ops' }, 'invalid field "iam_groups": "dev ops" is not an IAM group name: use up to 128 letters, digits and "+=,.@_-"'],
      ['new', { ...iamUser, user_path: 'coffer' }, 'invalid field "user_path": "coffer" is not an IAM path: it must start and end with "/", e.g. "/coffer/"'],
      [
        'new',
        { credential_type: 'federation_token', policy_document: POLICY, default_sts_ttl: '2h', max_sts_ttl: '1h' },
        'invalid field "default_sts_ttl": 7200 s is greater than "max_sts_ttl" of 3600 s',
      ],
      ['new', { ...iamUser, iam_tags: 7 }, 'invalid field "iam_tags": expected an object of strings or a list of "key=value" strings, got number 7'],
      ['new', { ...iamUser, colour: 'red' }, 'unknown field "colour"'],
      ['existing', { credential_type: 'iam_user', policy_document: POLICY }, 'invalid field "role_arns": only valid for credential_type assumed_role'],
    ];
    for (const [name, data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', `roles/${name}`, data), message);
    }
    assert.equal(await harness.send('read', 'roles/new'), null);
  });
});
