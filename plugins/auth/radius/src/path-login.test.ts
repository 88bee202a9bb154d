import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { INVALID_CREDENTIALS_CODE, type RenewingLogin, type Response } from '@coffer/sdk';
import { ACCESS_DENIED, NO_POLICIES } from './path-login.js';
import { assertRejects, authOf, createHarness, type Harness } from './test-support.js';
import { CHALLENGE_USER, freeradiusSkipReason, NAS_BOUND_USER, startTamperingRelay, startTestRadiusServer, TEST_SECRET, TEST_USERS, type TestRadiusServer } from './test-freeradius.js';

describe('login', { skip: freeradiusSkipReason() ?? false, timeout: 120_000 }, () => {
  let server: TestRadiusServer;

  before(async () => {
    server = await startTestRadiusServer();
  });

  after(async () => {
    await server?.stop();
  });

  /** Creates a harness configured for the test server, with alice registered. */
  async function configured(overrides: Record<string, unknown> = {}): Promise<Harness> {
    const harness = createHarness();
    await harness.send('update', 'config', { host: server.host, port: server.port, secret: TEST_SECRET, read_timeout: 5, ...overrides });
    await harness.send('update', 'users/alice', { policies: 'web,ops' });
    return harness;
  }

  /** Builds the login of `auth` as the server sends it back on renewal. */
  function renewing(auth: NonNullable<Response['auth']>, internalData = auth.internalData ?? {}): RenewingLogin {
    return {
      policies: ['default', ...auth.policies],
      metadata: auth.metadata ?? {},
      internalData,
      displayName: auth.displayName ?? '',
      ttl: 3600,
      period: 0,
      explicitMaxTtl: 0,
      issueTime: '2026-01-01T00:00:00Z',
      increment: 0,
      entityId: '',
    };
  }

  test('accepted user gets its policies', async () => {
    const harness = await configured({ token_policies: 'base', token_ttl: '20m', nas_identifier: 'coffer-test' });

    const auth = authOf(await harness.send('update', 'login/alice', { password: TEST_USERS.alice }));

    assert.deepEqual(auth.policies, ['base', 'ops', 'web']);
    assert.deepEqual(auth.metadata, { username: 'alice', policies: 'ops,web' });
    assert.equal(auth.displayName, 'alice');
    assert.deepEqual(auth.alias, { name: 'alice' });
    assert.equal(auth.ttl, 1200);
    assert.deepEqual(auth.internalData, { password: TEST_USERS.alice });
  });

  test('timeouts of weeks still wait', async () => {
    // 30 days in milliseconds is past setTimeout's limit of 2^31-1, which Node.js turns into 1 ms.
    const harness = await configured({ dial_timeout: '720h', read_timeout: '720h' });

    const auth = authOf(await harness.send('update', 'login/alice', { password: TEST_USERS.alice }));

    assert.deepEqual(auth.policies, ['ops', 'web']);
  });

  test('passwords at block edges', async () => {
    const harness = await configured({ unregistered_user_policies: 'guest' });

    for (const name of ['block16', 'block17', 'maximum'] as const) {
      const auth = authOf(await harness.send('update', `login/${name}`, { password: TEST_USERS[name] }));
      assert.deepEqual(auth.policies, ['guest'], name);
    }
    assert.equal(Buffer.byteLength(TEST_USERS.maximum), 128);
  });

  test('username in the body', async () => {
    const harness = await configured();

    const auth = authOf(await harness.send('update', 'login', { username: 'alice', password: TEST_USERS.alice }));

    assert.deepEqual(auth.policies, ['ops', 'web']);
  });

  test('wrong password rejected', async () => {
    const harness = await configured();

    await assertRejects(harness.send('update', 'login/alice', { password: 'wrong-password' }), 400, ACCESS_DENIED, INVALID_CREDENTIALS_CODE);
    await assertRejects(harness.send('update', 'login/nobody', { password: 'any' }), 400, ACCESS_DENIED, INVALID_CREDENTIALS_CODE);
  });

  test('NAS attributes reach the server', async () => {
    const { name, password, nasIdentifier, nasPort } = NAS_BOUND_USER;
    const harness = await configured({ unregistered_user_policies: 'guest' });

    // The server's users file accepts erin only with these NAS-Identifier and NAS-Port values.
    await assertRejects(harness.send('update', `login/${name}`, { password }), 400, ACCESS_DENIED);
    await harness.send('update', 'config', { nas_identifier: nasIdentifier, nas_port: nasPort });
    assert.deepEqual(authOf(await harness.send('update', `login/${name}`, { password })).policies, ['guest']);
  });

  test('host name resolves', async () => {
    const harness = await configured({ host: 'localhost' });

    assert.deepEqual(authOf(await harness.send('update', 'login/alice', { password: TEST_USERS.alice })).policies, ['ops', 'web']);
  });

  test('challenge is not supported', async () => {
    const harness = await configured({ unregistered_user_policies: 'guest' });

    // Not a wrong password, so the error does not count toward user lockout.
    await assertRejects(harness.send('update', `login/${CHALLENGE_USER.name}`, { password: CHALLENGE_USER.password }), 400, ACCESS_DENIED, 'COFFER_ERR_INVALID_REQUEST');
  });

  test('unregistered user needs policies', async () => {
    const harness = await configured();

    await assertRejects(harness.send('update', 'login/carol', { password: TEST_USERS.carol }), 400, NO_POLICIES);

    await harness.send('update', 'config', { unregistered_user_policies: 'guest' });
    const auth = authOf(await harness.send('update', 'login/carol', { password: TEST_USERS.carol }));
    assert.deepEqual(auth.policies, ['guest']);
    assert.deepEqual(auth.metadata, { username: 'carol', policies: 'guest' });

    // A registered user keeps its own policies.
    assert.deepEqual(authOf(await harness.send('update', 'login/alice', { password: TEST_USERS.alice })).policies, ['ops', 'web']);
  });

  test('missing fields rejected', async () => {
    const harness = await configured();

    await assertRejects(harness.send('update', 'login', { password: 'x' }), 400, 'username cannot be empty');
    await assertRejects(harness.send('update', 'login/alice', {}), 400, 'password cannot be empty');
    await assertRejects(harness.send('update', 'login/alice', { password: 'p'.repeat(129) }), 400, 'invalid "password": longer than 128 bytes, the maximum of the RADIUS User-Password attribute');
    await assertRejects(createHarness().send('update', 'login/alice', { password: 'x' }), 400, 'radius backend not configured');
  });

  test('wrong shared secret times out', async () => {
    // FreeRADIUS drops a request whose Message-Authenticator fails, so nothing comes back.
    const harness = await configured({ secret: 'not-the-secret', read_timeout: 1 });

    const started = Date.now();
    await assertRejects(
      harness.send('update', 'login/alice', { password: TEST_USERS.alice }),
      400,
      `no valid response from RADIUS server 127.0.0.1:${server.port} within the read_timeout of 1s`,
    );
    assert.ok(Date.now() - started < 3_000);
  });

  test('altered response is discarded', async () => {
    // The relay flips a bit of each Access-Accept's authenticator, as an on-path attacker could.
    const relay = await startTamperingRelay(server.port, (response) => {
      response[response.length > 20 ? 4 : 0] ^= 1;
      return response;
    });
    try {
      const harness = await configured({ port: relay.port, read_timeout: 1 });
      await assertRejects(
        harness.send('update', 'login/alice', { password: TEST_USERS.alice }),
        400,
        `no valid response from RADIUS server 127.0.0.1:${relay.port} within the read_timeout of 1s; 1 response(s) failed verification, check that "secret" matches the server's shared secret`,
      );
      assert.equal(relay.responses(), 1);
    } finally {
      await relay.close();
    }
  });

  test('response with another identifier is discarded', async () => {
    const relay = await startTamperingRelay(server.port, (response) => {
      response[1] = (response[1] + 1) % 256;
      return response;
    });
    try {
      const harness = await configured({ port: relay.port, read_timeout: 1 });
      await assertRejects(
        harness.send('update', 'login/alice', { password: TEST_USERS.alice }),
        400,
        `no valid response from RADIUS server 127.0.0.1:${relay.port} within the read_timeout of 1s; 1 response(s) failed verification, check that "secret" matches the server's shared secret`,
      );
    } finally {
      await relay.close();
    }
  });

  test('silent server times out', async () => {
    const silent: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()));
    let received = 0;
    silent.on('message', () => {
      received += 1;
    });
    try {
      const port = silent.address().port;
      const harness = await configured({ port, dial_timeout: 1, read_timeout: 2 });

      const started = Date.now();
      await assertRejects(harness.send('update', 'login/alice', { password: TEST_USERS.alice }), 400, `no valid response from RADIUS server 127.0.0.1:${port} within the read_timeout of 2s`);
      const elapsed = Date.now() - started;

      assert.ok(elapsed >= 1_900, `took ${elapsed} ms`);
      assert.ok(elapsed < 4_000, `took ${elapsed} ms`);
      // Sent once: like Vault, the client does not retransmit.
      assert.equal(received, 1);
    } finally {
      silent.close();
    }
  });

  test('renewal asks the server again', async () => {
    const harness = await configured({ token_ttl: '20m', token_max_ttl: '1h' });
    const auth = authOf(await harness.send('update', 'login/alice', { password: TEST_USERS.alice }));

    const renewed = await harness.renew('login/alice', renewing(auth));

    assert.equal(renewed?.auth?.ttl, 1200);
    assert.equal(renewed?.auth?.maxTtl, 3600);
    await assertRejects(harness.renew('login/alice', renewing(auth, { password: 'changed-on-the-server' })), 400, ACCESS_DENIED);
    await assertRejects(harness.renew('login/alice', renewing(auth, {})), 400, 'the login kept no credentials, not renewing; log in again');
  });

  test('renewal rejected when policies changed', async () => {
    const harness = await configured();
    const auth = authOf(await harness.send('update', 'login/alice', { password: TEST_USERS.alice }));

    await harness.send('update', 'users/alice', { policies: 'web' });
    await assertRejects(harness.renew('login/alice', renewing(auth)), 400, 'policies have changed, not renewing');

    await harness.send('delete', 'users/alice');
    await assertRejects(harness.renew('login/alice', renewing(auth)), 400, NO_POLICIES);
  });
});
