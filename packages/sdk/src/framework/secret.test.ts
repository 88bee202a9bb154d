import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Request } from '../logical.js';
import { childrenOf, type Storage, type StorageEntry } from '../storage.js';
import { Backend } from './backend.js';
import { definePath, nameSegment } from './path.js';
import { defineSecret, SECRET_TYPE_KEY, secretResponse } from './secret.js';

/** A map-backed store that keeps the storage contract, so handlers can record what they did. */
class MapStorage implements Storage {
  readonly entries = new Map<string, Buffer>();

  async get(key: string): Promise<StorageEntry | null> {
    const value = this.entries.get(key);
    return value === undefined ? null : { key, value };
  }

  async put(entry: StorageEntry): Promise<void> {
    this.entries.set(entry.key, entry.value);
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return childrenOf(prefix, this.entries.keys());
  }
}

const credsType = defineSecret({
  type: 'creds',
  fields: { username: { type: 'string', description: 'The user to drop.' } },
  defaultTtl: 60,
  maxTtl: 600,
  async renew(request) {
    return { secret: { ttl: 120, maxTtl: 600, renewable: true, internalData: { renewedFrom: request.secret?.ttl } } };
  },
  async revoke(request, fields) {
    await request.storage.put({ key: `revoked/${fields.get('username')}`, value: Buffer.from(request.secret!.leaseId) });
    return null;
  },
});

const certType = defineSecret({
  type: 'cert',
  async revoke() {
    return null;
  },
});

function createBackend(): Backend {
  return new Backend({
    backendType: 'logical',
    help: 'Issues test credentials.',
    secrets: [credsType, certType],
    paths: [
      definePath({
        pattern: `creds/${nameSegment('name')}`,
        fields: { name: { type: 'string', description: 'User name.' } },
        operations: {
          async read(_request, fields) {
            return secretResponse(credsType, { username: fields.get('name') }, { username: fields.get('name') });
          },
        },
        helpSynopsis: 'Issue credentials.',
        helpDescription: 'Issues credentials for the named user.',
      }),
    ],
  });
}

function secretRequest(storage: Storage, operation: 'renew' | 'revoke', internalData: Record<string, unknown>, data: Record<string, unknown> = {}): Request {
  return {
    id: 'request-1',
    operation,
    path: 'creds/alice',
    data,
    storage,
    mountPoint: 'db/',
    mountType: 'test',
    clientToken: '',
    headers: {},
    secret: { leaseId: 'db/creds/alice/abc', internalData, ttl: 60, issueTime: '2024-01-01T00:00:00.000Z', increment: 30 },
  };
}

describe('secretResponse', () => {
  test('secretResponse sets type and TTLs', () => {
    const response = secretResponse(credsType, { username: 'alice' }, { username: 'alice' });
    assert.deepEqual(response, {
      data: { username: 'alice' },
      secret: { ttl: 60, maxTtl: 600, renewable: true, internalData: { username: 'alice', [SECRET_TYPE_KEY]: 'creds' } },
    });
  });

  test('options override type settings', () => {
    const response = secretResponse(credsType, {}, {}, { ttl: 5, maxTtl: 9, renewable: false, warnings: ['short'] });
    assert.equal(response.secret?.ttl, 5);
    assert.equal(response.secret?.maxTtl, 9);
    assert.equal(response.secret?.renewable, false);
    assert.deepEqual(response.warnings, ['short']);
  });

  test('type without renew is not renewable', () => {
    const response = secretResponse(certType, {}, {}, { renewable: true });
    assert.equal(response.secret?.renewable, false);
    assert.equal(response.secret?.ttl, 0);
    assert.equal(response.secret?.maxTtl, 0);
  });

  test('secretResponse rejects a negative TTL', () => {
    assert.throws(() => secretResponse(credsType, {}, {}, { ttl: -1 }), {
      message: 'secret type "creds": ttl must be a whole number of seconds, not -1',
    });
    assert.throws(() => secretResponse(credsType, {}, {}, { maxTtl: 1.5 }), {
      message: 'secret type "creds": maxTtl must be a whole number of seconds, not 1.5',
    });
  });
});

describe('backend secret dispatch', () => {
  test('revoke reaches the named type', async () => {
    const storage = new MapStorage();
    const response = await createBackend().handleRequest(secretRequest(storage, 'revoke', { [SECRET_TYPE_KEY]: 'creds' }, { username: 'alice', password: 'x' }));
    assert.equal(response, null);
    assert.equal(storage.entries.get('revoked/alice')?.toString(), 'db/creds/alice/abc');
  });

  test('renew keeps the secret type', async () => {
    const response = await createBackend().handleRequest(secretRequest(new MapStorage(), 'renew', { [SECRET_TYPE_KEY]: 'creds' }));
    assert.deepEqual(response?.secret?.internalData, { renewedFrom: 60, [SECRET_TYPE_KEY]: 'creds' });
    assert.equal(response?.secret?.ttl, 120);
  });

  test('renew without handler fails', async () => {
    await assert.rejects(createBackend().handleRequest(secretRequest(new MapStorage(), 'renew', { [SECRET_TYPE_KEY]: 'cert' })), {
      status: 405,
      code: 'COFFER_ERR_UNSUPPORTED_OPERATION',
      message: 'lease is not renewable: secret type "cert" has no renew handler',
    });
  });

  test('unknown secret type is rejected', async () => {
    await assert.rejects(createBackend().handleRequest(secretRequest(new MapStorage(), 'revoke', { [SECRET_TYPE_KEY]: 'ssh' })), {
      status: 400,
      message: 'secret type "ssh" of lease "db/creds/alice/abc" is not supported by this backend',
    });
    await assert.rejects(createBackend().handleRequest(secretRequest(new MapStorage(), 'revoke', {})), {
      status: 400,
      message: 'secret type null of lease "db/creds/alice/abc" is not supported by this backend',
    });
  });

  test('secret request without a lease fails', async () => {
    const request = secretRequest(new MapStorage(), 'revoke', {});
    delete request.secret;
    await assert.rejects(createBackend().handleRequest(request), {
      status: 500,
      message: 'revoke request for "creds/alice" carries no secret',
    });
  });

  test('paths still serve ordinary reads', async () => {
    const response = await createBackend().handleRequest({ ...secretRequest(new MapStorage(), 'revoke', {}), operation: 'read', secret: undefined });
    assert.equal(response?.secret?.internalData[SECRET_TYPE_KEY], 'creds');
    assert.deepEqual(response?.data, { username: 'alice' });
  });

  test('duplicate secret types fail', () => {
    assert.throws(() => new Backend({ backendType: 'logical', help: '', paths: [], secrets: [certType, certType] }), {
      message: 'invalid backend definition: secret type "cert" is declared twice',
    });
  });
});
