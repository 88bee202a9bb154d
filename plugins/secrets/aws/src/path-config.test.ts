import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { assertRejectedUnchanged, createHarness, dataOf, rootConfig } from './test-support.js';
import { startAwsDouble, type AwsDouble } from './testing/index.js';

describe('config/root', () => {
  let aws: AwsDouble;
  before(async () => {
    aws = await startAwsDouble();
  });
  after(async () => {
    await aws.close();
  });

  test('write is stored and read omits secret_key', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('read', 'config/root'), null);

    assert.equal(await harness.send('update', 'config/root', { ...rootConfig(aws), username_template: '{{ .DisplayName }}-{{ random 8 }}' }), null);

    assert.deepEqual(dataOf(await harness.send('read', 'config/root')), {
      access_key: aws.admin.accessKeyId,
      region: 'us-east-1',
      iam_endpoint: aws.endpoint,
      sts_endpoint: aws.endpoint,
      max_retries: 0,
      username_template: '{{ .DisplayName }}-{{ random 8 }}',
    });
    const stored = JSON.parse((await harness.snapshot()).get('logical/aws/config/root')!);
    assert.equal(stored.secretKey, aws.admin.secretAccessKey);
  });

  test('write changes only the fields it sets', async () => {
    const harness = createHarness();
    await harness.send('update', 'config/root', rootConfig(aws));

    await harness.send('update', 'config/root', { region: 'eu-west-1' });

    const data = dataOf(await harness.send('read', 'config/root'));
    assert.equal(data.region, 'eu-west-1');
    assert.equal(data.access_key, aws.admin.accessKeyId);
    assert.equal(data.max_retries, 0);
    assert.equal(JSON.parse((await harness.snapshot()).get('logical/aws/config/root')!).secretKey, aws.admin.secretAccessKey);
  });

  test('max_retries defaults to -1', async () => {
    const harness = createHarness();
    await harness.send('update', 'config/root', { access_key: 'AKIAEXAMPLE', secret_key: 'secret' });
    assert.equal(dataOf(await harness.send('read', 'config/root')).max_retries, -1);
  });

  test('invalid fields are rejected', async () => {
    const harness = createHarness();
    await harness.send('update', 'config/root', rootConfig(aws));
    const cases: [Record<string, unknown>, string][] = [
      [{ access_key: 'AKIAEXAMPLE', secret_key: '' }, 'missing required field "secret_key": it must be set with "access_key"'],
      [{ access_key: '' }, 'missing required field "access_key": it must be set with "secret_key"'],
      [{ region: 'Mars' }, 'invalid field "region": "Mars" is not an AWS region name such as "us-east-1"'],
      [{ iam_endpoint: 'not a url' }, 'invalid field "iam_endpoint": "not a url" is not a URL; use an http or https address such as "https://iam.amazonaws.com"'],
      [{ sts_endpoint: 'ftp://127.0.0.1' }, 'invalid field "sts_endpoint": scheme "ftp" is not supported; use http or https'],
      [{ iam_endpoint: 'http://user:pw@127.0.0.1' }, 'invalid field "iam_endpoint": the URL must not contain credentials'],
      [{ max_retries: -2 }, 'invalid field "max_retries": -2 is less than -1; use -1 for the AWS SDK\'s default or a number of retries'],
      [{ max_retries: 'many' }, 'invalid field "max_retries": expected an integer, got "many"'],
      [{ username_template: '{{ .Nope }}' }, 'invalid field "username_template": unknown field ".Nope": use .DisplayName or .RoleName'],
      [{ colour: 'red' }, 'unknown field "colour"'],
    ];
    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'config/root', data), message);
    }
  });
});

