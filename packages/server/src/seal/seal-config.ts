/**
 * The seal configuration, stored in clear at `core/seal-config` because it
 * is needed before anything can be decrypted.
 */
import type { Storage } from '@coffer/sdk';
import { SEAL_CONFIG_PATH } from '../barrier/barrier.js';

export interface SealConfig {
  /** `shamir`, or the type of the auto-unseal seal that wraps the root key. */
  type: string;
  /** Unseal key shares; 1 for an auto seal, whose one key is the seal's. */
  secretShares: number;
  secretThreshold: number;
  /** Recovery key shares and threshold; set only for an auto seal. */
  recoveryShares?: number;
  recoveryThreshold?: number;
}

export async function readSealConfig(physical: Storage): Promise<SealConfig | null> {
  const entry = await physical.get(SEAL_CONFIG_PATH);
  if (entry === null) return null;
  return JSON.parse(entry.value.toString('utf8')) as SealConfig;
}

export async function writeSealConfig(physical: Storage, config: SealConfig): Promise<void> {
  await physical.put({ key: SEAL_CONFIG_PATH, value: Buffer.from(JSON.stringify(config)) });
}
