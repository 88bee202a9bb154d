import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { assertRejectedUnchanged, CONNECTION, createHarness, dataOf, MANAGEMENT_URI } from './test-support.js';

/** Returns a loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('config/connection', () => {
  test('verified write is stored', async () => {
    const harness = createHarness('tester');
    assert.equal(await harness.send('update', 'config/connection', { ...CONNECTION }), null);

    const stored = JSON.parse((await harness.snapshot()).get('logical/rabbit/config/connection')!);
    assert.deepEqual(stored, { connectionUri: MANAGEMENT_URI, username: 'guest', password: 'guest', passwordPolicy: '', usernameTemplate: '' });
  });

  test('read is not supported', async () => {
    const harness = createHarness('tester');
    await harness.send('update', 'config/connection', { ...CONNECTION });
    await assertRejectedUnchanged(harness, () => harness.send('read', 'config/connection'), 'read operation not supported on path "config/connection"', 405);
  });

  test('wrong password is rejected', async () => {
    const harness = createHarness('tester');
    const password = 'not-the-guest-password';
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config/connection', { ...CONNECTION, password }),
      'failed to validate the connection: failed to list users: RabbitMQ returned 401 Unauthorized: Login failed; check "username" and "password", and that the user has the administrator tag',
    );
    assert.deepEqual([...(await harness.snapshot()).keys()], []);
  });

  test('wrong password is stored unverified', async () => {
    const harness = createHarness('tester');
    assert.equal(await harness.send('update', 'config/connection', { ...CONNECTION, password: 'unchecked', verify_connection: false }), null);
    assert.equal(JSON.parse((await harness.snapshot()).get('logical/rabbit/config/connection')!).password, 'unchecked');
  });

  test('unreachable api is rejected', async () => {
    const harness = createHarness('tester');
    const port = await closedPort();
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config/connection', { ...CONNECTION, connection_uri: `http://127.0.0.1:${port}` }),
      `failed to validate the connection: failed to list users: cannot reach the RabbitMQ management API at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  test('other http server is rejected', async () => {
    const harness = createHarness('tester');
    const bodies: Record<string, [number, string]> = { '/html/api/users': [200, '<html>welcome</html>'], '/object/api/users': [200, '{}'] };
    const server = createHttpServer((request, response) => {
      const [status, body] = bodies[request.url ?? ''] ?? [404, 'not here'];
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const cases: [string, string][] = [
        [`${base}/html`, 'failed to validate the connection: failed to list users: the RabbitMQ management API returned a body that is not JSON'],
        [`${base}/object`, 'failed to validate the connection: failed to list users: the RabbitMQ management API returned a body that is not a list of users'],
        [`${base}/missing`, 'failed to validate the connection: failed to list users: RabbitMQ returned 404 Not Found'],
      ];
      for (const [uri, message] of cases) {
        await assertRejectedUnchanged(harness, () => harness.send('update', 'config/connection', { ...CONNECTION, connection_uri: uri }), message);
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('invalid fields are rejected', async () => {
    const harness = createHarness('tester');
    const cases: [Record<string, unknown>, string][] = [
      [{ ...CONNECTION, connection_uri: '' }, 'missing required field "connection_uri"'],
      [{ ...CONNECTION, username: '' }, 'missing required field "username"'],
      [{ ...CONNECTION, password: '' }, 'missing required field "password"'],
      [{ username: 'guest', password: 'guest' }, 'missing required field "connection_uri"'],
      [{ ...CONNECTION, connection_uri: 'localhost:15672' }, 'invalid field "connection_uri": scheme "localhost" is not supported; use the management API\'s http or https address, not an AMQP URI'],
      [{ ...CONNECTION, connection_uri: 'amqp://127.0.0.1:5672' }, 'invalid field "connection_uri": scheme "amqp" is not supported; use the management API\'s http or https address, not an AMQP URI'],
      [{ ...CONNECTION, connection_uri: 'not a url' }, 'invalid field "connection_uri": "not a url" is not a URL; use the management API\'s address, e.g. "http://127.0.0.1:15672"'],
      [{ ...CONNECTION, connection_uri: 'http://guest:guest@127.0.0.1:15672' }, 'invalid field "connection_uri": the URL must not contain credentials; set "username" and "password" instead'],
      ...['?vhost=x', '#top', '?'].map((suffix): [Record<string, unknown>, string] => [
        { ...CONNECTION, connection_uri: `${MANAGEMENT_URI}${suffix}` },
        'invalid field "connection_uri": the URL must not contain a query or fragment; use the management API\'s base address, e.g. "http://127.0.0.1:15672"',
      ]),
      [{ ...CONNECTION, username_template: '{{ .Nope }}' }, 'invalid field "username_template": unknown field ".Nope": use .DisplayName or .RoleName'],
      [{ ...CONNECTION, verify_connection: 'maybe' }, 'invalid field "verify_connection": expected a boolean, got "maybe"'],
      [
        { ...CONNECTION, password_policy: 'strict' },
        'invalid field "password_policy": password policy "strict" cannot be used: this server offers no password policies to plugins',
      ],
      [{ ...CONNECTION, colour: 'red' }, 'unknown field "colour"'],
    ];
    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'config/connection', data), message);
    }
  });

  test('oversized username_template is rejected', async () => {
    const harness = createHarness('tester');
    const x20 = `"${'x'.repeat(20)}"`;
    const cases: [string, string][] = [
      ['{{ random 10000000 }}', 'invalid field "username_template": function "random" would produce 10000000 characters, over the limit of 4096'],
      [
        `{{ replace "" ${x20} (replace "" ${x20} (replace "" ${x20} ${x20})) }}`,
        'invalid field "username_template": function "replace" would produce 8380 characters, over the limit of 4096',
      ],
      ['{{ random 4096 }}'.repeat(10000), 'invalid field "username_template": the template produces more than 4096 characters'],
      [`${'x'.repeat(4097)}`, 'invalid field "username_template": the template produces more than 4096 characters'],
    ];
    for (const [template, message] of cases) {
      const started = Date.now();
      await assertRejectedUnchanged(harness, () => harness.send('update', 'config/connection', { ...CONNECTION, username_template: template }), message);
      assert.ok(Date.now() - started < 1000, `${template} took ${Date.now() - started} ms`);
    }

    assert.equal(await harness.send('update', 'config/connection', { ...CONNECTION, username_template: '{{ random 4096 }}' }), null);
  });

  test('username_template is stored', async () => {
    const harness = createHarness('tester');
    await harness.send('update', 'config/connection', { ...CONNECTION, username_template: '{{ .RoleName }}-{{ random 8 }}' });
    assert.equal(JSON.parse((await harness.snapshot()).get('logical/rabbit/config/connection')!).usernameTemplate, '{{ .RoleName }}-{{ random 8 }}');
  });
});

describe('config/lease', () => {
  test('write and read back', async () => {
    const harness = createHarness('tester');
    assert.equal(await harness.send('read', 'config/lease'), null);

    assert.equal(await harness.send('update', 'config/lease', { ttl: '1h', max_ttl: 7200 }), null);
    assert.deepEqual(dataOf(await harness.send('read', 'config/lease')), { ttl: 3600, max_ttl: 7200 });
  });

  test('invalid values are rejected', async () => {
    const harness = createHarness('tester');
    await harness.send('update', 'config/lease', { ttl: 60, max_ttl: 120 });
    await assertRejectedUnchanged(harness, () => harness.send('update', 'config/lease', { ttl: '2h', max_ttl: '1h' }), 'invalid field "ttl": 7200 s is greater than "max_ttl" of 3600 s');
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config/lease', { ttl: 'soon' }),
      'invalid field "ttl": expected a duration such as 30, "30s", "90m" or "1h", got "soon"',
    );
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'config/lease', { max_ttl: -5 }),
      'invalid field "max_ttl": expected a duration such as 30, "30s", "90m" or "1h", got number -5',
    );
    assert.deepEqual(dataOf(await harness.send('read', 'config/lease')), { ttl: 60, max_ttl: 120 });
  });
});
