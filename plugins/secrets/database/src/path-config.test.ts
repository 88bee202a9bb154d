import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, dataOf, POSTGRES_CONFIG, POSTGRES_CREATE, write } from './test-support.js';

describe('config paths', () => {
  const harness = createHarness();
  after(() => harness.backend.cleanup());

  test('write, read without password, list', async () => {
    assert.equal(await write(harness, 'config/pg', { ...POSTGRES_CONFIG, password: 'not-returned', allowed_roles: 'a,b', max_open_connections: 2 }), null);
    const read = dataOf(await harness.send('read', 'config/pg'));
    assert.deepEqual(read, {
      plugin_name: 'postgresql-database-plugin',
      plugin_version: '',
      connection_details: { connection_url: POSTGRES_CONFIG.connection_url, username: 'postgres', max_open_connections: 2 },
      allowed_roles: ['a', 'b'],
      root_credentials_rotate_statements: [],
      password_policy: '',
      verify_connection: true,
    });
    assert.deepEqual(dataOf(await harness.send('list', 'config/')), { keys: ['pg'] });
  });

  test('update keeps unset settings', async () => {
    await write(harness, 'config/pg', { allowed_roles: '*' });
    const read = dataOf(await harness.send('read', 'config/pg'));
    assert.deepEqual(read.allowed_roles, ['*']);
    assert.equal(read.plugin_name, 'postgresql-database-plugin');
    assert.deepEqual(read.connection_details, { connection_url: POSTGRES_CONFIG.connection_url, username: 'postgres', max_open_connections: 2 });
  });

  test('password in connection_url is hidden', async () => {
    const url = 'postgresql://postgres:inline-secret@127.0.0.1:5432/test';
    const written = await write(harness, 'config/inline', { plugin_name: 'postgresql-database-plugin', connection_url: url });
    assert.deepEqual(written, {
      warnings: ['password found in connection_url, use a templated url to enable root rotation and prevent read access to password information'],
    });
    const read = dataOf(await harness.send('read', 'config/inline'));
    assert.deepEqual(read.connection_details, { connection_url: 'postgresql://postgres:*****@127.0.0.1:5432/test' });
    await harness.send('delete', 'config/inline');
  });

  test('missing plugin_name is rejected', async () => {
    const { plugin_name: _omitted, ...settings } = POSTGRES_CONFIG;
    await assertRejectedUnchanged(harness, () => write(harness, 'config/other', settings), 'missing required field "plugin_name"');
  });

  test('unknown plugin is rejected', async () => {
    await assertRejectedUnchanged(
      harness,
      () => write(harness, 'config/other', { ...POSTGRES_CONFIG, plugin_name: 'nosuch-database-plugin' }),
      'invalid field "plugin_name": no database plugin named "nosuch-database-plugin"',
    );
  });

  test('unreachable database is rejected', async () => {
    await assertRejectedUnchanged(
      harness,
      () => write(harness, 'config/other', { ...POSTGRES_CONFIG, connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:1/test', password: 'secret-x' }),
      'error creating database object: failed to verify the connection: connect ECONNREFUSED [redacted]:1',
    );
  });

  test('password_policy is stored and kept', async () => {
    assert.equal(await write(harness, 'config/pg', { password_policy: 'strong' }), null);
    assert.equal(dataOf(await harness.send('read', 'config/pg')).password_policy, 'strong');
    await write(harness, 'config/pg', { allowed_roles: 'reader' });
    assert.equal(dataOf(await harness.send('read', 'config/pg')).password_policy, 'strong');
    await write(harness, 'config/pg', { password_policy: '' });
    assert.equal(dataOf(await harness.send('read', 'config/pg')).password_policy, '');
  });

  test('password_policy without server support fails creds', async () => {
    await write(harness, 'config/pg', { password_policy: 'strong', allowed_roles: 'reader' });
    await write(harness, 'roles/reader', { db_name: 'pg', creation_statements: POSTGRES_CREATE });
    await assertRejectedUnchanged(
      harness,
      () => harness.send('read', 'creds/reader'),
      'password policy "strong" cannot be used: this server offers no password policies to plugins',
    );
    await harness.send('delete', 'roles/reader');
    await write(harness, 'config/pg', { password_policy: '', allowed_roles: '*' });
  });

  test('reset reopens the connection', async () => {
    assert.equal(await harness.send('update', 'reset/pg'), null);
  });

  test('delete removes the connection', async () => {
    assert.equal(await harness.send('delete', 'config/pg'), null);
    assert.equal(await harness.send('read', 'config/pg'), null);
    assert.equal(await harness.send('list', 'config/'), null);
  });
});
