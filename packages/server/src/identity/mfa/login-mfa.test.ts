/**
 * Login MFA end to end over HTTP: userpass logins against login
 * enforcements, TOTP passcodes computed by Debian's oathtool as an
 * independent implementation, and sys/mfa/validate and X-Vault-MFA.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../server.js';
import { api, startDevServer, type ApiResponse } from '../../testing/api-client.js';
import { callerFor, createEntity, enableAuth, expectStatus, type Caller } from '../test-support.js';
import { MFA_HEADER_UNUSED_WARNING } from './login-gate.js';
import { MFA_REQUIRED_WARNING } from './login.js';

const PASSWORD = 'correct horse';

/** Returns the current TOTP code of a base32 key, or the one `offsetSeconds` from now, computed by oathtool. */
function oathtoolCode(key: string, options: { digits?: number; algorithm?: string; offsetSeconds?: number } = {}): string {
  const args = ['--totp' + (options.algorithm !== undefined ? `=${options.algorithm}` : ''), '-b', `--digits=${options.digits ?? 6}`];
  if (options.offsetSeconds !== undefined) args.push(`--now=@${Math.floor(Date.now() / 1000) + options.offsetSeconds}`);
  return execFileSync('oathtool', [...args, key], { encoding: 'utf8' }).trim();
}

/** Returns the key of an otpauth URL. */
function keyOf(url: string): string {
  return new URL(url).searchParams.get('secret')!;
}

/** Returns a code other than `code` with the same length. */
function wrongCode(code: string): string {
  return code.replace(/^./, (digit) => String((Number(digit) + 1) % 10));
}

