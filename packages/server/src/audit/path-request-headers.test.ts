import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer, startServerIn } from '../testing/api-client.js';
import { readEntries } from './test-support.js';

const ROOT = 'root-request-headers-test';
const BASE = 'sys/config/auditing/request-headers';

/**
 * Sends a request with node:http, which sends each value of a header given
 * as a list on a line of its own (fetch joins them into one line).
 */
function rawRequest(server: { address: string }, method: string, path: string, headers: Record<string, string | string[]>, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(`${server.address}/v1/${path}`, { method, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text === '' ? null : JSON.parse(text) }));
    });
    sent.on('error', reject);
    sent.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Returns the request and response entries of the request with the given path and operation. */
function entriesFor(entries: any[], path: string, operation: string): { request: any; response: any } {
  const matching = entries.filter((entry) => entry.request.path === path && entry.request.operation === operation);
  assert.equal(matching.length, 2, `one request and one response entry for ${operation} ${path}`);
  return { request: matching.find((entry) => entry.type === 'request'), response: matching.find((entry) => entry.type === 'response') };
}

describe('sys/config/auditing/request-headers', () => {
  let server: RunningServer;
  let directory: string;

  before(async () => {
    server = await startDevServer(ROOT);
    directory = await mkdtemp(join(tmpdir(), 'coffer-request-headers-'));
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('add, read, list, update and delete', async () => {
    const empty = await api(server, 'GET', BASE, { token: ROOT });
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body.data, { headers: {} });

    assert.equal((await api(server, 'PUT', `${BASE}/X-Forwarded-For`, { token: ROOT, body: { hmac: true } })).status, 204);
    const all = await api(server, 'GET', BASE, { token: ROOT });
    assert.deepEqual(all.body.data, { headers: { 'x-forwarded-for': { hmac: true } } });
    for (const listed of [await api(server, 'LIST', BASE, { token: ROOT }), await api(server, 'GET', `${BASE}?list=true`, { token: ROOT })]) {
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.data, { headers: { 'x-forwarded-for': { hmac: true } } });
    }

    // Keyed by the name as asked, as in Vault.
    const single = await api(server, 'GET', `${BASE}/X-FORWARDED-FOR`, { token: ROOT });
    assert.equal(single.status, 200);
    assert.deepEqual(single.body.data, { 'X-FORWARDED-FOR': { hmac: true } });

    // POST works as PUT, and another case of the name updates the same header.
    assert.equal((await api(server, 'POST', `${BASE}/x-forwarded-for`, { token: ROOT, body: { hmac: false } })).status, 204);
    assert.deepEqual((await api(server, 'GET', BASE, { token: ROOT })).body.data, { headers: { 'x-forwarded-for': { hmac: false } } });

    // Without hmac, false, as in Vault.
    assert.equal((await api(server, 'PUT', `${BASE}/X-Plain`, { token: ROOT, body: {} })).status, 204);
    assert.deepEqual((await api(server, 'GET', `${BASE}/x-plain`, { token: ROOT })).body.data, { 'x-plain': { hmac: false } });

    assert.equal((await api(server, 'DELETE', `${BASE}/X-Forwarded-FOR`, { token: ROOT })).status, 204);
    assert.equal((await api(server, 'DELETE', `${BASE}/X-Plain`, { token: ROOT })).status, 204);
    const deleted = await api(server, 'GET', `${BASE}/X-Forwarded-For`, { token: ROOT });
    assert.equal(deleted.status, 400);
    assert.deepEqual(deleted.body, { errors: ['Could not find header in config'] });
    assert.deepEqual((await api(server, 'GET', BASE, { token: ROOT })).body.data, { headers: {} });
    // Deleting a header that is not configured is not an error, as in Vault.
    assert.equal((await api(server, 'DELETE', `${BASE}/X-Never`, { token: ROOT })).status, 204);
  });

  test('hmac takes Go booleans', async () => {
    const cases: [unknown, boolean][] = [['T', true], ['True', true], ['1', true], [1, true], ['F', false], ['FALSE', false], ['0', false], [0, false], [false, false]];
    for (const [hmac, expected] of cases) {
      const set = await api(server, 'PUT', `${BASE}/X-Go-Bool`, { token: ROOT, body: { hmac } });
      assert.equal(set.status, 204, JSON.stringify(hmac));
      assert.deepEqual((await api(server, 'GET', `${BASE}/X-Go-Bool`, { token: ROOT })).body.data, { 'X-Go-Bool': { hmac: expected } }, JSON.stringify(hmac));
    }
    await api(server, 'DELETE', `${BASE}/X-Go-Bool`, { token: ROOT });
  });

  test('bad input rejected, nothing changed', async () => {
    await api(server, 'PUT', `${BASE}/X-Kept`, { token: ROOT, body: { hmac: true } });
    const before = (await api(server, 'GET', BASE, { token: ROOT })).body.data;

    const cases: { path: string; body?: unknown; method?: string; field: string; problem: RegExp }[] = [
      { path: `${BASE}/X-Kept`, body: { hmac: 'maybe' }, field: 'hmac', problem: /expected a boolean \(true or false\), got "maybe"/ },
      { path: `${BASE}/X-New`, body: { hmac: 'yes' }, field: 'hmac', problem: /got "yes"/ },
      { path: `${BASE}/X-New`, body: { hmac: '' }, field: 'hmac', problem: /got ""/ },
      { path: `${BASE}/X-New`, body: { hmac: 2 }, field: 'hmac', problem: /got number 2/ },
      { path: `${BASE}/X-New`, body: { hmac: { value: true } }, field: 'hmac', problem: /got an object/ },
      { path: `${BASE}/X-New`, body: { hmac: [true] }, field: 'hmac', problem: /got an array/ },
      { path: `${BASE}/`, body: { hmac: true }, field: 'header', problem: /the header name is empty/ },
      { path: BASE, body: { hmac: true }, field: 'header', problem: /the header name is empty/ },
      { path: `${BASE}/`, method: 'DELETE', field: 'header', problem: /the header name is empty/ },
      { path: `${BASE}/X%20Spaced`, body: { hmac: true }, field: 'header', problem: /"X Spaced" is not an HTTP header name/ },
      { path: `${BASE}/X-New`, body: { hmac: true, hamc: true }, field: 'hamc', problem: /unknown field/ },
    ];
    for (const { path, body, method, field, problem } of cases) {
      const answer = await api(server, method ?? 'PUT', path, { token: ROOT, ...(body === undefined ? {} : { body }) });
      const label = `${method ?? 'PUT'} ${path} ${JSON.stringify(body)}`;
      assert.equal(answer.status, 400, label);
      assert.equal(answer.body.errors.length, 1, label);
      assert.ok(answer.body.errors[0].includes(`"${field}"`), `${label}: ${answer.body.errors[0]}`);
      assert.match(answer.body.errors[0], problem, label);
    }
    assert.deepEqual((await api(server, 'GET', BASE, { token: ROOT })).body.data, before);
    assert.deepEqual(before, { headers: { 'x-kept': { hmac: true } } });
    await api(server, 'DELETE', `${BASE}/X-Kept`, { token: ROOT });
  });

  test('X-Vault-Token gets a warning', async () => {
    const set = await api(server, 'PUT', `${BASE}/X-Vault-Token`, { token: ROOT, body: { hmac: true } });
    assert.equal(set.status, 200);
    assert.match(set.body.warnings[0], /never recorded/);
    await api(server, 'DELETE', `${BASE}/X-Vault-Token`, { token: ROOT });
  });

  test('every operation needs sudo', async () => {
    const policies = {
      'hdr-no-sudo': 'path "sys/config/auditing/*" { capabilities = ["create", "read", "update", "delete", "list"] }',
      'hdr-sudo': 'path "sys/config/auditing/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }',
      'hdr-read-sudo': 'path "sys/config/auditing/*" { capabilities = ["read", "list", "sudo"] }',
    };
    const tokens: Record<string, string> = {};
    for (const [name, policy] of Object.entries(policies)) {
      assert.equal((await api(server, 'PUT', `sys/policies/acl/${name}`, { token: ROOT, body: { policy } })).status, 204);
      tokens[name] = (await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: [name] } })).body.auth.client_token;
    }
    const plain = (await api(server, 'POST', 'auth/token/create', { token: ROOT, body: { policies: ['default'] } })).body.auth.client_token;
    await api(server, 'PUT', `${BASE}/X-Guarded`, { token: ROOT, body: { hmac: true } });

    const attempts = (token: string) => [
      api(server, 'GET', BASE, { token }),
      api(server, 'LIST', BASE, { token }),
      api(server, 'GET', `${BASE}/X-Guarded`, { token }),
      api(server, 'PUT', `${BASE}/X-Other`, { token, body: { hmac: false } }),
      api(server, 'DELETE', `${BASE}/X-Other`, { token }),
    ];
    for (const token of [plain, tokens['hdr-no-sudo']]) {
      const statuses = (await Promise.all(attempts(token))).map((answer) => answer.status);
      assert.deepEqual(statuses, [403, 403, 403, 403, 403]);
    }
    const readOnly = (await Promise.all(attempts(tokens['hdr-read-sudo']))).map((answer) => answer.status);
    assert.deepEqual(readOnly, [200, 200, 200, 403, 403]);
    const allowed = (await Promise.all(attempts(tokens['hdr-sudo']).slice(0, 4))).map((answer) => answer.status);
    assert.deepEqual(allowed, [200, 200, 200, 204]);
    assert.equal((await api(server, 'DELETE', `${BASE}/X-Other`, { token: tokens['hdr-sudo'] })).status, 204);

    // Nothing the rejected tokens tried changed the configuration.
    assert.deepEqual((await api(server, 'GET', BASE, { token: ROOT })).body.data, { headers: { 'x-guarded': { hmac: true } } });
    await api(server, 'DELETE', `${BASE}/X-Guarded`, { token: ROOT });
  });

  test('file devices record configured headers', async () => {
    const firstLog = join(directory, 'first.log');
    const secondLog = join(directory, 'second.log');
    assert.equal((await api(server, 'PUT', 'sys/audit/hdr-first', { token: ROOT, body: { type: 'file', options: { file_path: firstLog } } })).status, 204);
    assert.equal((await api(server, 'PUT', 'sys/audit/hdr-second', { token: ROOT, body: { type: 'file', options: { file_path: secondLog } } })).status, 204);
    try {
      await api(server, 'PUT', `${BASE}/X-Forwarded-For`, { token: ROOT, body: { hmac: false } });
      await api(server, 'PUT', `${BASE}/x-request-ID`, { token: ROOT, body: { hmac: true } });
      await api(server, 'PUT', `${BASE}/X-Vault-Token`, { token: ROOT, body: { hmac: true } });
      await api(server, 'PUT', `${BASE}/Authorization`, { token: ROOT, body: { hmac: false } });

      // Two lines of one header, names in other cases than configured.
      const write = await rawRequest(server, 'POST', 'secret/data/hdr', {
        'X-Vault-Token': ROOT,
        'x-FORWARDED-for': ['10.1.1.1', '10.2.2.2, 10.3.3.3'],
        'X-REQUEST-ID': ['req-secret-1', 'req-secret-2'],
        'Content-Type': 'application/json',
      }, { data: { value: 'kept' } });
      assert.equal(write.status, 200, JSON.stringify(write.body));
      // The token is in Authorization: Bearer, which is left out like X-Vault-Token.
      const read = await rawRequest(server, 'GET', 'secret/data/hdr', { Authorization: `Bearer ${ROOT}`, 'X-Request-Id': 'req-secret-3' });
      assert.equal(read.status, 200, 'read authorized by the bearer token');
      assert.equal(read.body.data.data.value, 'kept');
      // No configured header, no headers block.
      await api(server, 'GET', 'sys/mounts', { token: ROOT });

      const hashes: Record<string, Record<string, string>> = {};
      for (const device of ['hdr-first', 'hdr-second']) {
        hashes[device] = {};
        for (const value of ['req-secret-1', 'req-secret-2', 'req-secret-3']) {
          hashes[device][value] = (await api(server, 'POST', `sys/audit-hash/${device}`, { token: ROOT, body: { input: value } })).body.data.hash;
        }
      }
      assert.notEqual(hashes['hdr-first']['req-secret-1'], hashes['hdr-second']['req-secret-1'], 'each device has its own salt');

      for (const [device, log] of [['hdr-first', firstLog], ['hdr-second', secondLog]] as const) {
        const text = await readFile(log, 'utf8');
        assert.equal(text.includes('req-secret'), false, `${device}: no hmac header value in clear`);
        assert.equal(text.includes(ROOT), false, `${device}: no token in clear`);
        const entries = await readEntries(log);

        const written = entriesFor(entries, 'secret/data/hdr', 'create');
        const expected = {
          'x-forwarded-for': ['10.1.1.1', '10.2.2.2, 10.3.3.3'],
          'x-request-id': [hashes[device]['req-secret-1'], hashes[device]['req-secret-2']],
        };
        assert.deepEqual(written.request.request.headers, expected, `${device}: request entry`);
        assert.deepEqual(written.response.request.headers, expected, `${device}: response entry`);

        const bearer = entriesFor(entries, 'secret/data/hdr', 'read');
        assert.deepEqual(bearer.request.request.headers, { 'x-request-id': [hashes[device]['req-secret-3']] }, `${device}: no authorization header`);
        assert.deepEqual(bearer.response.request.headers, { 'x-request-id': [hashes[device]['req-secret-3']] });

        const mounts = entriesFor(entries, 'sys/mounts', 'read');
        assert.equal('headers' in mounts.request.request, false);
        assert.equal('headers' in mounts.response.request, false);
      }

      // A deleted header is no longer recorded.
      await api(server, 'DELETE', `${BASE}/X-Request-Id`, { token: ROOT });
      await rawRequest(server, 'GET', 'sys/auth', { 'X-Vault-Token': ROOT, 'X-Request-Id': 'after-delete', 'X-Forwarded-For': '10.9.9.9' });
      const listed = entriesFor(await readEntries(firstLog), 'sys/auth', 'read');
      assert.deepEqual(listed.request.request.headers, { 'x-forwarded-for': ['10.9.9.9'] });
    } finally {
      for (const name of ['X-Forwarded-For', 'X-Request-Id', 'X-Vault-Token', 'Authorization']) await api(server, 'DELETE', `${BASE}/${name}`, { token: ROOT });
      await api(server, 'DELETE', 'sys/audit/hdr-first', { token: ROOT });
      await api(server, 'DELETE', 'sys/audit/hdr-second', { token: ROOT });
    }
  });

  test('rejected requests record headers', async () => {
    const log = join(directory, 'refused.log');
    await api(server, 'PUT', 'sys/audit/hdr-refused', { token: ROOT, body: { type: 'file', options: { file_path: log } } });
    await api(server, 'PUT', `${BASE}/X-Forwarded-For`, { token: ROOT, body: { hmac: false } });
    try {
      const rejected = await rawRequest(server, 'GET', 'secret/data/anything', { 'X-Vault-Token': 'not-a-token', 'X-Forwarded-For': '10.4.4.4' });
      assert.equal(rejected.status, 403);
      const entry = (await readEntries(log)).find((candidate) => candidate.request.path === 'secret/data/anything');
      assert.equal(entry.error, 'permission denied');
      assert.deepEqual(entry.request.headers, { 'x-forwarded-for': ['10.4.4.4'] });
    } finally {
      await api(server, 'DELETE', `${BASE}/X-Forwarded-For`, { token: ROOT });
      await api(server, 'DELETE', 'sys/audit/hdr-refused', { token: ROOT });
    }
  });
});

