import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { createBackend } from './backend.js';
import { MAX_NOTE_BYTES } from './path-notes.js';
import { makeRequest, MapStorage } from './test-support.js';

describe('notes paths', () => {
  const backend = createBackend();
  let storage: MapStorage;
  const send = (operation: Parameters<typeof makeRequest>[1], path: string, data?: Record<string, unknown>) =>
    backend.handleRequest(makeRequest(storage, operation, path, data));

  beforeEach(() => {
    storage = new MapStorage();
  });

  test('create stores revision 1', async () => {
    const created = await send('create', 'notes/first', { text: 'hello' });
    assert.deepEqual(created, { data: { revision: 1 } });
    assert.deepEqual(JSON.parse(storage.entries.get('notes/first')!.toString('utf8')), { text: 'hello', revision: 1 });

    const read = await send('read', 'notes/first');
    assert.deepEqual(read, { data: { text: 'hello', revision: 1 } });
  });

  test('update increments the revision', async () => {
    await send('create', 'notes/first', { text: 'one' });
    assert.deepEqual(await send('update', 'notes/first', { text: 'two' }), { data: { revision: 2 } });
    assert.deepEqual(await send('update', 'notes/first', { text: 'three' }), { data: { revision: 3 } });
    assert.deepEqual(await send('read', 'notes/first'), { data: { text: 'three', revision: 3 } });
  });

  test('existence check finds stored notes', async () => {
    const check = (path: string) => backend.handleExistenceCheck(makeRequest(storage, 'update', path, { text: 'x' }));
    assert.deepEqual(await check('notes/first'), { checkFound: true, exists: false });

    await send('create', 'notes/first', { text: 'hello' });
    assert.deepEqual(await check('notes/first'), { checkFound: true, exists: true });
    assert.deepEqual(await check('share/first'), { checkFound: false, exists: false }, 'share/ declares no existence check');
  });

  test('write without text is rejected', async () => {
    await assert.rejects(send('create', 'notes/first'), {
      code: 'COFFER_ERR_INVALID_REQUEST',
      status: 400,
      message: 'missing required field "text" in a write to a note',
    });
    assert.equal(storage.entries.size, 0);
  });

  test('oversized text is rejected', async () => {
    const text = 'é'.repeat(MAX_NOTE_BYTES / 2 + 1);
    await assert.rejects(send('create', 'notes/big', { text }), {
      status: 400,
      message: `invalid field "text": ${MAX_NOTE_BYTES + 2} bytes is more than the limit of ${MAX_NOTE_BYTES}; split the note`,
    });
    assert.deepEqual(await send('create', 'notes/big', { text: 'é'.repeat(MAX_NOTE_BYTES / 2) }), { data: { revision: 1 } }, 'the limit itself is accepted');
  });

  test('unknown field is rejected', async () => {
    await assert.rejects(send('create', 'notes/first', { text: 'hello', colour: 'red' }), {
      code: 'COFFER_ERR_INVALID_REQUEST',
      status: 400,
      message: 'unknown field "colour"',
    });
  });

  test('read of missing note is 404', async () => {
    await assert.rejects(send('read', 'notes/absent'), { code: 'COFFER_ERR_NOT_FOUND', status: 404, message: 'note "absent" not found' });
  });

  test('delete removes the note', async () => {
    await send('create', 'notes/first', { text: 'hello' });
    assert.equal(await send('delete', 'notes/first'), null);
    assert.equal(storage.entries.has('notes/first'), false);
    assert.equal(await send('delete', 'notes/first'), null, 'deleting a missing note succeeds');
  });

  test('list returns sorted names', async () => {
    assert.equal(await send('list', 'notes/'), null, 'an empty list has no response, which Coffer answers with 404');

    await send('create', 'notes/zebra', { text: 'z' });
    await send('create', 'notes/apple', { text: 'a' });
    assert.deepEqual(await send('list', 'notes/'), { data: { keys: ['apple', 'zebra'] } });
    assert.deepEqual(await send('list', 'notes'), { data: { keys: ['apple', 'zebra'] } }, 'the trailing slash is optional');
  });

  test('invalid name matches no path', async () => {
    await assert.rejects(send('create', 'notes/-bad-', { text: 'x' }), {
      code: 'COFFER_ERR_UNSUPPORTED_PATH',
      status: 404,
      message: 'unsupported path "notes/-bad-"',
    });
  });
});
