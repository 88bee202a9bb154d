import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Request } from '../logical.js';
import type { Storage } from '../storage.js';
import { Backend } from './backend.js';
import type { FieldData } from './field-data.js';
import type { FieldMap } from './field.js';
import { definePath, literalPrefix, nameSegment } from './path.js';

const NO_STORAGE: Storage = {
  get: async () => null,
  put: async () => {},
  delete: async () => {},
  list: async () => [],
};

/** Creates a backend whose `items/:name` path records the fields its existence check and handlers receive. */
function createBackend(seen: Array<{ step: string; name: string; fields: FieldData<FieldMap> }>): Backend {
  const record = (step: string) => async (_request: Request, fields: FieldData<FieldMap>) => {
    seen.push({ step, name: fields.get('name') as string, fields });
    return { data: { step, name: fields.get('name'), size: fields.get('size') } };
  };
  return new Backend({
    backendType: 'logical',
    help: 'Stores test items.',
    paths: [
      definePath({
        pattern: `items/${nameSegment('name')}`,
        fields: {
          name: { type: 'string', description: 'Item name.' },
          size: { type: 'int', description: 'Item size.' },
        },
        existenceCheck: async (request, fields) => {
          await record('check')(request, fields);
          return fields.get('name') === 'existing';
        },
        operations: { create: record('create'), update: record('update') },
        helpSynopsis: 'Store an item.',
        helpDescription: 'Stores an item under its name.',
      }),
      definePath({
        pattern: `plain/${nameSegment('name')}`,
        fields: { name: { type: 'string', description: 'Item name.' } },
        operations: { update: async (_request, fields) => ({ data: { plain: fields.get('name') } }) },
        helpSynopsis: 'Store a plain item.',
        helpDescription: 'Stores an item without an existence check.',
      }),
    ],
  });
}

function updateRequest(path: string, data: Record<string, unknown>): Request {
  return { id: 'request-1', operation: 'update', path, data, storage: NO_STORAGE, mountPoint: 'test/', mountType: 'test', clientToken: '', headers: {} };
}

