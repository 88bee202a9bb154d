/**
 * The active node's advertisement: where it serves and since when, stored
 * behind the barrier so that standbys, whose barriers are unsealed, can
 * report it in `sys/leader`. The lock's own value carries only `api_addr`.
 */
import type { Barrier } from '../barrier/barrier.js';

/** The storage key of the advertisement. */
export const ADVERTISEMENT_PATH = 'core/leader';

export interface Advertisement {
  apiAddr: string;
  clusterAddr: string;
  /** RFC 3339 time at which the node became active. */
  activeTime: string;
  /**
   * A random secret of this term as active node. Standbys send it with a
   * forwarded request, so the active node can trust the client address
   * they pass on. Empty in an advertisement written before it existed.
   */
  forwardingKey: string;
}

export async function writeAdvertisement(barrier: Barrier, advertisement: Advertisement): Promise<void> {
  await barrier.put({ key: ADVERTISEMENT_PATH, value: Buffer.from(JSON.stringify(advertisement)) });
}

/**
 * Reads the advertisement; `null` when none was written. An entry that does
 * not decrypt gets one retry after reloading the keyring, since the active
 * node may have rotated it.
 * @throws Error when storage fails or the entry still does not decrypt.
 */
export async function readAdvertisement(barrier: Barrier): Promise<Advertisement | null> {
  let entry;
  try {
    entry = await barrier.get(ADVERTISEMENT_PATH);
  } catch {
    // A newer key term written by the active node: load the keyring again, once.
    await barrier.reloadKeyring();
    entry = await barrier.get(ADVERTISEMENT_PATH);
  }
  if (entry === null) return null;
  const parsed = JSON.parse(entry.value.toString('utf8')) as Partial<Advertisement>;
  return {
    apiAddr: String(parsed.apiAddr ?? ''),
    clusterAddr: String(parsed.clusterAddr ?? ''),
    activeTime: String(parsed.activeTime ?? ''),
    forwardingKey: String(parsed.forwardingKey ?? ''),
  };
}
