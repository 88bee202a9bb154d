/**
 * The TOTP attempt limit on a clock the test moves, against the rules of
 * Vault's `validateTOTP` (vault/login_mfa.go). Every attempt with a code of
 * the right length that was not used before counts, from the first one
 * for `period` seconds. A right code clears the count, and a locked
 * attempt is neither counted nor compared.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CofferError, silentLogger } from '@coffer/sdk';
import { openStore } from '../test-support.js';
import { LoginMfa } from './login.js';
import type { LoginEnforcement, TotpMethod } from './model.js';
import { MfaStore } from './store.js';
import { base32Decode, hotpCode } from './totp.js';

const KEY = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const ENTITY = 'entity-1';
/** A time on a 30-second and a 90-second step boundary, in milliseconds. */
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % 90_000);

function method(overrides: Partial<TotpMethod> = {}): TotpMethod {
  return { id: 'method-1', name: 'phone', issuer: 'Coffer', period: 30, keySize: 20, qrSize: 200, algorithm: 'SHA1', digits: 6, skew: 1, maxValidationAttempts: 3, ...overrides };
}

const ENFORCEMENT: LoginEnforcement = {
  name: 'everyone',
  id: 'enforcement-1',
  methodIds: ['method-1'],
  authMethodAccessors: [],
  authMethodTypes: ['userpass'],
  identityGroupIds: [],
  identityEntityIds: [],
};

/** A login MFA with one method and one key, on a clock the test sets. */
async function setup(settings: Partial<TotpMethod> = {}): Promise<{ mfa: LoginMfa; clock: { now: number }; totp: TotpMethod }> {
  const fixture = await openStore();
  const store = new MfaStore(fixture.barrier, silentLogger, fixture.store);
  await store.setup();
  const totp = method(settings);
  await store.putMethod(totp);
  await store.putSecret(totp.id, ENTITY, { key: KEY });
  const clock = { now: T0 };
  return { mfa: new LoginMfa(store, () => clock.now), clock, totp };
}

/** Returns the right code at `nowMs`. */
function codeAt(totp: TotpMethod, nowMs: number): string {
  return hotpCode(base32Decode(KEY), Math.floor(nowMs / 1000 / totp.period), totp.algorithm, totp.digits);
}

/** Returns a code of the right length that matches no step the skew accepts at `nowMs`. */
function wrongAt(totp: TotpMethod, nowMs: number): string {
  const step = Math.floor(nowMs / 1000 / totp.period);
  const accepted = new Set([-1, 0, 1].map((offset) => hotpCode(base32Decode(KEY), step + offset, totp.algorithm, totp.digits)));
  for (let candidate = 0; ; candidate++) {
    const code = String(candidate).padStart(totp.digits, '0');
    if (!accepted.has(code)) return code;
  }
}

/** Sends one passcode as an X-Vault-MFA header would, and returns the reason it failed, or 'ok'. */
async function attempt(mfa: LoginMfa, code: string): Promise<string> {
  try {
    await mfa.validateHeaders(ENTITY, [ENFORCEMENT], [`phone:${code}`]);
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof CofferError);
    assert.equal(error.status, 403);
    return error.message.replace(/^failed to satisfy enforcement everyone\. error: /, '');
  }
}

const WRONG = 'failed to validate TOTP passcode';
const LOCKED = 'maximum TOTP validation attempts 4 exceeded the allowed attempts 3. Please try again in 30s seconds';