describe('Backend after an existence check', () => {
  test('handler reuses the checked fields', async () => {
    const seen: Array<{ step: string; name: string; fields: FieldData<FieldMap> }> = [];
    const backend = createBackend(seen);
    const request = updateRequest('items/new', { size: '3' });

    assert.deepEqual(await backend.handleExistenceCheck(request), { checkFound: true, exists: false });
    request.operation = 'create';
    const response = await backend.handleRequest(request);

    assert.deepEqual(response?.data, { step: 'create', name: 'new', size: 3 });
    assert.deepEqual(
      seen.map((entry) => [entry.step, entry.name]),
      [
        ['check', 'new'],
        ['create', 'new'],
      ],
    );
    assert.equal(seen[1].fields, seen[0].fields);
  });

  test('changed data is parsed again', async () => {
    const seen: Array<{ step: string; name: string; fields: FieldData<FieldMap> }> = [];
    const backend = createBackend(seen);
    const request = updateRequest('items/existing', { size: '3' });

    assert.deepEqual(await backend.handleExistenceCheck(request), { checkFound: true, exists: true });
    request.data = { size: '9' };
    const response = await backend.handleRequest(request);

    assert.deepEqual(response?.data, { step: 'update', name: 'existing', size: 9 });
    assert.notEqual(seen[1].fields, seen[0].fields);
  });

  test('changed path is routed again', async () => {
    const seen: Array<{ step: string; name: string; fields: FieldData<FieldMap> }> = [];
    const backend = createBackend(seen);
    const request = updateRequest('items/existing', {});

    await backend.handleExistenceCheck(request);
    request.path = 'plain/other';
    const response = await backend.handleRequest(request);

    assert.deepEqual(response?.data, { plain: 'other' });
  });

  test('path without a check still routes once per call', async () => {
    const backend = createBackend([]);
    const request = updateRequest('plain/one', {});

    assert.deepEqual(await backend.handleExistenceCheck(request), { checkFound: false, exists: false });
    assert.deepEqual((await backend.handleRequest(request))?.data, { plain: 'one' });
    // The check result is used once, so a second call routes on its own.
    assert.deepEqual((await backend.handleRequest(request))?.data, { plain: 'one' });
  });

  test('other backend parses checked request', async () => {
    const checking: Array<{ step: string; name: string; fields: FieldData<FieldMap> }> = [];
    const handling: Array<{ step: string; name: string; fields: FieldData<FieldMap> }> = [];
    const request = updateRequest('items/new', { size: '3' });

    await createBackend(checking).handleExistenceCheck(request);
    request.operation = 'create';
    await createBackend(handling).handleRequest(request);

    assert.deepEqual(handling.map((entry) => [entry.step, entry.name]), [['create', 'new']]);
    assert.notEqual(handling[0].fields, checking[0].fields);
  });

  test('frozen request handled without kept result', async () => {
    const seen: Array<{ step: string; name: string; fields: FieldData<FieldMap> }> = [];
    const backend = createBackend(seen);
    const request = Object.freeze(updateRequest('items/existing', { size: '4' }));

    assert.deepEqual(await backend.handleExistenceCheck(request), { checkFound: true, exists: true });
    assert.deepEqual((await backend.handleRequest(request))?.data, { step: 'update', name: 'existing', size: 4 });
    assert.notEqual(seen[1].fields, seen[0].fields);
  });

  test('request frozen after its check is handled', async () => {
    const seen: Array<{ step: string; name: string; fields: FieldData<FieldMap> }> = [];
    const backend = createBackend(seen);
    const request = updateRequest('items/existing', { size: '4' });

    await backend.handleExistenceCheck(request);
    Object.freeze(request);
    assert.deepEqual((await backend.handleRequest(request))?.data, { step: 'update', name: 'existing', size: 4 });
    // The kept result cannot be cleared from a frozen request, so each call parses again rather than use it twice.
    assert.deepEqual((await backend.handleRequest(request))?.data, { step: 'update', name: 'existing', size: 4 });
    assert.notEqual(seen[1].fields, seen[0].fields);
    assert.notEqual(seen[2].fields, seen[1].fields);
  });

  test('invalid field fails the check', async () => {
    const backend = createBackend([]);
    const request = updateRequest('items/new', { size: 'large' });

    await assert.rejects(backend.handleExistenceCheck(request), { status: 400, message: 'invalid field "size": expected an integer, got "large"' });
  });
});

