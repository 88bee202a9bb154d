import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { startConfiguredServer, startDevServer } from '../testing/api-client.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../fixtures/hvac_roundtrip.py', import.meta.url));
const TOKENS_SCRIPT = fileURLToPath(new URL('../../fixtures/hvac_tokens.py', import.meta.url));
// Debian's python3-hvac loads in the system interpreter, not in a python3
// that another installation puts first on PATH.
const PYTHON = '/usr/bin/python3';

const skip = existsSync(PYTHON) ? false : 'no /usr/bin/python3 on this machine';

test('hvac initializes, unseals and round-trips KV v2', { skip }, async () => {
  const server = await startConfiguredServer();
  try {
    const { stdout } = await run(PYTHON, [SCRIPT, server.address], { timeout: 60_000 });
    const seen = JSON.parse(stdout);
    assert.deepEqual(seen, {
      initialized_before: false,
      sealed_after_unseal: false,
      authenticated: true,
      read_data: { key: 'value-2' },
      read_version: 2,
      first_version_data: { key: 'value-1' },
      list: ['api'],
      current_version: 2,
      read_after_delete: 'not found',
    });
  } finally {
    await server.close();
  }
});

test('hvac drives tokens, policies and wrapping', { skip }, async () => {
  const server = await startDevServer('hvac-root');
  try {
    const { stdout } = await run(PYTHON, [TOKENS_SCRIPT, server.address, 'hvac-root'], { timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), {
      policy_listed: true,
      policy_text: true,
      created_policies: ['default', 'team-read'],
      created_ttl: 3600,
      member_read: { password: 'pw' },
      member_write: 'forbidden',
      lookup_self_policies: ['default', 'team-read'],
      renewed_ttl: 1800,
      wrap_ttl: 120,
      unwrapped_has_token: true,
      second_unwrap: 'wrapping token is not valid or does not exist',
      after_revoke: 'forbidden',
      policy_deleted: true,
    });
  } finally {
    await server.close();
  }
});
