import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertRejectedUnchanged, createHarness, dataOf, POSTGRES_CONFIG, POSTGRES_CREATE, write } from './test-support.js';

describe('roles paths', () => {
  const harness = createHarness();
  before(async () => {
    await write(harness, 'config/pg', { ...POSTGRES_CONFIG, allowed_roles: 'reader,writer' });
  });
  after(() => harness.backend.cleanup());

  test('write, read, list, delete', async () => {
    assert.equal(await write(harness, 'roles/reader', { db_name: 'pg', creation_statements: POSTGRES_CREATE, default_ttl: '1h', max_ttl: '2h' }), null);
    assert.deepEqual(dataOf(await harness.send('read', 'roles/reader')), {
      db_name: 'pg',
      default_ttl: 3600,
      max_ttl: 7200,
      creation_statements: [POSTGRES_CREATE],
      revocation_statements: [],
      rollback_statements: [],
      renew_statements: [],
      credential_type: 'password',
    });
    await write(harness, 'roles/writer', { db_name: 'pg', creation_statements: [POSTGRES_CREATE, 'GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO "{{name}}";'] });
    assert.deepEqual(dataOf(await harness.send('read', 'roles/writer')).creation_statements, [POSTGRES_CREATE, 'GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO "{{name}}";']);
    assert.deepEqual(dataOf(await harness.send('list', 'roles')), { keys: ['reader', 'writer'] });
    assert.equal(await harness.send('delete', 'roles/writer'), null);
    assert.equal(await harness.send('read', 'roles/writer'), null);
  });

  test('update keeps unset fields', async () => {
    await write(harness, 'roles/reader', { default_ttl: 600 });
    const read = dataOf(await harness.send('read', 'roles/reader'));
    assert.equal(read.default_ttl, 600);
    assert.equal(read.max_ttl, 7200);
    assert.equal(read.db_name, 'pg');
  });

  test('missing db_name is rejected', async () => {
    await assertRejectedUnchanged(harness, () => write(harness, 'roles/new', { creation_statements: POSTGRES_CREATE }), 'missing required field "db_name"');
  });

  test('missing creation_statements is rejected', async () => {
    await assertRejectedUnchanged(harness, () => write(harness, 'roles/writer', { db_name: 'pg' }), 'missing required field "creation_statements"');
  });

  test('unknown connection is rejected', async () => {
    await assertRejectedUnchanged(
      harness,
      () => write(harness, 'roles/writer', { db_name: 'nosuch', creation_statements: POSTGRES_CREATE }),
      'invalid field "db_name": no connection named "nosuch"; write config/nosuch first',
    );
  });

  test('role not in allowed_roles is rejected', async () => {
    await assertRejectedUnchanged(
      harness,
      () => write(harness, 'roles/admin', { db_name: 'pg', creation_statements: POSTGRES_CREATE }),
      'invalid field "db_name": connection "pg" does not allow role "admin"; add it to the connection\'s allowed_roles',
    );
  });

  test('allowed_roles glob matches role', async () => {
    await write(harness, 'config/globbed', { ...POSTGRES_CONFIG, allowed_roles: 'app-*-ro,batch*' });
    assert.equal(await write(harness, 'roles/app-web-ro', { db_name: 'globbed', creation_statements: POSTGRES_CREATE }), null);
    assert.equal(await write(harness, 'roles/batch', { db_name: 'globbed', creation_statements: POSTGRES_CREATE }), null);
    await assertRejectedUnchanged(
      harness,
      () => write(harness, 'roles/app-web-rw', { db_name: 'globbed', creation_statements: POSTGRES_CREATE }),
      'invalid field "db_name": connection "globbed" does not allow role "app-web-rw"; add it to the connection\'s allowed_roles',
    );
    await harness.send('delete', 'roles/app-web-ro');
    await harness.send('delete', 'roles/batch');
  });

  test('default_ttl above max_ttl is rejected', async () => {
    await assertRejectedUnchanged(
      harness,
      () => write(harness, 'roles/writer', { db_name: 'pg', creation_statements: POSTGRES_CREATE, default_ttl: '3h', max_ttl: '1h' }),
      'invalid field "default_ttl": 10800 s is greater than "max_ttl" of 3600 s',
    );
  });

  test('unknown field is rejected', async () => {
    await assertRejectedUnchanged(
      harness,
      () => write(harness, 'roles/writer', { db_name: 'pg', creation_statements: POSTGRES_CREATE, colour: 'red' }),
      'unknown field "colour"',
    );
  });
});