describe('config/rotate-root', () => {
  let aws: AwsDouble;
  before(async () => {
    aws = await startAwsDouble();
  });
  after(async () => {
    await aws.close();
  });

  /** Calls IAM GetUser signed with the given key; returns the user name or the AWS error code. */
  async function whoAmI(accessKeyId: string, secretAccessKey: string): Promise<string> {
    const client = new IAMClient({ region: 'us-east-1', endpoint: aws.endpoint, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
    try {
      return (await client.send(new GetUserCommand({}))).User!.UserName!;
    } catch (err) {
      return (err as { Code?: string }).Code ?? String(err);
    } finally {
      client.destroy();
    }
  }

  test('leaves exactly one key that works', async () => {
    const harness = createHarness();
    await harness.send('update', 'config/root', rootConfig(aws));
    const oldKey = aws.admin;

    const response = await harness.send('update', 'config/rotate-root');

    const newKeyId = dataOf(response).access_key as string;
    assert.match(newKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.notEqual(newKeyId, oldKey.accessKeyId);
    assert.deepEqual(Object.keys(dataOf(response)), ['access_key']);
    const user = aws.users.get('coffer-admin')!;
    assert.deepEqual(aws.calls.slice(-3), ['GetUser', 'CreateAccessKey', 'DeleteAccessKey']);
    assert.deepEqual([...user.accessKeys.keys()], [newKeyId]);
    const stored = JSON.parse((await harness.snapshot()).get('logical/aws/config/root')!);
    assert.equal(stored.accessKey, newKeyId);
    assert.equal(stored.secretKey, user.accessKeys.get(newKeyId)!.secretAccessKey);
    assert.equal(await whoAmI(newKeyId, stored.secretKey), 'coffer-admin');
    assert.equal(await whoAmI(oldKey.accessKeyId, oldKey.secretAccessKey), 'InvalidClientTokenId');

    // A second rotation works with the stored key.
    const again = dataOf(await harness.send('update', 'config/rotate-root')).access_key;
    assert.deepEqual([...user.accessKeys.keys()], [again]);
  });

  test('rejected without root credentials', async () => {
    const harness = createHarness();
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config/rotate-root'),
      'cannot rotate the root credentials: write "access_key" and "secret_key" to config/root first',
    );
  });

  test('second key on the user is rejected', async () => {
    const other = await startAwsDouble();
    try {
      const harness = createHarness();
      await harness.send('update', 'config/root', rootConfig(other));
      const user = other.users.get('coffer-admin')!;
      user.accessKeys.set('AKIAOTHERKEY0000000', { secretAccessKey: 'x', status: 'Active', createDate: new Date() });

      await assertRejectedUnchanged(
        harness,
        () => harness.send('update', 'config/rotate-root'),
        'failed to create an access key: LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2',
      );
      assert.deepEqual([...user.accessKeys.keys()].sort(), [other.admin.accessKeyId, 'AKIAOTHERKEY0000000'].sort());
    } finally {
      await other.close();
    }
  });

  test('wrong secret key is rejected', async () => {
    const harness = createHarness();
    await harness.send('update', 'config/root', { ...rootConfig(aws), access_key: 'AKIAUNKNOWNKEY000000', secret_key: 'wrong' });
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config/rotate-root'),
      'failed to get the configured IAM user: InvalidClientTokenId: The security token included in the request is invalid.',
    );
  });
});

describe('config/lease', () => {
  test('write and read back as durations', async () => {
    const harness = createHarness();
    assert.equal(await harness.send('read', 'config/lease'), null);

    assert.equal(await harness.send('update', 'config/lease', { lease: '30m', lease_max: '12h' }), null);

    assert.deepEqual(dataOf(await harness.send('read', 'config/lease')), { lease: '30m0s', lease_max: '12h0m0s' });
  });

  test('invalid values are rejected', async () => {
    const harness = createHarness();
    await harness.send('update', 'config/lease', { lease: 60, lease_max: 120 });
    const cases: [Record<string, unknown>, string][] = [
      [{ lease: '2h', lease_max: '1h' }, 'invalid field "lease": 2h0m0s is greater than "lease_max" of 1h0m0s'],
      [{ lease: '1h' }, 'missing required field "lease_max"'],
      [{ lease_max: '1h' }, 'missing required field "lease"'],
      [{ lease: 'soon', lease_max: '1h' }, 'invalid field "lease": expected a duration such as 30, "30s", "90m" or "1h", got "soon"'],
    ];
    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'config/lease', data), message);
    }
    assert.deepEqual(dataOf(await harness.send('read', 'config/lease')), { lease: '1m0s', lease_max: '2m0s' });
  });
});