/** Lists every file below `folder`, at any depth. */
async function filesBelow(folder: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...(await filesBelow(path)));
    else files.push(path);
  }
  return files;
}

test('headers survive seal and restart', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'coffer-request-headers-restart-'));
  const storage = 'storage "file" {\n  path = "$DIR/data"\n}';
  let server: RunningServer | undefined;
  try {
    server = await startServerIn(directory, storage);
    const init = await api(server, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    const root: string = init.body.root_token;
    const key: string = init.body.keys[0];
    await api(server, 'PUT', 'sys/unseal', { body: { key } });
    const log = join(directory, 'audit.log');
    assert.equal((await api(server, 'PUT', 'sys/audit/file', { token: root, body: { type: 'file', options: { file_path: log } } })).status, 204);
    assert.equal((await api(server, 'PUT', `${BASE}/X-Persisted-Header`, { token: root, body: { hmac: 'false' } })).status, 204);
    assert.equal((await api(server, 'PUT', `${BASE}/X-Hashed-Header`, { token: root, body: { hmac: 'true' } })).status, 204);
    const configured = { headers: { 'x-hashed-header': { hmac: true }, 'x-persisted-header': { hmac: false } } };

    assert.equal((await api(server, 'PUT', 'sys/seal', { token: root })).status, 204);
    assert.equal((await api(server, 'GET', BASE, { token: root })).status, 503);
    await api(server, 'PUT', 'sys/unseal', { body: { key } });
    assert.deepEqual((await api(server, 'GET', BASE, { token: root })).body.data, configured);
    // Loaded at unseal: entries record the headers again.
    await rawRequest(server, 'GET', 'sys/mounts', { 'X-Vault-Token': root, 'X-Persisted-Header': 'after-unseal' });
    const unsealed = entriesFor(await readEntries(log), 'sys/mounts', 'read');
    assert.deepEqual(unsealed.response.request.headers, { 'x-persisted-header': ['after-unseal'] });

    await server.close();
    server = await startServerIn(directory, storage);
    await api(server, 'PUT', 'sys/unseal', { body: { key } });
    assert.deepEqual((await api(server, 'GET', BASE, { token: root })).body.data, configured);
    await rawRequest(server, 'GET', 'sys/auth', { 'X-Vault-Token': root, 'X-Hashed-Header': 'after-restart' });
    const hash = (await api(server, 'POST', 'sys/audit-hash/file', { token: root, body: { input: 'after-restart' } })).body.data.hash;
    const restarted = entriesFor(await readEntries(log), 'sys/auth', 'read');
    assert.deepEqual(restarted.request.request.headers, { 'x-hashed-header': [hash] });

    // The stored configuration is ciphertext.
    for (const file of await filesBelow(join(directory, 'data'))) {
      assert.equal((await readFile(file)).includes('x-persisted-header'), false, file);
    }
  } finally {
    await server?.close();
    await rm(directory, { recursive: true, force: true });
  }
});
