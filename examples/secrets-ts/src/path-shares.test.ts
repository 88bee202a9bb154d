import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { SECRET_TYPE_KEY } from '@coffer/sdk';
import { createBackend } from './backend.js';
import { SHARE_DEFAULT_TTL, SHARE_MAX_TTL } from './path-shares.js';
import { makeLeaseRequest, makeRequest, MapStorage } from './test-support.js';

describe('share paths', () => {
  const backend = createBackend();
  let storage: MapStorage;
  const send = (operation: Parameters<typeof makeRequest>[1], path: string, data?: Record<string, unknown>) =>
    backend.handleRequest(makeRequest(storage, operation, path, data));

  /** Issues a share code for a new note "first" and returns the response. */
  async function issueShare(data: Record<string, unknown> = {}) {
    await send('create', 'notes/first', { text: 'hello' });
    const response = await send('read', 'share/first', data);
    assert.notEqual(response, null, 'share/first returns a response');
    assert.notEqual(response!.data, undefined, 'share/first returns data');
    return { response: response!, code: response!.data!.code as string };
  }

  beforeEach(() => {
    storage = new MapStorage();
  });

  test('share issues a leased code', async () => {
    const { response, code } = await issueShare();
    assert.match(code, /^[0-9a-f]{32}$/);
    assert.deepEqual(response, {
      data: { code, note: 'first' },
      secret: {
        ttl: SHARE_DEFAULT_TTL,
        maxTtl: SHARE_MAX_TTL,
        renewable: true,
        internalData: { code, [SECRET_TYPE_KEY]: 'share' },
      },
    });
    assert.deepEqual(JSON.parse(storage.entries.get(`shares/${code}`)!.toString('utf8')), { note: 'first' });
  });

  test('share takes a ttl duration', async () => {
    const { response } = await issueShare({ ttl: '15m' });
    assert.equal(response.secret?.ttl, 900);
  });

  test('share of missing note is 404', async () => {
    await assert.rejects(send('read', 'share/absent'), { code: 'COFFER_ERR_NOT_FOUND', status: 404, message: 'note "absent" not found' });
    assert.equal(storage.entries.size, 0, 'no code is stored');
  });

  test('shared code reads the note', async () => {
    const { code } = await issueShare();
    await send('update', 'notes/first', { text: 'changed' });
    assert.deepEqual(await send('read', `shared/${code}`), { data: { note: 'first', text: 'changed' } });
  });

  test('unknown code is 404', async () => {
    await assert.rejects(send('read', `shared/${'0'.repeat(32)}`), {
      code: 'COFFER_ERR_NOT_FOUND',
      status: 404,
      message: 'share code not found; it may have expired or been revoked',
    });
  });

  test('code of deleted note is 404', async () => {
    const { code } = await issueShare();
    await send('delete', 'notes/first');
    await assert.rejects(send('read', `shared/${code}`), { status: 404, message: 'shared note "first" not found; it was deleted' });
  });

  test('revoke deletes the code', async () => {
    const { response, code } = await issueShare();
    const revoked = await backend.handleRequest(makeLeaseRequest(storage, 'revoke', response.data!, response.secret!.internalData));
    assert.equal(revoked, null);
    assert.equal(storage.entries.has(`shares/${code}`), false);
    await assert.rejects(send('read', `shared/${code}`), { status: 404 });
  });

  test('renew keeps a live code', async () => {
    const { response } = await issueShare();
    const renewed = await backend.handleRequest(makeLeaseRequest(storage, 'renew', response.data!, response.secret!.internalData));
    assert.equal(renewed, null);
  });

  test('renew of revoked code is 404', async () => {
    const { response, code } = await issueShare();
    storage.entries.delete(`shares/${code}`);
    await assert.rejects(backend.handleRequest(makeLeaseRequest(storage, 'renew', response.data!, response.secret!.internalData)), {
      code: 'COFFER_ERR_NOT_FOUND',
      status: 404,
      message: 'share code of lease "notes/share/first/lease-1" no longer exists',
    });
  });

  test('lease without code fails', async () => {
    await assert.rejects(backend.handleRequest(makeLeaseRequest(storage, 'revoke', {}, { [SECRET_TYPE_KEY]: 'share' })), {
      code: 'COFFER_ERR_INTERNAL',
      status: 500,
      message: 'lease "notes/share/first/lease-1" has no share code in its internal data',
    });
  });
});