describe('login mfa', () => {
  let server: RunningServer;
  let root: Caller;
  let accessor: string;
  let methodId: string;
  /** Entity IDs by user name, filled by the first login of each user. */
  const entities = new Map<string, string>();

  function login(user: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return api(server, 'POST', `auth/userpass/login/${user}`, { body: { password: PASSWORD }, headers });
  }

  /** Logs in with one X-Vault-MFA header line per value, which fetch cannot send: it joins them into one. */
  function loginWithHeaderLines(user: string, values: string[]): Promise<{ status: number; errors: unknown }> {
    return new Promise((resolve, reject) => {
      const outgoing = request(`${server.address}/v1/auth/userpass/login/${user}`, { method: 'POST', headers: { 'X-Vault-MFA': values } }, (incoming) => {
        let text = '';
        incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, errors: JSON.parse(text).errors }));
      });
      outgoing.on('error', reject);
      outgoing.end(JSON.stringify({ password: PASSWORD }));
    });
  }

  function validate(requestId: string, payload: Record<string, unknown>): Promise<ApiResponse> {
    return api(server, 'POST', 'sys/mfa/validate', { body: { mfa_request_id: requestId, mfa_payload: payload } });
  }

  /** Gives the user's entity a new TOTP key and returns it in base32. */
  async function newKey(user: string): Promise<string> {
    await root('POST', 'identity/mfa/method/totp/admin-destroy', { method_id: methodId, entity_id: entities.get(user) });
    const generated = await root('POST', 'identity/mfa/method/totp/admin-generate', { method_id: methodId, entity_id: entities.get(user) });
    expectStatus(generated, 200, `admin-generate for ${user}`);
    return keyOf(generated.body.data.url as string);
  }

  /** Logs in and returns the MFA request ID, asserting that the login got no token. */
  async function heldLogin(user: string): Promise<string> {
    const response = await login(user);
    expectStatus(response, 200, `login of ${user}`);
    assert.equal(response.body.auth.client_token, '');
    return response.body.auth.mfa_requirement.mfa_request_id as string;
  }

  async function setEnforcement(name: string, body: Record<string, unknown>): Promise<void> {
    expectStatus(await root('POST', `identity/mfa/login-enforcement/${name}`, { mfa_method_ids: [methodId], ...body }), 204, `write enforcement ${name}`);
  }

  async function clearEnforcements(): Promise<void> {
    const listed = await root('LIST', 'identity/mfa/login-enforcement');
    // An empty list is a 404, as in Vault.
    const names = listed.status === 404 ? [] : (listed.body.data.keys as string[]);
    for (const name of names) {
      expectStatus(await root('DELETE', `identity/mfa/login-enforcement/${name}`), 204, `delete enforcement ${name}`);
    }
  }

  before(async () => {
    server = await startDevServer();
    root = callerFor(server);
    accessor = await enableAuth(root, 'userpass', 'userpass');
    for (const user of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace']) {
      expectStatus(await root('POST', `auth/userpass/users/${user}`, { password: PASSWORD, token_policies: 'default' }), 204, `create ${user}`);
      const first = await login(user);
      expectStatus(first, 200, `first login of ${user}`);
      entities.set(user, first.body.auth.entity_id as string);
    }
    const created = await root('POST', 'identity/mfa/method/totp', { issuer: 'Coffer', method_name: 'phone', max_validation_attempts: 3 });
    expectStatus(created, 200, 'create method');
    methodId = created.body.data.method_id as string;
  });

  after(async () => {
    await server.close();
  });

  test('method read returns settings', async () => {
    const read = await root('GET', `identity/mfa/method/totp/${methodId}`);
    expectStatus(read, 200, 'read method');
    assert.deepEqual(read.body.data, {
      id: methodId,
      name: 'phone',
      type: 'totp',
      mount_accessor: '',
      namespace_id: 'root',
      namespace_path: '',
      issuer: 'Coffer',
      period: 30,
      key_size: 20,
      qr_size: 200,
      algorithm: 'SHA1',
      digits: 6,
      skew: 1,
      max_validation_attempts: 3,
    });
    const listed = await root('LIST', 'identity/mfa/method/totp');
    assert.deepEqual(listed.body.data.keys, [methodId]);
    assert.equal(listed.body.data.key_info[methodId].name, 'phone');
    const listedAll = await root('LIST', 'identity/mfa/method');
    assert.deepEqual(listedAll.body.data.keys, [methodId]);
    const readAny = await root('GET', `identity/mfa/method/${methodId}`);
    assert.deepEqual(readAny.body.data, read.body.data);
  });

  test('admin-generate returns url and png', async () => {
    await root('POST', 'identity/mfa/method/totp/admin-destroy', { method_id: methodId, entity_id: entities.get('alice') });
    const generated = await root('POST', 'identity/mfa/method/totp/admin-generate', { method_id: methodId, entity_id: entities.get('alice') });
    expectStatus(generated, 200, 'admin-generate');
    const url = new URL(generated.body.data.url as string);
    assert.equal(url.protocol, 'otpauth:');
    assert.equal(url.host, 'totp');
    const entity = await root('GET', `identity/entity/id/${entities.get('alice')}`);
    assert.equal(url.pathname, `/Coffer:${entity.body.data.name}`);
    assert.equal(url.searchParams.get('issuer'), 'Coffer');
    assert.equal(url.searchParams.get('algorithm'), 'SHA1');
    assert.equal(url.searchParams.get('digits'), '6');
    assert.equal(url.searchParams.get('period'), '30');
    assert.match(url.searchParams.get('secret')!, /^[A-Z2-7]{32}$/);
    const png = Buffer.from(generated.body.data.barcode as string, 'base64');
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    const again = await root('POST', 'identity/mfa/method/totp/admin-generate', { method_id: methodId, entity_id: entities.get('alice') });
    expectStatus(again, 200, 'second admin-generate');
    assert.equal(again.body.data, null);
    assert.deepEqual(again.body.warnings, [`Entity already has a secret for MFA method "${methodId}"`]);
  });

  test('generate needs an entity on the token', async () => {
    const response = await root('POST', 'identity/mfa/method/totp/generate', { method_id: methodId });
    expectStatus(response, 400, 'generate with the root token');
    assert.deepEqual(response.body.errors, ['the token has no entity: log in through an auth method first, or have an administrator use admin-generate']);
  });

  test('login without enforcement gets a token', async () => {
    await clearEnforcements();
    const response = await login('alice');
    expectStatus(response, 200, 'login');
    assert.match(response.body.auth.client_token as string, /^hvs\.|^s\.|./);
    assert.notEqual(response.body.auth.client_token, '');
    assert.equal(response.body.auth.mfa_requirement, null);
  });

  test('enforced login returns mfa requirement', async () => {
    await clearEnforcements();
    await setEnforcement('by-type', { auth_method_types: 'userpass' });
    const response = await login('alice');
    expectStatus(response, 200, 'login');
    const requirement = response.body.auth.mfa_requirement;
    assert.match(requirement.mfa_request_id as string, /^[0-9a-f-]{36}$/);
    assert.deepEqual(requirement.mfa_constraints, { 'by-type': { any: [{ type: 'totp', id: methodId, uses_passcode: true, name: 'phone' }] } });
    assert.equal(response.body.auth.client_token, '');
    assert.equal(response.body.auth.accessor, '');
    assert.deepEqual(response.body.warnings, [MFA_REQUIRED_WARNING]);
  });

  test('validate with oathtool code issues token', async () => {
    await clearEnforcements();
    await setEnforcement('by-type', { auth_method_types: 'userpass' });
    const key = await newKey('alice');
    const requestId = await heldLogin('alice');

    const validated = await validate(requestId, { [methodId]: [oathtoolCode(key)] });
    expectStatus(validated, 200, 'validate');
    const token = validated.body.auth.client_token as string;
    assert.notEqual(token, '');
    assert.equal(validated.body.auth.entity_id, entities.get('alice'));
    assert.deepEqual(validated.body.auth.token_policies, ['default']);
    const lookup = await api(server, 'GET', 'auth/token/lookup-self', { token });
    expectStatus(lookup, 200, 'lookup of the issued token');
    assert.equal(lookup.body.data.path, 'auth/userpass/login/alice');

    const replay = await validate(requestId, { [methodId]: [oathtoolCode(key)] });
    expectStatus(replay, 400, 'second validate of one request');
    assert.match(replay.body.errors[0] as string, /^invalid mfa_request_id ".+": no login waits for MFA with this ID, or it expired after 300 seconds; log in again$/);
  });

  test('used code is refused', async () => {
    await clearEnforcements();
    await setEnforcement('by-type', { auth_method_types: 'userpass' });
    const key = await newKey('bob');
    const code = oathtoolCode(key);
    expectStatus(await validate(await heldLogin('bob'), { phone: [code] }), 200, 'first use');

    const reuse = await validate(await heldLogin('bob'), { phone: [code] });
    expectStatus(reuse, 403, 'second use');
    assert.deepEqual(reuse.body.errors, ['failed to satisfy enforcement by-type. error: code already used; new code is available in 30 seconds']);
  });

  test('wrong code then right code', async () => {
    await clearEnforcements();
    await setEnforcement('by-type', { auth_method_types: 'userpass' });
    const key = await newKey('carol');
    const requestId = await heldLogin('carol');
    const code = oathtoolCode(key);

    const wrong = await validate(requestId, { [methodId]: [wrongCode(code)] });
    expectStatus(wrong, 403, 'wrong code');
    assert.deepEqual(wrong.body.errors, ['failed to satisfy enforcement by-type. error: failed to validate TOTP passcode']);
    const right = await validate(requestId, { [methodId]: [`passcode=${code}`] });
    expectStatus(right, 200, 'right code');
    assert.notEqual(right.body.auth.client_token, '');
  });

  test('attempt limit locks for one period', async () => {
    await clearEnforcements();
    await setEnforcement('by-type', { auth_method_types: 'userpass' });
    const key = await newKey('dave');
    const requestId = await heldLogin('dave');
    const code = oathtoolCode(key);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const wrong = await validate(requestId, { [methodId]: [wrongCode(code)] });
      expectStatus(wrong, 403, `wrong code ${attempt}`);
      assert.deepEqual(wrong.body.errors, ['failed to satisfy enforcement by-type. error: failed to validate TOTP passcode']);
    }

    // Vault's text, "30s seconds" included: the full period, whatever is left of it.
    const lockedText = 'failed to satisfy enforcement by-type. error: maximum TOTP validation attempts 4 exceeded the allowed attempts 3. Please try again in 30s seconds';
    const locked = await validate(requestId, { [methodId]: [code] });
    expectStatus(locked, 403, 'right code after the limit');
    assert.deepEqual(locked.body.errors, [lockedText]);
    const lockedHeader = await login('dave', { 'X-Vault-MFA': `phone:${code}` });
    expectStatus(lockedHeader, 403, 'right code in the header after the limit');
    assert.deepEqual(lockedHeader.body.errors, [lockedText]);

    // As in Vault, destroying the key does not clear the count.
    const fresh = await newKey('dave');
    const stillLocked = await validate(requestId, { [methodId]: [oathtoolCode(fresh)] });
    expectStatus(stillLocked, 403, 'new key within the period');
    assert.deepEqual(stillLocked.body.errors, [lockedText]);
  });

  test('wrong-length codes are not counted', async () => {
    await clearEnforcements();
    await setEnforcement('by-type', { auth_method_types: 'userpass' });
    const key = await newKey('grace');
    const requestId = await heldLogin('grace');
    for (const bad of ['12345', '1234567', '12345678', 'abc']) {
      const response = await validate(requestId, { [methodId]: [bad] });
      expectStatus(response, 403, `code ${bad}`);
      assert.deepEqual(response.body.errors, ['failed to satisfy enforcement by-type. error: failed to validate TOTP passcode']);
    }
    // Four rejected codes, and the limit is 3: none of them counted.
    expectStatus(await validate(requestId, { [methodId]: [oathtoolCode(key)] }), 200, 'right code after the wrong-length ones');
  });

  test('header form issues token at once', async () => {
    await clearEnforcements();
    await setEnforcement('by-type', { auth_method_types: 'userpass' });
    const key = await newKey('erin');
    const code = oathtoolCode(key);

    const wrong = await login('erin', { 'X-Vault-MFA': `phone:${wrongCode(code)}` });
    expectStatus(wrong, 403, 'login with a wrong code in the header');
    assert.deepEqual(wrong.body.errors, ['failed to satisfy enforcement by-type. error: failed to validate TOTP passcode']);
    const unknown = await login('erin', { 'X-Vault-MFA': `laptop:${code}` });
    expectStatus(unknown, 400, 'login naming an unknown method');
    assert.deepEqual(unknown.body.errors, ['invalid X-Vault-MFA header: no MFA method has the name or ID "laptop"']);
    // Two passcodes for one method, by name and by ID: only one could be checked, so neither is.
    const twice = await loginWithHeaderLines('erin', [`phone:${wrongCode(code)}`, `${methodId}:${code}`]);
    assert.equal(twice.status, 400, 'login with two passcodes for one method');
    assert.deepEqual(twice.errors, [`invalid X-Vault-MFA header: more than one passcode for MFA method "${methodId}"; send one header per method`]);
    // Passcode and name swapped: the digits may be a passcode, so the message leaves them out.
    const swapped = await login('erin', { 'X-Vault-MFA': `${code}:phone` });
    expectStatus(swapped, 400, 'login with the passcode before the name');
    assert.deepEqual(swapped.body.errors, ['invalid X-Vault-MFA header: no MFA method has the digits before ":" as its name or ID; expected <method name or ID>:<passcode>']);

    const right = await login('erin', { 'X-Vault-MFA': `${methodId}:${code}` });
    expectStatus(right, 200, 'login with the code in the header');
    assert.notEqual(right.body.auth.client_token, '');
    assert.equal(right.body.auth.mfa_requirement, null);
  });

  test('header without enforcement warns', async () => {
    await clearEnforcements();
    const response = await login('erin', { 'X-Vault-MFA': 'phone:123456' });
    expectStatus(response, 200, 'login with a header and no enforcement');
    assert.notEqual(response.body.auth.client_token, '');
    assert.deepEqual(response.body.warnings, [MFA_HEADER_UNUSED_WARNING]);

    await setEnforcement('by-entity', { identity_entity_ids: entities.get('alice') });
    const unmatched = await login('erin', { 'X-Vault-MFA': 'phone:123456' });
    expectStatus(unmatched, 200, 'login with a header that no enforcement matches');
    assert.deepEqual(unmatched.body.warnings, [MFA_HEADER_UNUSED_WARNING]);
    const plain = await login('erin');
    assert.equal(plain.body.warnings, null);
  });

  test('header with utf-8 method name', async () => {
    await clearEnforcements();
    const created = await root('POST', 'identity/mfa/method/totp', { issuer: 'Coffer', method_name: 'téléphone' });
    expectStatus(created, 200, 'create a method with a non-ASCII name');
    const id = created.body.data.method_id as string;
    const generated = await root('POST', 'identity/mfa/method/totp/admin-generate', { method_id: id, entity_id: entities.get('frank') });
    expectStatus(generated, 200, 'admin-generate for frank');
    await setEnforcement('by-name', { mfa_method_ids: [id], auth_method_types: 'userpass' });

    // HTTP header values are bytes: a Go client such as Vault's sends the name's UTF-8 bytes, which fetch sends from a latin1 string.
    const header = Buffer.from(`téléphone:${oathtoolCode(keyOf(generated.body.data.url as string))}`, 'utf8').toString('latin1');
    const response = await login('frank', { 'X-Vault-MFA': header });
    expectStatus(response, 200, 'login with the UTF-8 name in the header');
    assert.notEqual(response.body.auth.client_token, '');

    await clearEnforcements();
    expectStatus(await root('DELETE', `identity/mfa/method/totp/${id}`), 204, 'delete the method');
  });

  test('update keeps omitted fields', async () => {
    const created = await root('POST', 'identity/mfa/method/totp', {
      issuer: 'Acme',
      method_name: 'tablet',
      period: '60s',
      key_size: 32,
      qr_size: 0,
      algorithm: 'SHA256',
      digits: 8,
      skew: 0,
      max_validation_attempts: 7,
    });
    expectStatus(created, 200, 'create');
    const id = created.body.data.method_id as string;
    const path = `identity/mfa/method/totp/${id}`;
    const read = async (): Promise<Record<string, unknown>> => {
      const response = await root('GET', path);
      expectStatus(response, 200, 'read back');
      return response.body.data as Record<string, unknown>;
    };
    const original = await read();
    assert.deepEqual(
      { ...original, id: undefined },
      {
        id: undefined,
        name: 'tablet',
        type: 'totp',
        mount_accessor: '',
        namespace_id: 'root',
        namespace_path: '',
        issuer: 'Acme',
        period: 60,
        key_size: 32,
        qr_size: 0,
        algorithm: 'SHA256',
        digits: 8,
        skew: 0,
        max_validation_attempts: 7,
      },
    );
    try {
      expectStatus(await root('POST', path, { issuer: 'Acme Corp' }), 200, 'update of the issuer alone');
      assert.deepEqual(await read(), { ...original, issuer: 'Acme Corp' });
      expectStatus(await root('POST', path, { digits: 6 }), 200, 'update without the issuer');
      assert.deepEqual(await read(), { ...original, issuer: 'Acme Corp', digits: 6 });
      // The create path with a method_id updates the same way.
      expectStatus(await root('POST', 'identity/mfa/method/totp', { method_id: id, skew: 1 }), 200, 'update through the create path');
      const updated = { ...original, issuer: 'Acme Corp', digits: 6, skew: 1 };
      assert.deepEqual(await read(), updated);

      const rejected: [Record<string, unknown>, number, string][] = [
        [{ digits: 7 }, 400, 'invalid digits 7: use 6 or 8'],
        [{ issuer: 'Other', skew: 2 }, 400, 'invalid skew 2: use 0 or 1'],
        [{ issuer: '' }, 400, 'missing issuer: set it to the name of your organization, which authenticator apps show'],
        [{ algorithm: 'MD5', period: 30 }, 400, 'invalid algorithm "MD5": use SHA1, SHA256 or SHA512'],
        [{ period: 0 }, 400, 'invalid period 0: it must be at least 1 second'],
        [{ key_size: 2048 }, 400, 'invalid key_size 2048: use 1 to 1024 bytes'],
        [{ qr_size: -1 }, 400, 'invalid qr_size -1: use 0 to 2048 pixels'],
        [{ max_validation_attempts: -1 }, 400, 'invalid max_validation_attempts -1: it must be 0 or more, and 0 means the default of 5'],
        [{ method_name: 'phone' }, 400, `invalid method_name "phone": method "${methodId}" already has that name`],
        [{ digits: 'six' }, 400, 'invalid field "digits": expected an integer, got "six"'],
      ];
      for (const [body, status, message] of rejected) {
        const response = await root('POST', path, body);
        expectStatus(response, status, JSON.stringify(body));
        assert.deepEqual(response.body.errors, [message], JSON.stringify(body));
        assert.deepEqual(await read(), updated, `method unchanged after ${JSON.stringify(body)}`);
      }

      // 0 still means the default of 5, and a name can be cleared by setting it empty.
      expectStatus(await root('POST', path, { max_validation_attempts: 0, method_name: '' }), 200, 'reset of the attempts and the name');
      assert.deepEqual(await read(), { ...updated, max_validation_attempts: 5, name: '' });
    } finally {
      expectStatus(await root('DELETE', path), 204, 'delete');
    }
  });

  test('enforcement by accessor, entity and group', async () => {
    await clearEnforcements();
    await setEnforcement('by-accessor', { auth_method_accessors: accessor });
    assert.equal((await login('alice')).body.auth.client_token, '');

    await clearEnforcements();
    await setEnforcement('by-entity', { identity_entity_ids: entities.get('alice') });
    assert.equal((await login('alice')).body.auth.client_token, '');
    const bob = await login('bob');
    assert.notEqual(bob.body.auth.client_token, '');
    assert.equal(bob.body.auth.mfa_requirement, null);

    await clearEnforcements();
    const group = await root('POST', 'identity/group', { name: 'mfa-users', member_entity_ids: [entities.get('bob')] });
    expectStatus(group, 200, 'create group');
    const parent = await root('POST', 'identity/group', { name: 'mfa-parent', member_group_ids: [group.body.data.id] });
    expectStatus(parent, 200, 'create parent group');
    await setEnforcement('by-group', { identity_group_ids: parent.body.data.id });
    const bobLogin = await login('bob');
    assert.equal(bobLogin.body.auth.client_token, '');
    assert.deepEqual(Object.keys(bobLogin.body.auth.mfa_requirement.mfa_constraints), ['by-group']);
    assert.notEqual((await login('alice')).body.auth.client_token, '');

    const read = await root('GET', 'identity/mfa/login-enforcement/by-group');
    assert.deepEqual(read.body.data, {
      name: 'by-group',
      id: read.body.data.id,
      namespace_id: 'root',
      mfa_method_ids: [methodId],
      auth_method_accessors: [],
      auth_method_types: [],
      identity_group_ids: [parent.body.data.id],
      identity_entity_ids: [],
    });
  });

  test('enforcement follows merged entity', async () => {
    await clearEnforcements();
    expectStatus(await root('POST', 'auth/userpass/users/henry', { password: PASSWORD, token_policies: 'default' }), 204, 'create henry');
    const merged = (await login('henry')).body.auth.entity_id as string;
    const target = await createEntity(root, { name: 'henry-target' });
    await setEnforcement('by-entity', { identity_entity_ids: merged });
    expectStatus(await root('POST', 'identity/entity/merge', { to_entity_id: target, from_entity_ids: [merged] }), 204, 'merge');

    // Henry's logins now resolve to the target entity, which the enforcement still covers through the merged ID.
    const response = await login('henry');
    expectStatus(response, 200, 'login after the merge');
    assert.equal(response.body.auth.client_token, '');
    assert.deepEqual(Object.keys(response.body.auth.mfa_requirement.mfa_constraints), ['by-entity']);
    await clearEnforcements();
  });

  test('bad method input is rejected', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'missing issuer: set it to the name of your organization, which authenticator apps show'],
      [{ issuer: 'x', algorithm: 'MD5' }, 'invalid algorithm "MD5": use SHA1, SHA256 or SHA512'],
      [{ issuer: 'x', digits: 7 }, 'invalid digits 7: use 6 or 8'],
      [{ issuer: 'x', skew: 2 }, 'invalid skew 2: use 0 or 1'],
      [{ issuer: 'x', period: 0 }, 'invalid period 0: it must be at least 1 second'],
      [{ issuer: 'x', period: 4_294_967_296 }, 'invalid period 4294967296: use 1 to 4294967295 seconds'],
      // Past the longest Go duration, the SDK's duration field rejects the value before the method's own check.
      [{ issuer: 'x', period: 1e300 }, 'invalid field "period": 1e+300 is longer than the maximum of 2562047h47m16s: use a shorter duration'],
      [{ issuer: 'x', key_size: 0 }, 'invalid key_size 0: use 1 to 1024 bytes'],
      [{ issuer: 'x', qr_size: -1 }, 'invalid qr_size -1: use 0 to 2048 pixels'],
      [{ issuer: 'x', max_validation_attempts: -1 }, 'invalid max_validation_attempts -1: it must be 0 or more, and 0 means the default of 5'],
      [{ issuer: 'x', method_name: 'phone' }, `invalid method_name "phone": method "${methodId}" already has that name`],
    ];
    for (const [body, message] of cases) {
      const response = await root('POST', 'identity/mfa/method/totp', body);
      expectStatus(response, 400, JSON.stringify(body));
      assert.deepEqual(response.body.errors, [message]);
    }
    const listed = await root('LIST', 'identity/mfa/method/totp');
    assert.deepEqual(listed.body.data.keys, [methodId]);

    const missing = await root('POST', 'identity/mfa/method/totp/admin-generate', { method_id: 'no-such-method', entity_id: entities.get('alice') });
    expectStatus(missing, 400, 'admin-generate for an unknown method');
    assert.deepEqual(missing.body.errors, ['invalid method_id "no-such-method": no TOTP method has this ID']);
    const noEntity = await root('POST', 'identity/mfa/method/totp/admin-generate', { method_id: methodId, entity_id: 'no-such-entity' });
    expectStatus(noEntity, 400, 'admin-generate for an unknown entity');
    assert.deepEqual(noEntity.body.errors, ['invalid entity_id "no-such-entity": no entity has this ID']);

    const keyCases: [string, Record<string, unknown>, string][] = [
      ['generate', {}, 'missing method_id: set it to the ID of a TOTP method, listed at identity/mfa/method/totp'],
      ['admin-generate', { method_id: methodId }, 'missing entity_id: set it to the ID of the entity that gets the key'],
      ['admin-destroy', { method_id: methodId }, 'missing entity_id: set it to the ID of the entity whose key is destroyed'],
      ['admin-destroy', { method_id: methodId, entity_id: 'no-such-entity' }, 'invalid entity_id "no-such-entity": no entity has this ID'],
      ['no-such-method', { issuer: 'x' }, 'invalid method_id "no-such-method": no TOTP method has this ID; list them at identity/mfa/method/totp'],
    ];
    for (const [path, body, message] of keyCases) {
      const response = await root('POST', `identity/mfa/method/totp/${path}`, body);
      expectStatus(response, 400, `${path} ${JSON.stringify(body)}`);
      assert.deepEqual(response.body.errors, [message]);
    }
    expectStatus(await root('GET', 'identity/mfa/method/totp/no-such-method'), 404, 'read of the rejected method');
  });

  test('concurrent generates store one key', async () => {
    const body = { method_id: methodId, entity_id: entities.get('grace') };
    await root('POST', 'identity/mfa/method/totp/admin-destroy', body);

    const responses = await Promise.all([1, 2, 3].map(() => root('POST', 'identity/mfa/method/totp/admin-generate', body)));
    for (const response of responses) expectStatus(response, 200, 'concurrent admin-generate');
    const keys = responses.filter((response) => response.body.data !== null).map((response) => keyOf(response.body.data.url as string));
    assert.equal(keys.length, 1, 'one response carries a key');
    const warnings = responses.filter((response) => response.body.data === null).map((response) => response.body.warnings);
    assert.deepEqual(warnings, [[`Entity already has a secret for MFA method "${methodId}"`], [`Entity already has a secret for MFA method "${methodId}"`]]);

    // The key returned is the key stored: its code passes MFA.
    await clearEnforcements();
    await setEnforcement('by-type', { auth_method_types: 'userpass' });
    const validated = await validate(await heldLogin('grace'), { [methodId]: [oathtoolCode(keys[0]!)] });
    expectStatus(validated, 200, 'validate with the returned key');
  });

  test('key too long for qr code', async () => {
    // A QR code stores at most 2,331 bytes at error correction level M, and the issuer is in the URL twice.
    const created = await root('POST', 'identity/mfa/method/totp', { issuer: 'x'.repeat(3000) });
    expectStatus(created, 200, 'create a method with a long issuer');
    const id = created.body.data.method_id as string;
    const body = { method_id: id, entity_id: entities.get('grace') };

    const rejected = await root('POST', 'identity/mfa/method/totp/admin-generate', body);
    expectStatus(rejected, 400, 'admin-generate with a QR code');
    assert.deepEqual(rejected.body.errors, ['the otpauth URL of the new key is too long for a QR code: shorten issuer, lower key_size, or set qr_size to 0 for no QR code']);

    // No key was stored, so the next generate returns one.
    expectStatus(await root('POST', `identity/mfa/method/totp/${id}`, { qr_size: 0 }), 200, 'turn off the QR code');
    const generated = await root('POST', 'identity/mfa/method/totp/admin-generate', body);
    expectStatus(generated, 200, 'admin-generate without a QR code');
    assert.equal(generated.body.data.barcode, '');
    assert.match(keyOf(generated.body.data.url as string), /^[A-Z2-7]{32}$/);
    expectStatus(await root('DELETE', `identity/mfa/method/totp/${id}`), 204, 'delete the method');
  });

  test('bad enforcement input is rejected', async () => {
    await clearEnforcements();
    const cases: [Record<string, unknown>, string][] = [
      [{ auth_method_types: 'userpass' }, 'missing mfa_method_ids: set it to the IDs of one or more MFA methods, listed at identity/mfa/method/totp'],
      [{ mfa_method_ids: 'no-such-method', auth_method_types: 'userpass' }, 'invalid mfa_method_ids: no MFA method has the ID "no-such-method"'],
      [{ mfa_method_ids: methodId }, 'missing targets: set at least one of auth_method_accessors, auth_method_types, identity_group_ids or identity_entity_ids'],
      [{ mfa_method_ids: methodId, auth_method_accessors: 'auth_nope_1' }, 'invalid auth_method_accessors: no auth mount has the accessor "auth_nope_1"; read the accessors at sys/auth'],
      [{ mfa_method_ids: methodId, identity_group_ids: 'no-such-group' }, 'invalid identity_group_ids: no group has the ID "no-such-group"'],
      [{ mfa_method_ids: methodId, identity_entity_ids: 'no-such-entity' }, 'invalid identity_entity_ids: no entity has the ID "no-such-entity"'],
    ];
    for (const [body, message] of cases) {
      const response = await root('POST', 'identity/mfa/login-enforcement/bad', body);
      expectStatus(response, 400, JSON.stringify(body));
      assert.deepEqual(response.body.errors, [message]);
    }
    expectStatus(await root('GET', 'identity/mfa/login-enforcement/bad'), 404, 'read of the rejected enforcement');
    assert.notEqual((await login('alice')).body.auth.client_token, '');

    await setEnforcement('uses-method', { auth_method_types: 'ldap' });
    const inUse = await root('DELETE', `identity/mfa/method/totp/${methodId}`);
    expectStatus(inUse, 400, 'delete of a method in use');
    assert.deepEqual(inUse.body.errors, [`method "${methodId}" is used by the login enforcements "uses-method": remove it from them first`]);
    expectStatus(await root('GET', `identity/mfa/method/totp/${methodId}`), 200, 'read of the method kept');
  });

  test('bad validate input is rejected', async () => {
    await clearEnforcements();
    await setEnforcement('by-type', { auth_method_types: 'userpass' });
    const key = await newKey('alice');
    const requestId = await heldLogin('alice');
    const cases: [Record<string, unknown>, string][] = [
      [{ mfa_payload: { [methodId]: ['123456'] } }, 'missing mfa_request_id: set it to the mfa_request_id of the login response'],
      [{ mfa_request_id: requestId }, 'missing mfa_payload: set it to the passcodes by MFA method ID, such as {"<method_id>": ["123456"]}'],
      [{ mfa_request_id: 'no-such-request', mfa_payload: { [methodId]: ['123456'] } }, 'invalid mfa_request_id "no-such-request": no login waits for MFA with this ID, or it expired after 300 seconds; log in again'],
      [{ mfa_request_id: requestId, mfa_payload: { laptop: ['123456'] } }, 'invalid mfa_payload: "laptop" is not the ID or name of an MFA method that this login requires'],
      [{ mfa_request_id: requestId, mfa_payload: { [methodId]: '123456' } }, `invalid mfa_payload: the value for "${methodId}" must be a list with one passcode, such as ["123456"]`],
      [{ mfa_request_id: requestId, mfa_payload: { [methodId]: [] } }, `invalid mfa_payload: the value for "${methodId}" must be a list with one passcode, such as ["123456"]`],
      // Only the first of several passcodes would be checked, so a list of two is rejected, as Vault rejects it.
      [{ mfa_request_id: requestId, mfa_payload: { [methodId]: ['111111', '222222'] } }, `invalid mfa_payload: the value for "${methodId}" must be a list with one passcode, such as ["123456"]`],
    ];
    for (const [body, message] of cases) {
      const response = await api(server, 'POST', 'sys/mfa/validate', { body });
      expectStatus(response, 400, JSON.stringify(body));
      assert.deepEqual(response.body.errors, [message]);
    }
    // None of the rejected requests spent the held login or counted as a failed attempt.
    expectStatus(await validate(requestId, { [methodId]: [oathtoolCode(key)] }), 200, 'validate after the rejected requests');
  });

  test('entity without key is denied', async () => {
    await clearEnforcements();
    await setEnforcement('by-type', { auth_method_types: 'userpass' });
    const requestId = await heldLogin('frank');

    const denied = await validate(requestId, { [methodId]: ['123456'] });
    expectStatus(denied, 403, 'validate for an entity without a key');
    assert.deepEqual(denied.body.errors, [
      `failed to satisfy enforcement by-type. error: entity "${entities.get('frank')}" has no TOTP secret for MFA method "${methodId}": an administrator can create one at identity/mfa/method/totp/admin-generate`,
    ]);
  });

  test('generate gives caller entity a key', async () => {
    await clearEnforcements();
    expectStatus(await root('PUT', 'sys/policies/acl/mfa-self', { policy: 'path "identity/mfa/method/totp/generate" { capabilities = ["update"] }' }), 204, 'write policy');
    expectStatus(await root('POST', 'auth/userpass/users/frank', { password: PASSWORD, token_policies: 'default,mfa-self' }), 204, 'update frank');
    expectStatus(await root('POST', 'identity/mfa/method/totp/admin-destroy', { method_id: methodId, entity_id: entities.get('frank') }), 204, 'destroy');
    const token = (await login('frank')).body.auth.client_token as string;

    const generated = await api(server, 'POST', 'identity/mfa/method/totp/generate', { token, body: { method_id: methodId } });
    expectStatus(generated, 200, 'generate');
    const key = keyOf(generated.body.data.url as string);
    assert.match(key, /^[A-Z2-7]{32}$/);
    const again = await api(server, 'POST', 'identity/mfa/method/totp/generate', { token, body: { method_id: methodId } });
    assert.deepEqual(again.body.warnings, [`Entity already has a secret for MFA method "${methodId}"`]);

    await setEnforcement('by-type', { auth_method_types: 'userpass' });
    const validated = await validate(await heldLogin('frank'), { [methodId]: [oathtoolCode(key)] });
    expectStatus(validated, 200, 'validate with the self-generated key');
  });

  test('audit log has no key or passcode', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'coffer-mfa-audit-'));
    const logPath = join(directory, 'audit.log');
    expectStatus(await root('PUT', 'sys/audit/mfa', { type: 'file', options: { file_path: logPath } }), 204, 'enable audit');
    try {
      await clearEnforcements();
      await setEnforcement('by-type', { auth_method_types: 'userpass' });
      const key = await newKey('alice');
      const code = oathtoolCode(key);
      expectStatus(await validate(await heldLogin('alice'), { [methodId]: [code] }), 200, 'validate');

      const log = await readFile(logPath, 'utf8');
      assert.match(log, /"path":"sys\/mfa\/validate"/);
      assert.equal(log.includes(key), false, 'the TOTP key is not in the audit log');
      assert.equal(log.includes(`"${code}"`), false, 'the passcode is not in the audit log');
    } finally {
      expectStatus(await root('DELETE', 'sys/audit/mfa'), 204, 'disable audit');
      await rm(directory, { recursive: true, force: true });
    }
  });

  test('seal drops held logins only', async () => {
    await clearEnforcements();
    await setEnforcement('by-type', { auth_method_types: 'userpass' });
    const key = await newKey('carol');
    const requestId = await heldLogin('carol');

    expectStatus(await root('PUT', 'sys/seal'), 204, 'seal');
    expectStatus(await api(server, 'PUT', 'sys/unseal', { body: { key: server.dev!.unsealKey } }), 200, 'unseal');

    const dropped = await validate(requestId, { [methodId]: [oathtoolCode(key)] });
    expectStatus(dropped, 400, 'validate of a login held before the seal');
    assert.deepEqual(dropped.body.errors, [`invalid mfa_request_id "${requestId}": no login waits for MFA with this ID, or it expired after 300 seconds; log in again`]);
    // The method, the enforcement and the key were loaded again from storage.
    const validated = await validate(await heldLogin('carol'), { phone: [oathtoolCode(key)] });
    expectStatus(validated, 200, 'validate after unseal');
  });

  test('oathtool known answer for sha256 and 8 digits', async () => {
    const created = await root('POST', 'identity/mfa/method/totp', { issuer: 'Coffer', algorithm: 'SHA256', digits: 8, skew: 0 });
    expectStatus(created, 200, 'create a SHA256 method');
    const id = created.body.data.method_id as string;
    const generated = await root('POST', 'identity/mfa/method/totp/admin-generate', { method_id: id, entity_id: entities.get('erin') });
    const key = keyOf(generated.body.data.url as string);
    await clearEnforcements();
    expectStatus(await root('POST', 'identity/mfa/login-enforcement/sha256', { mfa_method_ids: id, identity_entity_ids: entities.get('erin') }), 204, 'write enforcement');

    const requestId = await heldLogin('erin');
    // Skew 0: the code must be of the current step, so compute it just before sending.
    const validated = await validate(requestId, { [id]: [oathtoolCode(key, { algorithm: 'sha256', digits: 8 })] });
    expectStatus(validated, 200, 'validate a SHA256 8-digit code');
    await clearEnforcements();
    expectStatus(await root('DELETE', `identity/mfa/method/totp/${id}`), 204, 'delete the SHA256 method');
  });
});
