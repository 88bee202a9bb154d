import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AwsKmsSettingsError, parseAwsKmsSettings } from './settings.js';

describe('awskms settings', () => {
  test('stanza values', () => {
    const parsed = parseAwsKmsSettings(
      { region: 'eu-west-1', kms_key_id: 'alias/coffer', endpoint: 'https://kms.example.test', access_key: 'AKID', secret_key: 'SECRET' },
      {},
    );
    assert.deepEqual(parsed, {
      region: 'eu-west-1',
      kmsKeyId: 'alias/coffer',
      endpoint: 'https://kms.example.test',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' },
    });
  });

  test('environment wins over stanza', () => {
    const parsed = parseAwsKmsSettings(
      { kms_key_id: 'from-file', access_key: 'FILE', secret_key: 'FILE-SECRET' },
      {
        VAULT_AWSKMS_SEAL_KEY_ID: 'from-env',
        AWS_DEFAULT_REGION: 'ap-south-1',
        AWS_KMS_ENDPOINT: 'http://127.0.0.1:9',
        AWS_ACCESS_KEY_ID: 'ENV',
        AWS_SECRET_ACCESS_KEY: 'ENV-SECRET',
        AWS_SESSION_TOKEN: 'ENV-TOKEN',
      },
    );
    assert.equal(parsed.kmsKeyId, 'from-env');
    assert.equal(parsed.region, 'ap-south-1');
    assert.equal(parsed.endpoint, 'http://127.0.0.1:9');
    assert.deepEqual(parsed.credentials, { accessKeyId: 'ENV', secretAccessKey: 'ENV-SECRET', sessionToken: 'ENV-TOKEN' });
  });

  test('defaults without credentials', () => {
    const parsed = parseAwsKmsSettings({ kms_key_id: 'key' }, {});
    assert.deepEqual(parsed, { region: 'us-east-1', kmsKeyId: 'key' });
  });

  test('missing key id', () => {
    assert.throws(() => parseAwsKmsSettings({}, {}), {
      name: 'AwsKmsSettingsError',
      message: 'seal "awskms": missing required setting "kms_key_id": set the KMS key ID or ARN, or set VAULT_AWSKMS_SEAL_KEY_ID',
    });
  });

  test('half a key pair', () => {
    assert.throws(() => parseAwsKmsSettings({ kms_key_id: 'key', access_key: 'AKID' }, {}), (err: Error) => {
      assert.ok(err instanceof AwsKmsSettingsError);
      assert.equal(
        err.message,
        'seal "awskms": missing setting "secret_key": "access_key" and "secret_key" go together; set both, or neither to use the default AWS credential chain',
      );
      return true;
    });
  });

  test('invalid endpoint', () => {
    assert.throws(() => parseAwsKmsSettings({ kms_key_id: 'key', endpoint: 'ftp://kms' }, {}), {
      message: 'seal "awskms": invalid "endpoint" "ftp://kms": the scheme must be https or http',
    });
    assert.throws(() => parseAwsKmsSettings({ kms_key_id: 'key', endpoint: 'not a url' }, {}), {
      message: 'seal "awskms": invalid "endpoint" "not a url": expected a URL such as https://kms.us-east-1.amazonaws.com',
    });
  });
});
