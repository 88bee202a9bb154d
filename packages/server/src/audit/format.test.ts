import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildRequestEntry, buildResponseEntry, formatTime, parseFormatConfig, serializeEntry, type FormatConfig } from './format.js';
import { AuditHasher } from './hmac.js';
import { sampleInput } from './test-support.js';

const hasher = new AuditHasher(Buffer.alloc(32, 7));
const h = (value: string): string => hasher.hash(value);
const NOW = new Date('2024-01-15T10:30:45.120Z');
const JSON_CONFIG: FormatConfig = parseFormatConfig({});

describe('audit entry format', () => {
  test('request entry has Vault field names and HMACs', () => {
    const entry = buildRequestEntry(sampleInput(), hasher, JSON_CONFIG, NOW);
    assert.deepEqual(entry, {
      time: '2024-01-15T10:30:45.12Z',
      auth: {
        accessor: h('caller-accessor-value'),
        client_token: h('hvs.caller-token-value'),
        display_name: 'token-app',
        metadata: { team: 'payments' },
        policies: ['default', 'app'],
        token_issue_time: '2024-01-15T10:30:45Z',
        token_policies: ['default', 'app'],
        token_ttl: 3600,
        token_type: 'service',
      },
      request: {
        client_token: h('hvs.caller-token-value'),
        client_token_accessor: h('caller-accessor-value'),
        data: {
          data: { password: h('top-secret-password'), nested: { apiKey: h('deep-secret-key'), list: [h('listed-secret'), { inner: h('inner-secret') }] } },
          options: { cas: 2 },
          enabled: true,
          nothing: null,
        },
        id: 'b5c6f1e2-0000-4000-8000-000000000001',
        mount_accessor: 'kv_1a2b3c4d',
        mount_point: 'secret/',
        mount_type: 'kv',
        namespace: { id: 'root' },
        operation: 'update',
        path: 'secret/data/app',
        remote_address: '127.0.0.1',
        remote_port: 51234,
      },
      type: 'request',
    });
    assert.deepEqual(Object.keys(entry), ['time', 'auth', 'request', 'type']);
  });

  test('request entry of a denied request carries the error', () => {
    const entry = buildRequestEntry(sampleInput({ tokenEntry: undefined, error: 'permission denied', data: {}, wrapTtl: 60 }), hasher, JSON_CONFIG, NOW);
    assert.deepEqual(entry.auth, { client_token: h('hvs.caller-token-value') });
    assert.equal(entry.error, 'permission denied');
    assert.equal(entry.request.wrap_ttl, 60);
    assert.equal('data' in entry.request, false);
    assert.equal('client_token_accessor' in entry.request, false);
    assert.deepEqual(Object.keys(entry), ['time', 'auth', 'error', 'request', 'type']);
  });

  test('response entry HMACs issued tokens, wrap info and data', () => {
    const entry = buildResponseEntry(
      sampleInput({
        response: {
          data: { value: 'response-secret', ttl: 30 },
          leaseId: 'database/creds/app/abc',
          auth: { client_token: 'hvs.issued', accessor: 'issued-accessor', policies: ['default'], token_policies: ['default'], metadata: null, lease_duration: 600, renewable: true, entity_id: '', token_type: 'service', orphan: false, num_uses: 0 },
          wrapInfo: { token: 'hvs.wrapping', accessor: 'wrapping-accessor', ttl: 300, creation_time: '2024-01-15T10:30:45.12Z', creation_path: 'auth/token/create', wrapped_accessor: 'issued-accessor' },
          warnings: ['a warning'],
        },
      }),
      hasher,
      JSON_CONFIG,
      NOW,
    );
    assert.deepEqual(entry.response, {
      auth: { accessor: h('issued-accessor'), client_token: h('hvs.issued'), policies: ['default'], token_policies: ['default'], token_ttl: 600, token_type: 'service' },
      data: { value: h('response-secret'), ttl: 30 },
      mount_accessor: 'kv_1a2b3c4d',
      mount_point: 'secret/',
      mount_type: 'kv',
      secret: { lease_id: 'database/creds/app/abc' },
      warnings: ['a warning'],
      wrap_info: {
        accessor: h('wrapping-accessor'),
        creation_path: 'auth/token/create',
        creation_time: '2024-01-15T10:30:45.12Z',
        token: h('hvs.wrapping'),
        ttl: 300,
        wrapped_accessor: h('issued-accessor'),
      },
    });
    assert.equal(entry.type, 'response');
    assert.deepEqual(Object.keys(entry), ['time', 'auth', 'request', 'response', 'type']);
  });

  test('response entry of a failed request carries the error', () => {
    const entry = buildResponseEntry(sampleInput({ error: 'no handler for route "nope/x". route entry not found.' }), hasher, JSON_CONFIG, NOW);
    assert.equal(entry.error, 'no handler for route "nope/x". route entry not found.');
    assert.deepEqual(entry.response, { mount_accessor: 'kv_1a2b3c4d', mount_point: 'secret/', mount_type: 'kv' });
  });

  test('hmac_accessor false leaves accessors in clear', () => {
    const config = parseFormatConfig({ hmac_accessor: 'false' });
    const entry = buildRequestEntry(sampleInput(), hasher, config, NOW);
    assert.equal(entry.auth.accessor, 'caller-accessor-value');
    assert.equal(entry.request.client_token_accessor, 'caller-accessor-value');
    assert.equal(entry.request.client_token, h('hvs.caller-token-value'));
  });

  test('log_raw writes values in clear', () => {
    const config = parseFormatConfig({ log_raw: 'true' });
    const entry = buildRequestEntry(sampleInput(), hasher, config, NOW);
    assert.equal(entry.request.client_token, 'hvs.caller-token-value');
    assert.deepEqual((entry.request.data as any).data.password, 'top-secret-password');
  });

  test('non-HMAC keys of the mount stay in clear', () => {
    const input = sampleInput({ nonHmacRequestKeys: ['password'], nonHmacResponseKeys: ['username'], response: { data: { username: 'alice', password: 'pw' } } });
    const entry = buildResponseEntry(input, hasher, JSON_CONFIG, NOW);
    assert.equal((entry.request.data as any).data.password, 'top-secret-password');
    assert.equal((entry.request.data as any).data.nested.apiKey, h('deep-secret-key'));
    assert.deepEqual(entry.response?.data, { username: 'alice', password: h('pw') });
  });

  test('elide_list_responses replaces keys by counts', () => {
    const config = parseFormatConfig({ elide_list_responses: 'true' });
    const data = { keys: ['a', 'b', 'c'], key_info: { a: {}, b: {} } };
    const listed = buildResponseEntry(sampleInput({ operation: 'list', response: { data } }), hasher, config, NOW);
    assert.deepEqual(listed.response?.data, { keys: 3, key_info: 2 });
    const read = buildResponseEntry(sampleInput({ operation: 'read', response: { data } }), hasher, config, NOW);
    assert.deepEqual(read.response?.data, { keys: [h('a'), h('b'), h('c')], key_info: { a: {}, b: {} } });
  });

  test('json line with prefix', () => {
    const config = parseFormatConfig({ prefix: 'AUDIT: ' });
    const entry = buildRequestEntry(sampleInput({ data: null, tokenEntry: undefined, token: '' }), hasher, config, NOW);
    const line = serializeEntry(entry, config).toString();
    assert.equal(
      line,
      'AUDIT: {"time":"2024-01-15T10:30:45.12Z","auth":{},"request":{"id":"b5c6f1e2-0000-4000-8000-000000000001","mount_accessor":"kv_1a2b3c4d",' +
        '"mount_point":"secret/","mount_type":"kv","namespace":{"id":"root"},"operation":"update","path":"secret/data/app",' +
        '"remote_address":"127.0.0.1","remote_port":51234},"type":"request"}\n',
    );
  });

  test('jsonx writes sorted, escaped XML', () => {
    const config = parseFormatConfig({ format: 'jsonx', prefix: '@cee: ' });
    const entry = buildResponseEntry(
      sampleInput({ token: '', tokenEntry: undefined, mountAccessor: undefined, mountPoint: undefined, remotePort: undefined, data: { b: 1, a: [true, null] }, error: 'bad <input> & "quotes"\nsecond line', response: { data: { keys: ['x'] } } }),
      hasher,
      config,
      NOW,
    );
    const xml = serializeEntry(entry, config).toString();
    assert.equal(
      xml,
      '@cee: <json:object xmlns:json="http://www.ibm.com/xmlns/prod/2009/jsonx">' +
        '<json:object name="auth"></json:object>' +
        '<json:string name="error">bad &lt;input&gt; &amp; &quot;quotes&quot;&#10;second line</json:string>' +
        '<json:object name="request"><json:object name="data"><json:array name="a"><json:boolean>true</json:boolean><json:null/></json:array><json:number name="b">1</json:number></json:object>' +
        '<json:string name="id">b5c6f1e2-0000-4000-8000-000000000001</json:string><json:string name="mount_type">kv</json:string>' +
        '<json:object name="namespace"><json:string name="id">root</json:string></json:object><json:string name="operation">update</json:string>' +
        '<json:string name="path">secret/data/app</json:string><json:string name="remote_address">127.0.0.1</json:string></json:object>' +
        `<json:object name="response"><json:object name="data"><json:array name="keys"><json:string>${h('x')}</json:string></json:array></json:object>` +
        '<json:string name="mount_type">kv</json:string></json:object>' +
        '<json:string name="time">2024-01-15T10:30:45.12Z</json:string><json:string name="type">response</json:string></json:object>\n',
    );
  });

  test('time uses RFC 3339 with trimmed fraction', () => {
    assert.equal(formatTime(new Date('2024-01-15T10:30:45.000Z')), '2024-01-15T10:30:45Z');
    assert.equal(formatTime(new Date('2024-01-15T10:30:45.100Z')), '2024-01-15T10:30:45.1Z');
    assert.equal(formatTime(new Date('2024-01-15T10:30:45.123Z')), '2024-01-15T10:30:45.123Z');
  });

  test('common options are validated', () => {
    assert.deepEqual(parseFormatConfig({}), { format: 'json', prefix: '', hmacAccessor: true, logRaw: false, elideListResponses: false });
    assert.deepEqual(parseFormatConfig({ format: 'jsonx', hmac_accessor: 'F', log_raw: '1', elide_list_responses: 'True' }), {
      format: 'jsonx',
      prefix: '',
      hmacAccessor: false,
      logRaw: true,
      elideListResponses: true,
    });
    assert.throws(() => parseFormatConfig({ format: 'xml' }), { status: 400, message: 'invalid option "format" "xml": use "json" or "jsonx"' });
    assert.throws(() => parseFormatConfig({ log_raw: 'maybe' }), { status: 400, message: 'invalid option "log_raw" "maybe": expected "true" or "false"' });
    assert.throws(() => parseFormatConfig({ hmac_accessor: 'yes' }), { status: 400, message: 'invalid option "hmac_accessor" "yes": expected "true" or "false"' });
    // Names of Object.prototype members are not booleans either.
    assert.throws(() => parseFormatConfig({ log_raw: 'constructor' }), { status: 400, message: 'invalid option "log_raw" "constructor": expected "true" or "false"' });
    assert.throws(() => parseFormatConfig({ elide_list_responses: 'toString' }), { status: 400, message: 'invalid option "elide_list_responses" "toString": expected "true" or "false"' });
  });
  test('request data hashed once per request', () => {
    let hashes = 0;
    const counting = new (class extends AuditHasher {
      override hash(value: string): string {
        hashes += 1;
        return super.hash(value);
      }
    })(Buffer.alloc(32, 7));
    const input = sampleInput({ tokenEntry: undefined, token: undefined, data: { password: 'sent-once', list: ['a', 'b'] } });

    const request = buildRequestEntry(input, counting, JSON_CONFIG, NOW);
    const afterRequest = hashes;
    const response = buildResponseEntry({ ...input, response: { data: { ok: true } } }, counting, JSON_CONFIG, NOW);

    assert.equal(afterRequest, 3);
    assert.equal(hashes, 3, 'the response entry reuses the request entry hashes');
    assert.deepEqual(response.request.data, request.request.data);
    assert.deepEqual(request.request.data, { password: h('sent-once'), list: [h('a'), h('b')] });
  });

  test('time cache keeps distinct milliseconds apart', () => {
    assert.equal(formatTime(new Date('2024-01-15T10:30:45.120Z')), '2024-01-15T10:30:45.12Z');
    assert.equal(formatTime(new Date('2024-01-15T10:30:45.120Z')), '2024-01-15T10:30:45.12Z');
    assert.equal(formatTime(new Date('2024-01-15T10:30:46.000Z')), '2024-01-15T10:30:46Z');
    assert.equal(formatTime(new Date('2024-01-15T10:30:46.001Z')), '2024-01-15T10:30:46.001Z');
  });
});
