import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadText, loadTextError, PLAIN_LISTENER } from './test-helpers.js';

test('user_lockout stanzas load by label', async (t) => {
  const config = await loadText(
    t,
    'lockout.hcl',
    `${PLAIN_LISTENER}
user_lockout "all" {
  lockout_threshold = "3"
  lockout_duration = "10m"
}
user_lockout "userpass" {
  lockout_counter_reset = 60
  disable_lockout = false
}
`,
  );
  assert.deepEqual(config.userLockout, {
    all: { lockoutThreshold: 3, lockoutDuration: 600 },
    userpass: { lockoutCounterReset: 60, disableLockout: false },
  });
});

test('user_lockout rejects an unknown label', async (t) => {
  const { error } = await loadTextError(t, 'bad.hcl', `${PLAIN_LISTENER}\nuser_lockout "github" {\n  lockout_threshold = 3\n}\n`);
  assert.match(error.message, /invalid user_lockout label "github": use one of all, userpass, ldap, approle$/);
});

test('user_lockout rejects an unknown setting', async (t) => {
  const { error } = await loadTextError(t, 'bad.hcl', `${PLAIN_LISTENER}\nuser_lockout "all" {\n  lockout_treshold = 3\n}\n`);
  assert.match(error.message, /unknown setting "lockout_treshold".*Did you mean "lockout_threshold"\?$/);
});

test('user_lockout rejects a zero threshold', async (t) => {
  const { error } = await loadTextError(t, 'bad.hcl', `${PLAIN_LISTENER}\nuser_lockout "all" {\n  lockout_threshold = 0\n}\n`);
  assert.match(error.message, /invalid "lockout_threshold".*: expected a whole number of at least 1, got /);
});
