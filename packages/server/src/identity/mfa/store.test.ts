import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from '@coffer/sdk';
import { openStore } from '../test-support.js';
import { secretKey, type LoginEnforcement, type TotpMethod } from './model.js';
import { MfaStore } from './store.js';

const METHOD: TotpMethod = {
  id: 'method-1',
  name: 'phone',
  issuer: 'Coffer',
  period: 30,
  keySize: 20,
  qrSize: 200,
  algorithm: 'SHA1',
  digits: 6,
  skew: 1,
  maxValidationAttempts: 5,
};

const ENFORCEMENT: LoginEnforcement = {
  name: 'everyone',
  id: 'enforcement-1',
  methodIds: ['method-1'],
  authMethodAccessors: [],
  authMethodTypes: ['userpass'],
  identityGroupIds: [],
  identityEntityIds: [],
};

describe('mfa store', () => {
  test('secrets are encrypted at rest', async () => {
    const fixture = await openStore();
    const store = new MfaStore(fixture.barrier, silentLogger, fixture.store);
    await store.setup();
    const key = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    await store.putSecret(METHOD.id, 'entity-1', { key });

    // The barrier writes to the physical storage under the same key.
    const stored = await fixture.physical.get(secretKey(METHOD.id, 'entity-1'));
    assert.notEqual(stored, null);
    assert.equal(stored!.value.includes(Buffer.from(key)), false);
    assert.deepEqual(await store.readSecret(METHOD.id, 'entity-1'), { key });
  });

  test('setup loads methods and enforcements', async () => {
    const fixture = await openStore();
    const store = new MfaStore(fixture.barrier, silentLogger, fixture.store);
    await store.setup();
    await store.putMethod(METHOD);
    await store.putEnforcement(ENFORCEMENT);
    await store.putSecret(METHOD.id, 'entity-1', { key: 'MZXW6YTBOI' });

    const reopened = new MfaStore(fixture.barrier, silentLogger, await fixture.reopen());
    await reopened.setup();
    assert.deepEqual(reopened.method(METHOD.id), METHOD);
    assert.deepEqual(reopened.methodByIdOrName('phone'), METHOD);
    assert.deepEqual(reopened.enforcement('everyone'), ENFORCEMENT);
    assert.equal(reopened.hasEnforcements, true);

    await reopened.deleteEnforcement('everyone');
    await reopened.deleteMethod(METHOD.id);
    assert.equal(await reopened.readSecret(METHOD.id, 'entity-1'), undefined);
    assert.equal(reopened.hasEnforcements, false);
  });
});
