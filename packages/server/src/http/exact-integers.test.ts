import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseJson, stringifyJson } from '@coffer/sdk';
import createClient from 'node-vault';
import { registerNodePlugin, startPluginTestServer, type PluginTestServer } from '../plugin/test-support.js';
import type { RunningServer } from '../server.js';
import { startDevServer } from '../testing/api-client.js';

const ROOT = 'exact-integers-root';
const BIG = '12345678901234567890';
const NEGATIVE = '-98765432109876543210';
const SECRET_TEXT = `{"id":${BIG},"neg":${NEGATIVE},"port":8080,"ratio":1.5,"name":"web"}`;
const SECRET = { id: BigInt(BIG), neg: BigInt(NEGATIVE), port: 8080, ratio: 1.5, name: 'web' };
const PYTHON = '/usr/bin/python3';
const HVAC_SCRIPT = fileURLToPath(new URL('../../fixtures/hvac_big_integers.py', import.meta.url));
const run = promisify(execFile);

/** Sends a request with a body of raw text and returns the status and the response text. */
async function send(server: RunningServer, method: string, path: string, body?: string, contentType = 'application/json'): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { 'X-Vault-Token': ROOT };
  if (body !== undefined) headers['Content-Type'] = contentType;
  const response = await fetch(`${server.address}/v1/${path}`, { method, headers, body });
  return { status: response.status, text: await response.text() };
}

/** Reads `path` and returns the exact parse of its response body. */
async function readExact(server: RunningServer, path: string): Promise<any> {
  const { status, text } = await send(server, 'GET', path);
  assert.equal(status, 200, text);
  return parseJson(text);
}

describe('integers past 2^53 over HTTP', () => {
  let server: RunningServer;

  before(async () => {
    server = await startDevServer(ROOT);
    const mounted = await send(server, 'POST', 'sys/mounts/kv1', '{"type":"kv","options":{"version":"1"}}');
    assert.equal(mounted.status, 204, mounted.text);
  });
  after(() => server.close());

  test('KV v2 round trip keeps digits', async () => {
    const written = await send(server, 'PUT', 'secret/data/big', `{"data":${SECRET_TEXT}}`);
    assert.equal(written.status, 200, written.text);

    const { text } = await send(server, 'GET', 'secret/data/big');
    assert.match(text, new RegExp(`"data":\\{"id":${BIG},"neg":${NEGATIVE},"port":8080,"ratio":1.5,"name":"web"\\}`));
    assert.deepStrictEqual((parseJson(text) as any).data.data, SECRET);
  });

  test('KV v2 patch keeps digits', async () => {
    await send(server, 'PUT', 'secret/data/patched', `{"data":${SECRET_TEXT}}`);
    const patched = await send(server, 'PATCH', 'secret/data/patched', '{"data":{"name":"api","more":-12345678901234567891}}', 'application/merge-patch+json');
    assert.equal(patched.status, 200, patched.text);

    const read = await readExact(server, 'secret/data/patched');
    assert.deepStrictEqual(read.data.data, { ...SECRET, name: 'api', more: -12345678901234567891n });
    assert.equal(read.data.metadata.version, 2);
  });

  test('KV v2 subkeys and metadata', async () => {
    await send(server, 'PUT', 'secret/data/keys', `{"data":{"nested":{"id":${BIG}}}}`);
    const subkeys = await readExact(server, 'secret/subkeys/keys');
    assert.deepStrictEqual(subkeys.data.subkeys, { nested: { id: null } });
    const metadata = await readExact(server, 'secret/metadata/keys');
    assert.equal(metadata.data.current_version, 1);
  });

  test('wrapped read keeps digits', async () => {
    assert.equal((await send(server, 'POST', 'secret/data/wrapped', `{"data":${SECRET_TEXT}}`)).status, 200);
    const wrapped = await fetch(`${server.address}/v1/secret/data/wrapped`, { headers: { 'X-Vault-Token': ROOT, 'X-Vault-Wrap-TTL': '5m' } });
    assert.equal(wrapped.status, 200);
    const token = (parseJson(await wrapped.text()) as any).wrap_info.token;
    const unwrapped = await send(server, 'POST', 'sys/wrapping/unwrap', JSON.stringify({ token }));
    assert.equal(unwrapped.status, 200, unwrapped.text);
    assert.deepStrictEqual((parseJson(unwrapped.text) as any).data.data, SECRET);
  });

  test('KV v1 round trip keeps digits', async () => {
    const written = await send(server, 'PUT', 'kv1/big', SECRET_TEXT);
    assert.equal(written.status, 204, written.text);

    const read = await readExact(server, 'kv1/big');
    assert.deepStrictEqual(read.data, SECRET);
  });

  test('cubbyhole round trip keeps digits', async () => {
    const written = await send(server, 'PUT', 'cubbyhole/big', SECRET_TEXT);
    assert.equal(written.status, 204, written.text);

    const read = await readExact(server, 'cubbyhole/big');
    assert.deepStrictEqual(read.data, SECRET);
  });

  test('ordinary bodies keep their numbers', async () => {
    const text = '{"data":{"max":9007199254740991,"min":-9007199254740991,"float":12345678901234567890.5,"exp":1e21,"quoted":"12345678901234567890"}}';
    await send(server, 'PUT', 'secret/data/ordinary', text);

    const { text: read } = await send(server, 'GET', 'secret/data/ordinary');
    const data = (JSON.parse(read) as any).data.data;
    assert.deepStrictEqual(data, { max: 9007199254740991, min: -9007199254740991, float: 12345678901234567000, exp: 1e21, quoted: '12345678901234567890' });
    assert.match(read, /"data":\{"max":9007199254740991,"min":-9007199254740991,"float":12345678901234567000,"exp":1e\+21,"quoted":"12345678901234567890"\}/);
  });

  test('typed int field rejects an unsafe integer', async () => {
    const rejected = await send(server, 'PUT', 'secret/config', `{"max_versions":${BIG}}`);
    assert.equal(rejected.status, 400);
    assert.deepStrictEqual(JSON.parse(rejected.text), { errors: [`invalid field "max_versions": the number ${BIG} is too large: expected an integer from -9007199254740991 to 9007199254740991`] });
  });

  test('node-vault reads the digits back', async () => {
    // node-vault takes its transport from the caller, so it can parse and serialize with exact JSON.
    const transport = {
      defaults: () => async (options: { method: string; uri: string; headers?: Record<string, string>; json?: unknown }) => {
        const body = typeof options.json === 'object' ? stringifyJson(options.json) : undefined;
        const response = await fetch(options.uri, { method: options.method, headers: { ...options.headers, 'Content-Type': 'application/json' }, body });
        const text = await response.text();
        return { statusCode: response.status, body: text === '' ? undefined : parseJson(text), request: { path: new URL(options.uri).pathname } };
      },
    };
    const vault = createClient({ apiVersion: 'v1', endpoint: server.address, token: ROOT, 'request-promise': transport } as any);

    await vault.write('secret/data/node-vault', { data: SECRET });
    const read = await vault.read('secret/data/node-vault');
    assert.deepStrictEqual(read.data.data, SECRET);
    await vault.write('kv1/node-vault', SECRET);
    assert.deepStrictEqual((await vault.read('kv1/node-vault')).data, SECRET);
  });

  test('hvac reads the digits back', { skip: existsSync(PYTHON) ? false : 'no /usr/bin/python3 on this machine' }, async () => {
    const { stdout } = await run(PYTHON, [HVAC_SCRIPT, server.address, ROOT], { timeout: 60_000 });
    assert.deepStrictEqual(parseJson(stdout), {
      v2: { id: BigInt(BIG), neg: BigInt(NEGATIVE) },
      v2_patched: { id: BigInt(BIG), neg: BigInt(NEGATIVE), name: 'patched' },
      v1: { id: BigInt(BIG), neg: BigInt(NEGATIVE) },
    });
  });
});

