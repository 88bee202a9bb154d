import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { startDevServer } from '../testing/api-client.js';
import { DEFAULT_EXEMPT_PATHS } from './quota-manager.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../fixtures/hvac_quotas.py', import.meta.url));
// Debian's python3-hvac loads in the system interpreter, not in a python3
// that another installation puts first on PATH.
const PYTHON = '/usr/bin/python3';

const skip = existsSync(PYTHON) ? false : 'no /usr/bin/python3 on this machine';

test('hvac writes a quota and hits it', { skip }, async () => {
  const server = await startDevServer('hvac-quota-root');
  try {
    const { stdout } = await run(PYTHON, [SCRIPT, server.address, 'hvac-quota-root'], { timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), {
      read: { name: 'hvac-kv', path: 'secret/', role: '', rate: 3, interval: 2, block_interval: 0, inheritable: false, type: 'rate-limit' },
      list: ['hvac-kv'],
      config: { enable_rate_limit_audit_logging: false, enable_rate_limit_response_headers: true, rate_limit_exempt_paths: [...DEFAULT_EXEMPT_PATHS] },
      invalid_rate: 'invalid field "rate": must be positive, got 0',
      fourth_read: 'request path "secret/data/app": rate limit quota exceeded',
      after_window: { n: '1' },
      after_delete: null,
    });
  } finally {
    await server.close();
  }
});
