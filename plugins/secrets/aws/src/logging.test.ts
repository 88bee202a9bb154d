import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHarness, dataOf, leaseOf, recordingLogger, rootConfig } from './test-support.js';
import { startAwsDouble } from './testing/index.js';

const POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}';

test('secret keys never reach the log', async () => {
  const aws = await startAwsDouble();
  try {
    const lines: string[] = [];
    const harness = createHarness('token', {}, recordingLogger(lines));
    await harness.send('update', 'config/root', rootConfig(aws));
    await harness.send('update', 'roles/app', { credential_type: 'iam_user', policy_document: POLICY });
    await harness.send('update', 'roles/fed', { credential_type: 'federation_token', policy_document: POLICY });

    const user = await harness.send('read', 'creds/app');
    const federated = await harness.send('read', 'creds/fed');
    await harness.send('revoke', 'creds/app', {}, leaseOf(user));
    await harness.send('update', 'config/rotate-root');
    const rotatedSecret = JSON.parse((await harness.snapshot()).get('logical/aws/config/root')!).secretKey as string;

    const secrets = [aws.admin.secretAccessKey, rotatedSecret, dataOf(user).secret_key, dataOf(federated).secret_key, dataOf(federated).session_token];
    assert.ok(lines.length >= 4, `expected log lines, got ${lines.length}`);
    for (const secret of secrets) {
      assert.equal(typeof secret, 'string');
      for (const line of lines) assert.ok(!line.includes(secret), `a log line contains a secret: ${line.slice(0, 80)}`);
    }
    assert.ok(lines.some((line) => line.includes('"message":"created aws iam user"')));
  } finally {
    await aws.close();
  }
});
