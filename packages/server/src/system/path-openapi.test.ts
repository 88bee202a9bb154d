import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expandPattern } from '@coffer/sdk';
import type { RunningServer } from '../server.js';
import { api, startDevServer } from '../testing/api-client.js';

const TOKEN = 'root-test-token';

test('pattern expansion names captures and expands optional groups', () => {
  assert.deepEqual(expandPattern('data/(?<path>.*[^/])'), ['data/{path}']);
  assert.deepEqual(expandPattern('mounts/?'), ['mounts']);
  assert.deepEqual(expandPattern('tools/random(?:/(?<urlsource>platform|seal|all))?(?:/(?<urlbytes>[^/]+))?').sort(), [
    'tools/random',
    'tools/random/{urlbytes}',
    'tools/random/{urlsource}',
    'tools/random/{urlsource}/{urlbytes}',
  ]);
});

describe('sys/internal/specs/openapi', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer(TOKEN);
  });
  after(() => server.close());

  test('documents system and mounted paths', async () => {
    const response = await api(server, 'GET', 'sys/internal/specs/openapi', { token: TOKEN });
    assert.equal(response.status, 200);
    assert.equal(response.body.openapi, '3.0.2');
    const paths = response.body.paths;
    assert.ok(paths['/secret/data/{path}'].get !== undefined, 'kv v2 read');
    assert.ok(paths['/secret/data/{path}'].post !== undefined, 'kv v2 write');
    assert.deepEqual(paths['/secret/data/{path}'].parameters[0].name, 'path');
    assert.ok(paths['/sys/tools/hash'].post.requestBody !== undefined);
    const schemaName = paths['/sys/tools/hash'].post.requestBody.content['application/json'].schema.$ref.split('/').pop();
    assert.deepEqual(response.body.components.schemas[schemaName].required, ['input']);
    assert.ok(paths['/auth/token/create'].post !== undefined);
  });
});
