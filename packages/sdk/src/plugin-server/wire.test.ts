import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { badRequest, CofferError, notFound } from '../errors.js';
import type { Request, Response } from '../logical.js';
import { childrenOf, type Storage, type StorageEntry } from '../storage.js';
import { ERROR_TYPE, type WireRequest } from './messages.js';
import { loadPluginProtocol } from './protocol.js';
import { errorFromWire, errorToWire, requestFromWire, requestToWire, responseFromWire, responseToWire } from './wire.js';

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

describe('wire conversions', () => {
  test('request survives the round trip', () => {
    const storage = new MapStorage();
    const request: Request = {
      id: 'req-1',
      operation: 'renew',
      path: 'creds/alice',
      data: { nested: { a: [1, 2] }, flag: true },
      storage,
      mountPoint: 'db/',
      mountType: 'my-db',
      clientToken: 'salted',
      displayName: 'userpass-alice',
      entityId: 'e1b2c3d4-0000-4000-8000-000000000001',
      remoteAddress: '127.0.0.1',
      headers: { 'x-custom': 'yes' },
      secret: {
        leaseId: 'db/creds/alice/abc',
        internalData: { secret_type: 'creds', user: 'alice' },
        ttl: 60,
        issueTime: '2024-01-01T00:00:00.000Z',
        lastRenewalTime: '2024-01-01T00:01:00.000Z',
        increment: 30,
      },
    };
    const wire = requestToWire(request, 'my-db_1234');
    assert.equal(wire.mount_accessor, 'my-db_1234');
    assert.equal(wire.secret?.lease_options?.ttl, 60e9, 'durations travel in nanoseconds');
    assert.equal(wire.entity_id, 'e1b2c3d4-0000-4000-8000-000000000001');
    assert.deepEqual(requestFromWire(wire, storage), request);
  });

  test('client certificates cross the protobuf encoding', () => {
    const storage = new MapStorage();
    const leaf = Buffer.from('3082leaf', 'hex');
    const issuer = Buffer.from('3082ca', 'hex');
    const request: Request = {
      id: 'req-3',
      operation: 'update',
      path: 'login',
      data: {},
      storage,
      mountPoint: 'auth/cert/',
      mountType: 'cert',
      clientToken: '',
      remoteAddress: '127.0.0.1',
      headers: {},
      connection: { peerCertificates: [leaf, issuer] },
    };
    const method = loadPluginProtocol().Backend.service.HandleRequest;
    const bytes = method.requestSerialize({ request: requestToWire(request, 'cert_1') });
    const decoded = (method.requestDeserialize(bytes) as { request: WireRequest }).request;

    assert.equal(decoded.connection?.connection_state?.handshake_complete, true);
    assert.deepEqual(requestFromWire(decoded, storage).connection, { peerCertificates: [leaf, issuer] });
  });

  test('plain HTTP request has no connection state', () => {
    const storage = new MapStorage();
    const request: Request = { id: 'req-4', operation: 'update', path: 'login', data: {}, storage, mountPoint: 'auth/cert/', mountType: 'cert', clientToken: '', remoteAddress: '127.0.0.1', headers: {} };
    const method = loadPluginProtocol().Backend.service.HandleRequest;
    const bytes = method.requestSerialize({ request: requestToWire(request, 'cert_1') });
    const decoded = (method.requestDeserialize(bytes) as { request: WireRequest }).request;

    assert.equal(decoded.connection?.connection_state, null);
    assert.equal(requestFromWire(decoded, storage).connection, undefined);
  });

  test('unsafe integers cross as digits', () => {
    const storage = new MapStorage();
    const data = { id: 12345678901234567890n, nested: [-98765432109876543210n, 1] };
    const request: Request = { id: 'req-2', operation: 'update', path: 'big', data, storage, mountPoint: 'x/', mountType: 'x', clientToken: '', headers: {} };
    const wire = requestToWire(request, 'x_1');
    assert.equal(wire.data, '{"id":12345678901234567890,"nested":[-98765432109876543210,1]}');
    assert.deepStrictEqual(requestFromWire(wire, storage).data, data);

    const response: Response = { data: { id: -98765432109876543210n } };
    assert.equal(responseToWire(response)?.data, '{"id":-98765432109876543210}');
    assert.deepStrictEqual(responseFromWire(responseToWire(response)), response);
  });

  test('unknown operation is rejected', () => {
    assert.throws(() => requestFromWire({ operation: 'rollback', data: '{}' }, new MapStorage()), { message: 'unsupported operation "rollback"' });
  });

  test('response survives the round trip', () => {
    const response: Response = {
      data: { value: 'x' },
      secret: { ttl: 300, maxTtl: 3600, renewable: true, internalData: { secret_type: 'creds' }, passthrough: true },
      warnings: ['careful'],
    };
    assert.deepEqual(responseFromWire(responseToWire(response)), response);
    assert.equal(responseFromWire(responseToWire(null)), null);
  });

  test('login survives the round trip', () => {
    const response: Response = {
      data: null,
      auth: {
        policies: ['reader'],
        metadata: { user: 'alice' },
        displayName: 'alice',
        ttl: 3600,
        maxTtl: 7200,
        explicitMaxTtl: 0,
        period: 0,
        numUses: 3,
        renewable: false,
        boundCidrs: ['10.0.0.0/8'],
        tokenType: 'batch',
        noDefaultPolicy: true,
        alias: { name: 'alice', metadata: { team: 'a' } },
        groupAliases: [{ name: 'admins' }],
        internalData: { hash: 'abc' },
      },
    };
    assert.deepEqual(responseFromWire(responseToWire(response)), response);
  });

  test('raw answer travels as vault data keys', () => {
    const wire = responseToWire({ raw: { status: 200, contentType: 'application/pkix-cert', body: Buffer.from([1, 2, 3]) } });
    assert.deepEqual(JSON.parse(wire!.data!), { http_status_code: 200, http_content_type: 'application/pkix-cert', http_raw_body: 'AQID' });
    assert.deepEqual(responseFromWire(wire)?.raw, { status: 200, contentType: 'application/pkix-cert', body: Buffer.from([1, 2, 3]) });
  });

  test('coffer errors keep code and status', () => {
    const back = errorFromWire(errorToWire(notFound('no note "a"')), null);
    assert.ok(back instanceof CofferError);
    assert.equal(back.code, 'COFFER_ERR_NOT_FOUND');
    assert.equal(back.status, 404);
    assert.equal(back.message, 'no note "a"');
    assert.equal((errorFromWire(errorToWire(badRequest('bad')), null) as CofferError).status, 400);
  });

  test('plain errors stay internal', () => {
    const back = errorFromWire(errorToWire(new Error('database down')), null);
    assert.equal(back instanceof CofferError, false, 'the server answers "internal error" for it');
    assert.equal(back.message, 'database down');
  });

  test('vault error types map to statuses', () => {
    const invalid = errorFromWire({ err_type: ERROR_TYPE.invalidRequest, err_msg: 'invalid request' }, { data: '{"error":"missing role"}' });
    assert.ok(invalid instanceof CofferError);
    assert.equal(invalid.status, 400);
    assert.equal(invalid.message, 'missing role', 'the response error text wins');
    assert.equal((errorFromWire({ err_type: ERROR_TYPE.permissionDenied, err_msg: 'permission denied' }, null) as CofferError).status, 403);
    assert.equal((errorFromWire({ err_type: ERROR_TYPE.unsupportedPath, err_msg: 'unsupported path' }, null) as CofferError).status, 404);
    assert.equal((errorFromWire({ err_type: ERROR_TYPE.codedError, err_msg: 'teapot', err_code: 418 }, null) as CofferError).status, 418);
    assert.equal(errorFromWire({ err_type: ERROR_TYPE.unrecoverable, err_msg: 'boom' }, null) instanceof CofferError, false);
  });
});
