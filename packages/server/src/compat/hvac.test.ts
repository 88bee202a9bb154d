import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { startConfiguredServer } from '../testing/api-client.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../fixtures/hvac_roundtrip.py', import.meta.url));
// Debian's python3-hvac loads in the system interpreter, not in a python3
// that another installation puts first on PATH.
const PYTHON = '/usr/bin/python3';

test('hvac initializes, unseals and round-trips KV v2', { skip: existsSync(PYTHON) ? false : 'no /usr/bin/python3 on this machine' }, async () => {
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