describe('totp attempt limit', () => {
  test('locks for one period from the first attempt', async () => {
    const { mfa, clock, totp } = await setup();
    for (const offset of [0, 10_000, 20_000]) {
      clock.now = T0 + offset;
      assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), WRONG, `wrong code at +${offset} ms`);
    }
    // The later attempts did not move the end of the window: it is 30 s after the first.
    clock.now = T0 + 29_999;
    assert.equal(await attempt(mfa, codeAt(totp, clock.now)), LOCKED);
    assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), LOCKED);
    clock.now = T0 + 30_000;
    assert.equal(await attempt(mfa, codeAt(totp, clock.now)), 'ok');
  });

  test('locked attempts are not counted', async () => {
    const { mfa, clock, totp } = await setup();
    for (let index = 0; index < 3; index++) assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), WRONG);
    for (let index = 0; index < 5; index++) assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), LOCKED, `locked attempt ${index + 1}`);
    clock.now = T0 + 30_000;
    // A fresh window: three attempts again before the lock.
    for (let index = 0; index < 3; index++) assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), WRONG);
    assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), LOCKED);
  });

  test('right code clears the count', async () => {
    const { mfa, clock, totp } = await setup();
    assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), WRONG);
    assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), WRONG);
    assert.equal(await attempt(mfa, codeAt(totp, clock.now)), 'ok');
    clock.now += 1_000;
    for (let index = 0; index < 3; index++) assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), WRONG);
    assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), LOCKED);
  });

  test('wrong length and used codes are not counted', async () => {
    const { mfa, clock, totp } = await setup();
    const code = codeAt(totp, clock.now);
    assert.equal(await attempt(mfa, code), 'ok');
    for (const bad of ['12345', '1234567', '', code, `passcode=${code}`]) {
      const expected = bad === code || bad === `passcode=${code}` ? 'code already used; new code is available in 30 seconds' : WRONG;
      assert.equal(await attempt(mfa, bad), expected, JSON.stringify(bad));
    }
    // None of the five counted, so three wrong codes still come before the lock.
    for (let index = 0; index < 3; index++) assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), WRONG);
    assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), LOCKED);
    // A used code is refused as used, even while locked, as Vault checks it first.
    assert.equal(await attempt(mfa, code), 'code already used; new code is available in 30 seconds');
  });

  test('message gives the period as a Go duration', async () => {
    const { mfa, clock, totp } = await setup({ period: 90, maxValidationAttempts: 1 });
    assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), WRONG);
    assert.equal(
      await attempt(mfa, codeAt(totp, clock.now)),
      'maximum TOTP validation attempts 2 exceeded the allowed attempts 1. Please try again in 1m30s seconds',
    );
    clock.now = T0 + 89_999;
    assert.match(await attempt(mfa, codeAt(totp, clock.now)), /^maximum TOTP validation attempts 2 /);
    clock.now = T0 + 90_000;
    assert.equal(await attempt(mfa, codeAt(totp, clock.now)), 'ok');
  });

  test('method shared by two enforcements', async () => {
    const { mfa, clock, totp } = await setup();
    const enforcements = [ENFORCEMENT, { ...ENFORCEMENT, name: 'admins', id: 'enforcement-2' }];
    const send = (code: string) => mfa.validateHeaders(ENTITY, enforcements, [`phone:${code}`]);

    // One wrong code is one attempt, not one per enforcement: the third still gets compared.
    for (let index = 0; index < 3; index++) {
      await assert.rejects(send(wrongAt(totp, clock.now)), { status: 403, message: `failed to satisfy enforcement everyone. error: ${WRONG}` });
    }
    clock.now = T0 + 30_000;
    await assert.doesNotReject(send(codeAt(totp, clock.now)));
  });

  test('counts are kept per entity', async () => {
    const { mfa, clock, totp } = await setup();
    await mfa.store.putSecret(totp.id, 'entity-2', { key: KEY });
    for (let index = 0; index < 3; index++) assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), WRONG);
    assert.equal(await attempt(mfa, wrongAt(totp, clock.now)), LOCKED);
    await assert.doesNotReject(mfa.validateHeaders('entity-2', [ENFORCEMENT], [`phone:${codeAt(totp, clock.now)}`]));
  });
});

describe('held login expiry', () => {
  const EXPIRED = /^invalid mfa_request_id ".+": no login waits for MFA with this ID, or it expired after 300 seconds; log in again$/;
  const issued = async () => ({ data: { issued: true } });
  const requestIdOf = (response: unknown): string => (response as { issued: { mfa_requirement: { mfa_request_id: string } } }).issued.mfa_requirement.mfa_request_id;

  test('expired login is rejected', async () => {
    const { mfa, clock, totp } = await setup();
    const requestId = requestIdOf(mfa.hold(ENTITY, [ENFORCEMENT], issued));
    clock.now = T0 + 300_000;
    await assert.rejects(mfa.validate(requestId, { [totp.id]: [codeAt(totp, clock.now)] }), { status: 400, message: EXPIRED });
  });

  test('clock set back keeps expiry', async () => {
    const { mfa, clock, totp } = await setup();
    const first = requestIdOf(mfa.hold(ENTITY, [ENFORCEMENT], issued));
    // Held later, after the wall clock was set back, so it expires before the first.
    clock.now = T0 - 100_000;
    const second = requestIdOf(mfa.hold(ENTITY, [ENFORCEMENT], issued));
    // The sweep stops at the first login, which is still live, before reaching the second.
    clock.now = T0 + 250_000;
    await assert.rejects(mfa.validate(second, { [totp.id]: [codeAt(totp, clock.now)] }), { status: 400, message: EXPIRED });
    assert.deepEqual(await mfa.validate(first, { [totp.id]: [codeAt(totp, clock.now)] }), { data: { issued: true } });
  });

  test('live login completes', async () => {
    const { mfa, clock, totp } = await setup();
    const requestId = requestIdOf(mfa.hold(ENTITY, [ENFORCEMENT], issued));
    clock.now = T0 + 299_999;
    assert.deepEqual(await mfa.validate(requestId, { [totp.id]: [codeAt(totp, clock.now)] }), { data: { issued: true } });
  });
});
