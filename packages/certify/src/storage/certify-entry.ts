/**
 * The test file that `coffer plugin certify` runs under `node --test` for a
 * storage plugin: the storage conformance suite and the HA checks, against
 * the module and settings given in the environment variable
 * COFFER_CERTIFY_STORAGE as JSON ({@link StorageCertifyInput}).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isHaStorage, silentLogger, type HaStorage, type StoragePlugin } from '@coffer/sdk';
import { runHaLockCases, type HaContender } from './ha-cases.js';
import { runStorageConformance, type StorageCase } from './suite.js';

/** The JSON in COFFER_CERTIFY_STORAGE. */
export interface StorageCertifyInput {
  /** Plugin name, as skip reasons and failure messages show it. */
  name: string;
  /** `file:` URL of the plugin's module, which exports `plugin`. */
  module: string;
  /** Settings of each case; `{{dir}}` stands for the case's scratch folder. */
  settings: Record<string, string>;
  persistent: boolean;
  /** Whether the plugin claims an HA lock. */
  ha: boolean;
  /**
   * Set when `module` reaches the plugin over the wire: the storage protocol
   * has no lock calls, so an HA claim cannot be checked and is skipped with
   * this reason.
   */
  wire?: boolean;
  skip?: Partial<Record<StorageCase, string>>;
}

const raw = process.env.COFFER_CERTIFY_STORAGE;
if (raw === undefined) throw new Error('COFFER_CERTIFY_STORAGE is not set; coffer plugin certify sets it');
const input = JSON.parse(raw) as StorageCertifyInput;

runStorageConformance({
  name: input.name,
  module: input.module,
  settings: ({ dir }) => expand(dir),
  persistent: input.persistent,
  ...(input.skip !== undefined ? { skip: input.skip } : {}),
});

const expand = (dir: string): Record<string, string> => Object.fromEntries(Object.entries(input.settings).map(([name, value]) => [name, value.replaceAll('{{dir}}', dir)]));

/** How long a second contender waits to show that it cannot take a held lock, in milliseconds. */
const CONTENDER_WAIT_MS = 500;
/** How long a contender may wait for a released lock, in milliseconds. */
const RELEASED_WAIT_MS = 10_000;
/** The time the HA lock cases hold a lock while another contender waits, in milliseconds. */
const HA_HOLD_MS = 1_000;
/**
 * The maximum time for another contender to take over a lock whose holder's
 * storage closed, in milliseconds. The plugin's lock TTL is unknown here, so
 * this bound allows TTLs of up to about a minute.
 */
const HA_TAKEOVER_WITHIN_MS = 60_000;
const NOT_HA_STORAGE = 'the plugin claims HA, but its storage does not implement HaStorage with haEnabled() true; set the settings that enable HA';

async function checkLockExclusion(storage: HaStorage): Promise<void> {
  const key = `certify/lock-${process.pid}-${Date.now()}`;
  const first = storage.lockWith(key, 'first');
  const second = storage.lockWith(key, 'second');
  const lost = await first.lock(new AbortController().signal);
  if (lost === undefined) throw new Error('the first contender did not get a free lock');
  try {
    const holder = await first.value();
    if (!holder.held || holder.value !== 'first') throw new Error(`value() returned ${JSON.stringify(holder)} while the first contender held the lock`);
    const waiting = await second.lock(AbortSignal.timeout(CONTENDER_WAIT_MS));
    if (waiting !== undefined) throw new Error('a second contender got the lock while the first held it');
  } finally {
    await first.unlock();
  }
  const taken = await second.lock(AbortSignal.timeout(RELEASED_WAIT_MS));
  if (taken === undefined) throw new Error(`the second contender did not get the lock within ${RELEASED_WAIT_MS} ms of unlock`);
  const holder = await second.value();
  await second.unlock();
  if (!holder.held || holder.value !== 'second') throw new Error(`value() returned ${JSON.stringify(holder)} while the second contender held the lock`);
  const released = await second.value();
  if (released.held) throw new Error(`value() returned ${JSON.stringify(released)} after unlock, expected held false`);
}

/** Returns why the HA checks are skipped, or `undefined` when they run. */
function haSkipReason(): string | undefined {
  if (!input.ha) return 'the plugin does not claim HA (certify { storage { ha = true } } is not set)';
  if (input.wire === true) return 'storage plugins served over the wire cannot offer an HA lock: coffer.storage.v1 has no lock calls, so only in-process modules implement HaStorage';
  return undefined;
}

describe('storage ha', () => {
  test('ha lock: one holder at a time, released on close', { skip: haSkipReason() ?? false }, async () => {
    const { plugin } = (await import(input.module)) as { plugin: StoragePlugin };
    const dir = await mkdtemp(join(tmpdir(), 'coffer-certify-ha-'));
    const storage = await plugin.create(expand(dir), { logger: silentLogger });
    try {
      if (!isHaStorage(storage)) throw new Error(NOT_HA_STORAGE);
      await checkLockExclusion(storage);
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The scratch folder that the HA lock cases' storages share, made by the first case that needs it. */
let haDir: Promise<string> | undefined;
after(async () => {
  if (haDir !== undefined) await rm(await haDir, { recursive: true, force: true });
});

/** Opens one storage of the plugin with HA enabled, as one server of several would. */
async function openContender(): Promise<HaContender> {
  const { plugin } = (await import(input.module)) as { plugin: StoragePlugin };
  const dir = await (haDir ??= mkdtemp(join(tmpdir(), 'coffer-certify-ha-cases-')));
  const storage = await plugin.create(expand(dir), { logger: silentLogger });
  if (!isHaStorage(storage)) {
    await storage.close();
    throw new Error(NOT_HA_STORAGE);
  }
  return storage as HaContender;
}

runHaLockCases({
  name: input.name,
  contenders: async () => [await openContender(), await openContender()],
  holdMs: HA_HOLD_MS,
  takeoverWithinMs: HA_TAKEOVER_WITHIN_MS,
  ...(haSkipReason() !== undefined ? { skip: haSkipReason() } : {}),
});
