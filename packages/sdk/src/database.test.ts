import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSqlConnectionSettings, renderStatement, scrubSecrets, splitStatements, stringSetting, usernameTemplateSetting } from './database.js';

describe('statements', () => {
  test('split at semicolons outside quotes', () => {
    assert.deepEqual(splitStatements({ commands: [`CREATE ROLE "a;b" PASSWORD 'x;y'; GRANT SELECT ON t TO "a;b";`, ' ; '] }), [
      `CREATE ROLE "a;b" PASSWORD 'x;y'`,
      'GRANT SELECT ON t TO "a;b"',
    ]);
  });

  test('dollar quoted bodies stay whole', () => {
    assert.deepEqual(splitStatements({ commands: ['DO $$ BEGIN PERFORM 1; END $$; SELECT 1'] }), ['DO $$ BEGIN PERFORM 1; END $$', 'SELECT 1']);
  });

  test('placeholders are replaced', () => {
    assert.equal(
      renderStatement(`CREATE ROLE "{{name}}" PASSWORD '{{ password }}' VALID UNTIL '{{expiration}}' {{other}}`, { name: 'u', password: 'p', expiration: 'e' }),
      `CREATE ROLE "u" PASSWORD 'p' VALID UNTIL 'e' {{other}}`,
    );
  });
});

describe('scrubbing', () => {
  test('credentials in URLs and given secrets', () => {
    assert.equal(
      scrubSecrets('cannot reach postgresql://admin:hunter2@db.internal:5432/app (host db.internal, password hunter2)', ['hunter2', 'db.internal', '']),
      'cannot reach postgresql://[redacted]@[redacted]:5432/app (host [redacted], password [redacted])',
    );
  });
});

describe('connection settings', () => {
  const defaults = { exampleUrl: 'db://{{username}}:{{password}}@host/db', defaultUsernameTemplate: 'v-{{.RoleName}}' };

  test('string setting absent or null is empty', () => {
    assert.equal(stringSetting({}, 'username'), '');
    assert.equal(stringSetting({ username: null }, 'username'), '');
    assert.equal(stringSetting({ username: 'admin' }, 'username'), 'admin');
  });

  test('string setting of another type', () => {
    assert.throws(() => stringSetting({ username: 7 }, 'username'), new Error('invalid setting "username": expected a string'));
  });

  test('username template default and check', () => {
    assert.equal(usernameTemplateSetting({}, 'v-{{.RoleName}}'), 'v-{{.RoleName}}');
    assert.equal(usernameTemplateSetting({ username_template: '{{.DisplayName}}' }, 'v-{{.RoleName}}'), '{{.DisplayName}}');
    assert.throws(() => usernameTemplateSetting({ username_template: '{{ nosuch }}' }, 'x'), new Error('invalid setting "username_template": unknown function "nosuch"'));
  });

  test('SQL settings with defaults', () => {
    assert.deepEqual(parseSqlConnectionSettings({ connection_url: 'db://{{username}}:{{password}}@h/d', username: 'root', password: 'pw' }, defaults), {
      connectionUrl: 'db://{{username}}:{{password}}@h/d',
      username: 'root',
      password: 'pw',
      usernameTemplate: 'v-{{.RoleName}}',
      maxOpenConnections: 4,
    });
    assert.equal(parseSqlConnectionSettings({ connection_url: 'u', max_open_connections: '9' }, defaults).maxOpenConnections, 9);
  });

  test('SQL settings rejected', () => {
    assert.throws(() => parseSqlConnectionSettings({}, defaults), new Error('missing setting "connection_url": give a URL such as db://{{username}}:{{password}}@host/db'));
    for (const value of [0, -1, 1.5, 'many']) {
      assert.throws(
        () => parseSqlConnectionSettings({ connection_url: 'u', max_open_connections: value }, defaults),
        new Error(`invalid setting "max_open_connections": expected a positive integer, got ${JSON.stringify(value)}`),
      );
    }
  });
});
