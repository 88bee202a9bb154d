/**
 * Runs the built plugin (dist/index.js) under a real Coffer dev server:
 * registers it by SHA-256, enables it and logs in over HTTP. Build first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './test-server.js';

describe('__NAME__ under a real server', () => {
  let coffer: TestServer;

  before(async () => {
    coffer = await startTestServer('auth', '__NAME__');
  });

  after(async () => {
    await coffer?.close();
  });

  test('enable, add a user and log in', async () => {
    const enabled = await coffer.call('POST', 'sys/auth/__NAME__', { type: '__NAME__' });
    assert.equal(enabled.status, 204, `${JSON.stringify(enabled.body)}\n${coffer.logLines.join('')}`);
    const created = await coffer.call('PUT', 'auth/__NAME__/users/alice', { password: 'correct horse', token_policies: 'dev' });
    assert.equal(created.status, 204, JSON.stringify(created.body));

    const login = await coffer.call('POST', 'auth/__NAME__/login', { username: 'alice', password: 'correct horse' }, null);
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.deepEqual([...login.body.auth.policies].sort(), ['default', 'dev']);

    const wrong = await coffer.call('POST', 'auth/__NAME__/login', { username: 'alice', password: 'guess' }, null);
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body, { errors: ['invalid username or password'] });
  });
});
