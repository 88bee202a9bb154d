import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backend, silentLogger } from '@coffer/sdk';
import { InmemStorage } from '@coffer/storage-inmem';
import { newMountEntry } from '../router/mount-table.js';
import { Router } from '../router/router.js';
import { PeriodicRunner } from './periodic-runner.js';

test('periodic runner runs each mount and survives a failure', async () => {
  const router = new Router();
  const calls: string[] = [];
  const working = new Backend({ backendType: 'logical', help: '', paths: [], periodic: async () => void calls.push('working') });
  const failing = new Backend({ backendType: 'logical', help: '', paths: [], periodic: async () => Promise.reject(new Error('boom')) });
  router.add(newMountEntry('one/', 'kv', {}), working, new InmemStorage());
  router.add(newMountEntry('two/', 'kv', {}), failing, new InmemStorage());

  const logged: string[] = [];
  const logger = { ...silentLogger, error: (_fields: object, message: string) => void logged.push(message), child: () => logger };
  const runner = new PeriodicRunner(router, logger);
  await runner.runOnce();
  await runner.runOnce();
  assert.deepEqual(calls, ['working', 'working']);
  assert.deepEqual(logged, ['periodic function failed; retrying at the next pass', 'periodic function failed; retrying at the next pass']);
});
