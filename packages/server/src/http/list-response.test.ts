import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';
import { listsNothing } from './list-response.js';

describe('listsNothing', () => {
  test('empty keys list nothing', () => {
    assert.equal(listsNothing({ data: { keys: [] } }), true);
    assert.equal(listsNothing({ data: { keys: null } }), true);
    assert.equal(listsNothing({ data: { keys: [], key_info: {} } }), true);
  });

  test('no data lists nothing', () => {
    assert.equal(listsNothing({}), true);
    assert.equal(listsNothing({ data: null }), true);
    assert.equal(listsNothing({ data: {} }), true);
  });

  test('warnings alone are an answer', () => {
    assert.equal(listsNothing({ data: {}, warnings: ['mount is read-only'] }), false);
  });

  test('keys are a listing', () => {
    assert.equal(listsNothing({ data: { keys: ['a'] } }), false);
  });

  test('other data without keys passes', () => {
    assert.equal(listsNothing({ data: { headers: {} } }), false);
  });

  test('inherited keys do not count', () => {
    const data = Object.create({ keys: ['inherited'] }) as Record<string, unknown>;
    assert.equal(listsNothing({ data }), true);
  });
});

describe('LIST answers', () => {
  let server: RunningServer;
  const TOKEN = 'list-answers-root';

  before(async () => {
    server = await startDevServer(TOKEN);
  });

  after(async () => {
    await server.close();
  });

  test('empty folder is 404 without errors', async () => {
    const response = await api(server, 'LIST', 'cubbyhole/', { token: TOKEN });
    assert.equal(response.status, 404);
    assert.deepEqual(response.body, { errors: [] });
  });

  test('folder with a secret lists it', async () => {
    assert.equal((await api(server, 'POST', 'cubbyhole/listed', { token: TOKEN, body: { value: 'x' } })).status, 204);
    const response = await api(server, 'LIST', 'cubbyhole/', { token: TOKEN });
    assert.equal(response.status, 200);
    assert.deepEqual((response.body as { data: unknown }).data, { keys: ['listed'] });
  });
});