describe('Backend routing', () => {
  /** Creates a backend whose paths return their own pattern and captures. */
  function routingBackend(patterns: string[]): Backend {
    return new Backend({
      backendType: 'logical',
      help: 'Routes test paths.',
      paths: patterns.map((pattern) =>
        definePath({
          pattern,
          fields: { name: { type: 'string', description: 'Name.' }, version: { type: 'string', description: 'Version.' } },
          operations: { update: async (_request, fields) => ({ data: { pattern, name: fields.get('name'), version: fields.getIfSet('version') } }) },
          helpSynopsis: 'Route a test path.',
          helpDescription: 'Returns the pattern that matched.',
        }),
      ),
    });
  }

  test('alternation matches either side', async () => {
    const backend = routingBackend(['first|second', 'x/.*']);

    assert.equal((await backend.handleRequest(updateRequest('first', {})))?.data?.pattern, 'first|second');
    assert.equal((await backend.handleRequest(updateRequest('second', {})))?.data?.pattern, 'first|second');
  });

  test('optional character before a quantifier', async () => {
    const backend = routingBackend(['keys/?', 'ab?c', 'xy{0,1}z', `items/${nameSegment('name')}`]);

    assert.equal((await backend.handleRequest(updateRequest('keys', {})))?.data?.pattern, 'keys/?');
    assert.equal((await backend.handleRequest(updateRequest('keys/', {})))?.data?.pattern, 'keys/?');
    assert.equal((await backend.handleRequest(updateRequest('ac', {})))?.data?.pattern, 'ab?c');
    assert.equal((await backend.handleRequest(updateRequest('xz', {})))?.data?.pattern, 'xy{0,1}z');
    assert.equal((await backend.handleRequest(updateRequest('items/a', {})))?.data?.name, 'a');
  });

  test('captures keep every named group', async () => {
    const backend = routingBackend([`export/${nameSegment('name')}(?:/(?<version>[^/]+))?`]);

    const withVersion = await backend.handleRequest(updateRequest('export/a/3', {}));
    assert.deepEqual(withVersion?.data, { pattern: `export/${nameSegment('name')}(?:/(?<version>[^/]+))?`, name: 'a', version: '3' });
    const withoutVersion = await backend.handleRequest(updateRequest('export/b', {}));
    assert.equal(withoutVersion?.data?.name, 'b');
    assert.equal(withoutVersion?.data?.version, undefined);
    // A body field named like a capture must match it.
    await assert.rejects(backend.handleRequest(updateRequest('export/b', { name: 'c' })), {
      status: 400,
      message: 'field "name" in the body does not match "b" in the path',
    });
    // A body field named like a group that took no part is dropped.
    const bodyVersion = await backend.handleRequest(updateRequest('export/b', { version: '7' }));
    assert.equal(bodyVersion?.data?.version, undefined);
  });

  test('unmatched path is unsupported', async () => {
    const backend = routingBackend(['keys/?']);

    await assert.rejects(backend.handleRequest(updateRequest('key', {})), { status: 404, code: 'COFFER_ERR_UNSUPPORTED_PATH', message: 'unsupported path "key"' });
  });
});

describe('literalPrefix', () => {
  test('prefixes of common patterns', () => {
    const cases: Array<[string, string]> = [
      ['config', 'config'],
      ['keys/?', 'keys'],
      [`encrypt/${nameSegment('name')}`, 'encrypt/'],
      ['metadata(?:/(?<path>.*))?', 'metadata'],
      ['.*', ''],
      ['a+b', 'a'],
      ['ab*', 'a'],
      ['ab{0,1}', 'a'],
      ['a\\.b', 'a'],
      ['first|second', ''],
      ['?', ''],
    ];
    for (const [pattern, expected] of cases) assert.equal(literalPrefix(pattern), expected, pattern);
  });
});

describe('Backend with ignoresUnknownFields', () => {
  function lenientBackend(answer: { data: Record<string, unknown> } | null): Backend {
    return new Backend({
      backendType: 'logical',
      help: 'Takes extra fields.',
      paths: [
        definePath({
          pattern: `mounts/${nameSegment('path')}`,
          fields: { path: { type: 'string', description: 'Mount path.' }, type: { type: 'string', description: 'Type.' } },
          ignoresUnknownFields: true,
          operations: { update: async () => (answer === null ? null : { data: { ...answer.data } }) },
          helpSynopsis: 'Enable a mount.',
          helpDescription: 'Enables a mount.',
        }),
      ],
    });
  }

  test('unknown fields become a warning', async () => {
    const response = await lenientBackend(null).handleRequest(updateRequest('mounts/kv', { type: 'kv', mount_point: 'kv', extra: 1 }));
    assert.deepEqual(response, { warnings: ['Endpoint ignored these unrecognized parameters: [mount_point extra]'] });
  });

  test('known fields give no warning', async () => {
    const response = await lenientBackend({ data: { ok: true } }).handleRequest(updateRequest('mounts/kv', { type: 'kv' }));
    assert.deepEqual(response, { data: { ok: true } });
  });

  test('ill-typed known fields still fail', async () => {
    await assert.rejects(lenientBackend(null).handleRequest(updateRequest('mounts/kv', { type: { nested: true }, mount_point: 'kv' })), {
      status: 400,
      message: 'invalid field "type": expected a string, got an object',
    });
  });
});
