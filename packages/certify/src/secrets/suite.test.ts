import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { runChecks } from '../check.js';
import { CofferHttp } from '../http.js';
import { secretsChecks } from './suite.js';

/**
 * A server that returns fixed help texts, so the help check can be tried
 * on well-formed and malformed help without an engine.
 */
describe('secrets help check', () => {
  let server: Server;
  let http: CofferHttp;
  const helpByPath: Record<string, string> = {
    '/v1/demo/good': '## Store an item.\n\nWrites the item.\n\n## PARAMETERS\n\nvalue (string)\n    The value.',
    '/v1/demo/nosynopsis': '## \n\nWrites the item.',
    '/v1/demo/nodescription': '## Store an item.\n\n',
    '/v1/demo/nofield': '## Store an item.\n\nWrites the item.\n\n## PARAMETERS\n\nname (string)\n    The name.\n\nvalue (string)\n    \n',
  };

  before(async () => {
    server = createServer((request, response) => {
      const help = helpByPath[new URL(request.url ?? '/', 'http://x').pathname];
      response.writeHead(help === undefined ? 404 : 200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(help === undefined ? { errors: [] } : { data: { help } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    http = new CofferHttp(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'token');
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function helpResult(path: string) {
    const help = secretsChecks.find((check) => check.id === 'help')!;
    const result = await runChecks('secrets', 'demo', [help], { http, mount: 'demo', description: { write_path: path, write_data: {} } });
    return result.results[0]!;
  }

  test('complete help passes', async () => {
    assert.equal((await helpResult('good')).status, 'passed');
  });

  test('empty synopsis fails', async () => {
    assert.deepEqual(await helpResult('nosynopsis').then((check) => [check.status, check.message]), ['failed', 'path "nosynopsis" has no help synopsis; set helpSynopsis']);
  });

  test('empty description fails', async () => {
    assert.deepEqual(await helpResult('nodescription').then((check) => [check.status, check.message]), ['failed', 'path "nodescription" has no help description; set helpDescription']);
  });

  test('field without description fails', async () => {
    assert.deepEqual(await helpResult('nofield').then((check) => [check.status, check.message]), ['failed', 'path "nofield" has fields without a description: value']);
  });
});
