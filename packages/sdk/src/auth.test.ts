import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkTokenSettings, type TokenSettings } from './auth.js';

const SERVICE: TokenSettings = {
  tokenTtl: 0,
  tokenMaxTtl: 0,
  tokenExplicitMaxTtl: 0,
  tokenPeriod: 0,
  tokenPolicies: [],
  tokenBoundCidrs: [],
  tokenNoDefaultPolicy: false,
  tokenNumUses: 0,
  tokenType: 'service',
};

const CIDR_HINT = 'expected an IP address or a CIDR block such as "10.0.0.0/8"';

describe('checkTokenSettings', () => {
  test('accepts addresses and blocks', () => {
    const tokenBoundCidrs = ['10.0.0.0/8', '192.168.1.7', '::1', 'fd00::/8', '0.0.0.0/0', '::/128'];
    assert.doesNotThrow(() => checkTokenSettings({ ...SERVICE, tokenBoundCidrs }));
  });

  const badCidrs = ['10.0.0.0/33', '::/129', '999.1.1.1/8', 'fffff::/8', '10.0.0.0/8/8', '10.0.0.0/', '10.0.0.0/-1', 'nonsense'];
  for (const entry of badCidrs) {
    test(`rejects token_bound_cidrs ${entry}`, () => {
      assert.throws(() => checkTokenSettings({ ...SERVICE, tokenBoundCidrs: [entry] }), {
        message: `invalid "token_bound_cidrs" entry "${entry}": ${CIDR_HINT}`,
      });
    });
  }

  test('rejects batch limits', () => {
    assert.throws(() => checkTokenSettings({ ...SERVICE, tokenType: 'batch', tokenNumUses: 2 }), {
      message: 'invalid "token_type" "batch": batch tokens cannot have a use limit, set "token_num_uses" to 0 or "token_type" to "service"',
    });
    assert.throws(() => checkTokenSettings({ ...SERVICE, tokenType: 'default-batch', tokenPeriod: 60 }), {
      message: 'invalid "token_type" "default-batch": batch tokens cannot be periodic, set "token_period" to 0 or "token_type" to "service"',
    });
  });
});
