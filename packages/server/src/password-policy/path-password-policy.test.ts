import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../server.js';
import { api, startDevServer, type ApiResponse } from '../testing/api-client.js';

const ROOT_TOKEN = 'root-password-policy-test';

const ALNUM_POLICY = `length = 24
rule "charset" {
  charset = "abcdefghijklmnopqrstuvwxyz"
  min-chars = 2
}
rule "charset" {
  charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
  min-chars = 2
}
rule "charset" {
  charset = "0123456789"
  min-chars = 3
}
rule "charset" {
  charset = "!@#"
  min-chars = 1
}
`;

describe('sys/policies/password', () => {
  let server: RunningServer;
  const call = (method: string, path: string, body?: unknown, token = ROOT_TOKEN): Promise<ApiResponse> => api(server, method, path, { token, body });

  /** Reads every stored password policy entry, decrypted, by storage key. */
  async function storedEntries(): Promise<Map<string, string>> {
    const entries = new Map<string, string>();
    for (const key of await server.core.barrier.list('sys/password_policy/')) {
      entries.set(key, (await server.core.barrier.get(`sys/password_policy/${key}`))?.value.toString('utf8') ?? '');
    }
    return entries;
  }

  /** Asserts that a request fails with `status` and exactly `message`, and that no password policy changed. */
  async function assertRejected(method: string, path: string, body: unknown, status: number, message: string): Promise<void> {
    const before = await storedEntries();
    const response = await call(method, path, body);
    assert.equal(response.status, status, JSON.stringify(response.body));
    assert.deepEqual(response.body, { errors: [message] });
    assert.deepEqual(await storedEntries(), before);
  }

  before(async () => {
    server = await startDevServer(ROOT_TOKEN);
  });
  after(async () => {
    await server.close();
  });

  test('empty list is 404', async () => {
    const listed = await call('LIST', 'sys/policies/password');
    assert.equal(listed.status, 404);
    assert.deepEqual(listed.body, { errors: [] });
  });

  test('write, read, list, delete', async () => {
    assert.equal((await call('PUT', 'sys/policies/password/alnum', { policy: ALNUM_POLICY })).status, 204);
    assert.equal((await call('POST', 'sys/policies/password/Second', { policy: 'length = 8\nrule "charset" {\n  charset = "xyz"\n}\n' })).status, 204);

    const read = await call('GET', 'sys/policies/password/alnum');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data, { policy: ALNUM_POLICY });
    assert.deepEqual((await storedEntries()).get('alnum'), JSON.stringify({ policy: ALNUM_POLICY }));

    const listed = await call('LIST', 'sys/policies/password');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.data, { keys: ['Second', 'alnum'] });
    assert.deepEqual((await call('GET', 'sys/policies/password?list=true')).body.data, { keys: ['Second', 'alnum'] });

    assert.equal((await call('DELETE', 'sys/policies/password/Second')).status, 204);
    assert.equal((await call('GET', 'sys/policies/password/Second')).status, 404);
    assert.deepEqual((await call('LIST', 'sys/policies/password')).body.data, { keys: ['alnum'] });
    assert.equal((await call('DELETE', 'sys/policies/password/never-written')).status, 204);
  });

  test('base64 policy is stored decoded', async () => {
    const text = 'length = 10\nrule "charset" {\n  charset = "ab"\n}\n';
    assert.equal((await call('PUT', 'sys/policies/password/encoded', { policy: Buffer.from(text).toString('base64') })).status, 204);
    assert.deepEqual((await call('GET', 'sys/policies/password/encoded')).body.data, { policy: text });
    const generated = await call('GET', 'sys/policies/password/encoded/generate');
    assert.match(generated.body.data.password, /^[ab]{10}$/);
    assert.equal((await call('DELETE', 'sys/policies/password/encoded')).status, 204);
  });

  test('json policy is accepted', async () => {
    const policy = JSON.stringify({ length: 6, rule: [{ charset: [{ charset: '01', 'min-chars': 6 }] }] });
    assert.equal((await call('PUT', 'sys/policies/password/json', { policy })).status, 204);
    assert.match((await call('GET', 'sys/policies/password/json/generate')).body.data.password, /^[01]{6}$/);
    assert.equal((await call('DELETE', 'sys/policies/password/json')).status, 204);
  });

  test('generate 200 passwords', async () => {
    assert.equal((await call('PUT', 'sys/policies/password/alnum', { policy: ALNUM_POLICY })).status, 204);
    const seen = new Set<string>();
    for (let round = 0; round < 200; round++) {
      const response = await call('GET', 'sys/policies/password/alnum/generate');
      assert.equal(response.status, 200);
      const password: string = response.body.data.password;
      assert.equal(password.length, 24);
      assert.match(password, /^[a-zA-Z0-9!@#]+$/);
      assert.ok((password.match(/[a-z]/g) ?? []).length >= 2, password);
      assert.ok((password.match(/[A-Z]/g) ?? []).length >= 2, password);
      assert.ok((password.match(/[0-9]/g) ?? []).length >= 3, password);
      assert.ok((password.match(/[!@#]/g) ?? []).length >= 1, password);
      seen.add(password);
    }
    assert.equal(seen.size, 200);
  });

  test('unknown policy is 404', async () => {
    await assertRejected('GET', 'sys/policies/password/nosuch', undefined, 404, 'password policy "nosuch" not found');
    await assertRejected('GET', 'sys/policies/password/nosuch/generate', undefined, 404, 'password policy "nosuch" not found');
  });

  test('bad writes keep the stored policy', async () => {
    assert.equal((await call('PUT', 'sys/policies/password/keep', { policy: ALNUM_POLICY })).status, 204);
    const cases: Array<[unknown, string]> = [
      [{}, 'missing "policy": send the password policy document, HCL or JSON, in the "policy" field'],
      [{ policy: '   ' }, 'missing "policy": send the password policy document, HCL or JSON, in the "policy" field'],
      [{ policy: 'length = \n' }, 'invalid password policy: at line 1, column 10: Invalid expression; Expected the start of an expression, but found an invalid expression token.'],
      [{ policy: 'length = 20\n' }, 'invalid password policy: no charset specified: add at least one rule "charset" block'],
      [{ policy: 'length = 2\nrule "charset" {\n  charset = "ab"\n}\n' }, 'invalid password policy: "length" is 2, but passwords must be between 4 and 100 characters'],
      [{ policy: 'length = 200\nrule "charset" {\n  charset = "ab"\n}\n' }, 'invalid password policy: "length" is 200, but passwords must be between 4 and 100 characters'],
      [{ policy: 'length = 20\nrule "charset" {\n  charset = ""\n}\n' }, 'invalid password policy: "charset" of rule "charset" #1 must not be empty'],
      [
        { policy: 'length = 4\nrule "charset" {\n  charset = "ab"\n  min-chars = 3\n}\nrule "charset" {\n  charset = "cd"\n  min-chars = 2\n}\n' },
        'invalid password policy: the rules require at least 5 characters (the sum of "min-chars"), but "length" is 4',
      ],
      [{ policy: 5 }, 'invalid password policy: at line 1, column 1: Argument or block definition required; An argument or block definition is required here.'],
    ];
    for (const [body, message] of cases) await assertRejected('PUT', 'sys/policies/password/keep', body, 400, message);
    assert.deepEqual((await call('GET', 'sys/policies/password/keep')).body.data, { policy: ALNUM_POLICY });
  });

  test('restrictive policy fails its test generations', async () => {
    // All 40 characters must be "~", one of the 90 drawn from: a candidate passes with a chance of 90^-40.
    const printable = Array.from({ length: 94 }, (_, index) => String.fromCharCode(0x21 + index)).filter((character) => character !== '"' && character !== '\\' && character !== '$' && character !== '%');
    const policy = `length = 40\nrule "charset" {\n  charset = ${JSON.stringify(printable.join(''))}\n}\nrule "charset" {\n  charset = "~"\n  min-chars = 40\n}\n`;
    await assertRejected('PUT', 'sys/policies/password/keep', { policy }, 400, 'invalid password policy: unable to generate a password from it in 1s: are the rules impossible?');
    assert.deepEqual((await call('GET', 'sys/policies/password/keep')).body.data, { policy: ALNUM_POLICY });
  });

  test('bad names are rejected', async () => {
    await assertRejected('PUT', 'sys/policies/password/a%2Fb', { policy: ALNUM_POLICY }, 400, 'invalid password policy name "a/b": a name cannot contain "/"');
    await assertRejected('PUT', 'sys/policies/password/a/b', { policy: ALNUM_POLICY }, 400, 'invalid password policy name "a/b": a name cannot contain "/"');
    await assertRejected('DELETE', 'sys/policies/password/a/b', undefined, 400, 'invalid password policy name "a/b": a name cannot contain "/"');
    await assertRejected('GET', 'sys/policies/password/a/b', undefined, 400, 'invalid password policy name "a/b": a name cannot contain "/"');
  });

  test('capabilities are checked', async () => {
    assert.equal((await call('PUT', 'sys/policies/password/acl', { policy: ALNUM_POLICY })).status, 204);
    const acl = 'path "sys/policies/password/acl/generate" {\n  capabilities = ["read"]\n}\n';
    assert.equal((await call('PUT', 'sys/policies/acl/generate-only', { policy: acl })).status, 204);
    const created = await call('POST', 'auth/token/create', { policies: ['generate-only'] });
    assert.equal(created.status, 200);
    const token: string = created.body.auth.client_token;

    const generated = await call('GET', 'sys/policies/password/acl/generate', undefined, token);
    assert.equal(generated.status, 200);
    assert.equal(generated.body.data.password.length, 24);

    const denied: Array<[string, string, unknown]> = [
      ['GET', 'sys/policies/password/acl', undefined],
      ['PUT', 'sys/policies/password/acl', { policy: 'length = 8\nrule "charset" {\n  charset = "a"\n}\n' }],
      ['DELETE', 'sys/policies/password/acl', undefined],
      ['LIST', 'sys/policies/password', undefined],
      ['GET', 'sys/policies/password/keep/generate', undefined],
    ];
    for (const [method, path, body] of denied) {
      const response = await call(method, path, body, token);
      assert.equal(response.status, 403, `${method} ${path}`);
      assert.deepEqual(response.body, { errors: ['permission denied'] }, `${method} ${path}`);
    }
    assert.deepEqual((await call('GET', 'sys/policies/password/acl')).body.data, { policy: ALNUM_POLICY });
  });
});
