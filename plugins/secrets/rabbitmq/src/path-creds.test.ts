import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isCofferError, StorageView, WriteAheadLog } from '@coffer/sdk';
import amqp from 'amqplib';
import {
  adminApi,
  AMQP_HOST,
  assertRejectedUnchanged,
  CONNECTION,
  createHarness,
  createVhost,
  dataOf,
  deleteUsersWithPrefix,
  deleteVhost,
  leaseOf,
  publishConfirmed,
  uniqueName,
  usersWithPrefix,
  withAmqp,
  type Harness,
} from './test-support.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** Escapes text for use inside a RegExp. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('creds', () => {
  const prefix = uniqueName('ct');
  let vhost: string;
  let harness: Harness;

  /** Issues credentials for `role` and returns the response and its username and password. */
  async function issue(role = 'app', target = harness) {
    const response = await target.send('read', `creds/${role}`);
    const { username, password } = dataOf(response) as { username: string; password: string };
    return { response, username, password };
  }

  before(async () => {
    vhost = await createVhost();
    harness = createHarness(prefix);
    await harness.send('update', 'config/connection', { ...CONNECTION });
    await harness.send('update', 'config/lease', { ttl: '10m', max_ttl: '1h' });
    await harness.send('update', 'roles/app', {
      tags: 'management,policymaker',
      vhosts: JSON.stringify({ [vhost]: { configure: '^allowed\\.', write: '.*', read: '.*' } }),
      vhost_topics: JSON.stringify({ [vhost]: { 'amq.topic': { write: '^allowed\\.', read: '.*' } } }),
    });
  });
  after(async () => {
    await deleteUsersWithPrefix(prefix);
    await deleteVhost(vhost);
  });

  test('issue sets tags and permissions', async () => {
    const { response, username, password } = await issue();

    assert.match(username, new RegExp(`^${literal(prefix)}-${UUID}$`));
    assert.match(password, /^[A-Za-z0-9-]{20}$/);
    assert.equal(response?.secret?.ttl, 600);
    assert.equal(response?.secret?.maxTtl, 3600);
    assert.equal(response?.secret?.renewable, true);
    assert.deepEqual(response?.secret?.internalData, { username, role: 'app', secret_type: 'creds' });

    const user = await adminApi('GET', `/api/users/${encodeURIComponent(username)}`);
    assert.equal(user.status, 200);
    assert.deepEqual(user.body.tags, ['management', 'policymaker']);
    const permissions = await adminApi('GET', `/api/users/${encodeURIComponent(username)}/permissions`);
    assert.deepEqual(permissions.body, [{ user: username, vhost, configure: '^allowed\\.', write: '.*', read: '.*' }]);
    const topics = await adminApi('GET', `/api/users/${encodeURIComponent(username)}/topic-permissions`);
    assert.deepEqual(topics.body, [{ user: username, vhost, exchange: 'amq.topic', write: '^allowed\\.', read: '.*' }]);
    assert.deepEqual([...(await harness.snapshot()).keys()].filter((key) => key.includes('/wal/')), []);
  });

  test('allowed queue works over amqp', async () => {
    const { username, password } = await issue();
    const content = await withAmqp(username, password, vhost, async (channel) => {
      await channel.assertQueue('allowed.work', { autoDelete: false });
      await publishConfirmed(channel, '', 'allowed.work', 'hello');
      const message = await channel.get('allowed.work', { noAck: true });
      return message === false ? null : message.content.toString();
    });
    assert.equal(content, 'hello');
  });

  test('disallowed queue is refused', async () => {
    const { username, password } = await issue();
    await assert.rejects(
      withAmqp(username, password, vhost, (channel) => channel.assertQueue('denied.work')),
      {
        message: `Operation failed: QueueDeclare; 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - access to queue 'denied.work' in vhost '${vhost}' refused for user '${username}'"`,
      },
    );
  });

  test('topic permissions hold', async () => {
    const { username, password } = await issue();
    await withAmqp(username, password, vhost, (channel) => publishConfirmed(channel, 'amq.topic', 'allowed.event', 'ok'));
    await assert.rejects(
      withAmqp(username, password, vhost, (channel) => publishConfirmed(channel, 'amq.topic', 'denied.event', 'no')),
      {
        message: `Channel closed by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - access to topic 'denied.event' in exchange 'amq.topic' in vhost '${vhost}' refused for user '${username}'"`,
      },
    );
  });

  test('revoke deletes the user', async () => {
    const { response, username, password } = await issue();
    const open = await amqp.connect(`amqp://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${AMQP_HOST}/${encodeURIComponent(vhost)}`);
    open.on('error', () => undefined);
    const closed = new Promise<string>((resolve) => open.once('close', (err?: Error) => resolve(err?.message ?? 'closed without error')));

    assert.equal(await harness.send('revoke', 'creds/app', { username, password }, leaseOf(response)), null);

    assert.equal(await closed, `Connection closed: 320 (CONNECTION-FORCED) with message "CONNECTION_FORCED - user '${username}' is deleted"`);

    assert.equal((await adminApi('GET', `/api/users/${encodeURIComponent(username)}`)).status, 404);
    await assert.rejects(withAmqp(username, password, vhost, async () => undefined), {
      message: 'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile."',
    });
    // A second revocation, as a retry after a lost response would make, succeeds.
    assert.equal(await harness.send('revoke', 'creds/app', { username, password }, leaseOf(response)), null);
  });

  test('renew respects max_ttl', async () => {
    const { response, username, password } = await issue();
    const renew = (options: { increment?: number; issuedSecondsAgo?: number }) => harness.send('renew', 'creds/app', { username, password }, leaseOf(response, options));

    assert.equal((await renew({}))?.secret?.ttl, 600);
    assert.equal((await renew({ increment: 1800 }))?.secret?.ttl, 1800);
    assert.equal((await renew({ increment: 1800 }))?.secret?.maxTtl, 3600);
    assert.equal((await renew({ increment: 1800, issuedSecondsAgo: 3500 }))?.secret?.ttl, 100);
    await assertRejectedUnchanged(harness, () => renew({ issuedSecondsAgo: 3600 }), 'past the max TTL, cannot renew');
    assert.equal((await adminApi('GET', `/api/users/${encodeURIComponent(username)}`)).status, 200);
  });

  test('failed grant deletes the user', async () => {
    const missing = uniqueName('coffer-missing');
    await harness.send('update', 'roles/broken', { vhosts: { [vhost]: { read: '.*' }, [missing]: { read: '.*' } } });
    const before = await usersWithPrefix(prefix);

    await assert.rejects(harness.send('read', 'creds/broken'), (err: unknown) => {
      assert.ok(isCofferError(err));
      assert.equal(err.status, 500);
      assert.match(
        err.message,
        new RegExp(`^failed to set permissions of user "${literal(prefix)}-${UUID}" in vhost "${missing}": RabbitMQ returned 400 Bad Request: vhost_or_user_not_found$`),
      );
      return true;
    });

    assert.deepEqual(await usersWithPrefix(prefix), before);
    assert.deepEqual([...(await harness.snapshot()).keys()].filter((key) => key.includes('/wal/')), []);
  });

  test('existing user is not overwritten', async () => {
    const fixed = createHarness(prefix);
    await fixed.send('update', 'config/connection', { ...CONNECTION, username_template: `${prefix}-fixed-{{ .RoleName }}` });
    await fixed.send('update', 'roles/app', { vhosts: { [vhost]: { configure: '^allowed\\.', write: '.*', read: '.*' } } });
    const first = await issue('app', fixed);
    assert.equal(first.username, `${prefix}-fixed-app`);

    await assertRejectedUnchanged(
      fixed,
      () => fixed.send('read', 'creds/app'),
      `user "${prefix}-fixed-app" already exists in RabbitMQ; make username_template generate unique names, e.g. with (uuid)`,
    );

    const queue = await withAmqp(first.username, first.password, vhost, (channel) => channel.assertQueue('allowed.still'));
    assert.equal(queue.queue, 'allowed.still');
  });

  test('parallel reads of one name', async () => {
    const fixed = createHarness(prefix);
    await fixed.send('update', 'config/connection', { ...CONNECTION, username_template: `${prefix}-race-{{ .RoleName }}` });
    await fixed.send('update', 'roles/app', { vhosts: { [vhost]: { configure: '^allowed\\.', write: '.*', read: '.*' } } });

    const results = await Promise.allSettled(Array.from({ length: 5 }, () => issue('app', fixed)));

    const issued = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    assert.equal(issued.length, 1, 'exactly one read creates the user');
    for (const result of results) {
      if (result.status === 'fulfilled') continue;
      assert.ok(isCofferError(result.reason));
      assert.equal(result.reason.status, 400);
      assert.equal(result.reason.message, `user "${prefix}-race-app" already exists in RabbitMQ; make username_template generate unique names, e.g. with (uuid)`);
    }
    const queue = await withAmqp(issued[0].username, issued[0].password, vhost, (channel) => channel.assertQueue('allowed.race'));
    assert.equal(queue.queue, 'allowed.race', 'the issued password is the one RabbitMQ has');
  });

  test('management errors hide the password', async () => {
    const wrong = createHarness(prefix);
    const password = 'wrong-admin-secret';
    await wrong.send('update', 'config/connection', { ...CONNECTION, password, verify_connection: false });
    await wrong.send('update', 'roles/app', { tags: 'management' });

    await assert.rejects(wrong.send('read', 'creds/app'), (err: unknown) => {
      assert.ok(isCofferError(err));
      assert.equal(err.status, 500);
      assert.match(err.message, new RegExp(`^failed to read user "${literal(prefix)}-${UUID}": RabbitMQ returned 401 Unauthorized: Login failed$`));
      assert.ok(!err.message.includes(password));
      return true;
    });
  });

  test('unknown role is rejected', async () => {
    await assertRejectedUnchanged(harness, () => harness.send('read', 'creds/nosuch'), 'unknown role: nosuch');
  });

  test('dot usernames are rejected', async () => {
    for (const name of ['.', '..']) {
      const dotted = createHarness(prefix);
      await dotted.send('update', 'config/connection', { ...CONNECTION, username_template: name });
      await dotted.send('update', 'roles/app', { tags: 'management' });
      await assertRejectedUnchanged(
        dotted,
        () => dotted.send('read', 'creds/app'),
        `failed to generate username: username_template produced "${name}", which the RabbitMQ management API cannot address`,
        500,
      );
    }
    assert.deepEqual((await adminApi('GET', '/api/users')).body.filter((user: { name: string }) => user.name === '.' || user.name === '..'), []);
  });

  test('missing connection is rejected', async () => {
    const bare = createHarness(prefix);
    await bare.send('update', 'roles/app', { tags: 'management' });
    await assertRejectedUnchanged(bare, () => bare.send('read', 'creds/app'), 'no connection configured: write config/connection first');
  });

  test('mount limits apply without config/lease', async () => {
    const bare = createHarness(prefix);
    await bare.send('update', 'config/connection', { ...CONNECTION });
    await bare.send('update', 'roles/app', { tags: 'management' });
    const { response } = await issue('app', bare);
    assert.equal(response?.secret?.ttl, 3600);
    assert.equal(response?.secret?.maxTtl, 7200);
  });

  test('periodic pass deletes an unissued user', async () => {
    const username = `${prefix}-orphan`;
    assert.equal((await adminApi('PUT', `/api/users/${username}`, { password: 'orphan-password', tags: '' })).status, 201);
    const wal = new WriteAheadLog(new StorageView(harness.storage, 'logical/rabbit/'));
    await wal.put('user', { username }, Date.now() - 3600_000);

    await harness.backend.periodic();

    assert.equal((await adminApi('GET', `/api/users/${username}`)).status, 404);
    assert.deepEqual(await wal.list(), []);
  });
});