describe('integers past 2^53 in the audit log', () => {
  let server: RunningServer;
  let directory: string;

  before(async () => {
    server = await startDevServer(ROOT);
    directory = await mkdtemp(join(tmpdir(), 'coffer-exact-audit-'));
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('hashed entry has the HMAC of the digits, raw entry the digits', async () => {
    const hashedLog = join(directory, 'hashed.log');
    const rawLog = join(directory, 'raw.log');
    assert.equal((await send(server, 'PUT', 'sys/audit/hashed', stringifyJson({ type: 'file', options: { file_path: hashedLog } }))).status, 204);
    assert.equal((await send(server, 'PUT', 'sys/audit/raw', stringifyJson({ type: 'file', options: { file_path: rawLog, log_raw: 'true' } }))).status, 204);

    const written = await send(server, 'PUT', 'secret/data/audited', `{"data":{"id":${BIG}}}`);
    assert.equal(written.status, 200, written.text);
    const hashed = await send(server, 'POST', 'sys/audit-hash/hashed', `{"input":"${BIG}"}`);
    const hash = (JSON.parse(hashed.text) as any).data.hash as string;
    assert.match(hash, /^hmac-sha256:[0-9a-f]{64}$/);

    const hashedEntry = (await readFile(hashedLog, 'utf8')).split('\n').find((line) => line.includes('"path":"secret/data/audited"') && line.includes('"type":"request"'));
    assert.ok(hashedEntry);
    assert.deepStrictEqual((JSON.parse(hashedEntry) as any).request.data, { data: { id: hash } });

    const rawEntry = (await readFile(rawLog, 'utf8')).split('\n').find((line) => line.includes('"path":"secret/data/audited"') && line.includes('"type":"request"'));
    assert.ok(rawEntry);
    assert.match(rawEntry, new RegExp(`"data":\\{"data":\\{"id":${BIG}\\}\\}`));
  });
});

describe('integers past 2^53 to an external plugin', () => {
  let server: PluginTestServer;

  before(async () => {
    server = await startPluginTestServer(ROOT);
    await registerNodePlugin(server, 'secret', 'notes', 'secrets');
    const mounted = await send(server, 'POST', 'sys/mounts/notes', '{"type":"notes"}');
    assert.equal(mounted.status, 204, mounted.text);
  });
  after(() => server.close());

  test('request data reaches the plugin as digits', async () => {
    // The plugin's "text" field is a string, so it stores the digits it receives.
    const written = await send(server, 'PUT', 'notes/notes/big', `{"text":${BIG}}`);
    assert.equal(written.status, 204, written.text);

    const read = await readExact(server, 'notes/notes/big');
    assert.equal(read.data.text, BIG);
  });
});
