import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderStatement, scrubSecrets, splitStatements } from './database.js';

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
