/**
 * Runs the built plugin (dist/index.js) under a real Coffer dev server:
 * registers it by SHA-256, enables it and checks what it records. Build first.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './test-server.js';

describe('__NAME__ under a real server', () => {
  let coffer: TestServer;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), '__NAME__-acceptance-'));
    coffer = await startTestServer('audit', '__NAME__');
  });

  after(async () => {
    await coffer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('records requests with HMACs', async () => {
    const path = join(dir, 'audit.log');
    const enabled = await coffer.call('PUT', 'sys/audit/__NAME__', { type: '__NAME__', options: { path } });
    assert.equal(enabled.status, 204, `${JSON.stringify(enabled.body)}\n${coffer.logLines.join('')}`);

    const written = await coffer.call('PUT', 'cubbyhole/acceptance', { secret: 'do-not-log-me' });
    assert.equal(written.status, 204);
    const log = await readFile(path, 'utf8');
    assert.equal(log.includes('do-not-log-me'), false);
    assert.match(log, /"secret":"hmac-sha256:[0-9a-f]{64}"/);
  });
});
