/**
 * Lease tidy: clears what a crash or a bug can leave behind. It deletes
 * token index entries and auth pointers that name no lease, and deletes the
 * leases of paths no mount serves any more. When the core can check which
 * tokens exist, it also revokes the leases of deleted tokens, as Vault's
 * `sys/leases/tidy` does.
 */
import type { Logger } from '@coffer/sdk';
import type { LeaseTarget } from './backend-request.js';
import type { LeaseEntry } from './lease-entry.js';
import type { LeaseStore } from './lease-store.js';

export interface TidyContext {
  store: LeaseStore;
  logger: Logger;
  resolve(path: string): LeaseTarget | undefined;
  /** Returns whether a token exists; without it, tidy keeps every lease of a mounted path. */
  tokenExists?: (saltedTokenId: string) => Promise<boolean>;
  /** Deletes a lease with its index entries and schedule, calling no backend. */
  forget(entry: LeaseEntry): Promise<void>;
  /** Revokes a lease and deletes it even when the backend fails. */
  forceRevoke(leaseId: string): Promise<void>;
}

/** Counts of what a tidy run removed. */
export interface TidyReport {
  scannedLeases: number;
  unmountedLeases: number;
  orphanedLeases: number;
  danglingIndexEntries: number;
  danglingAuthPointers: number;
  /** Leases that failed to load or to revoke; each one is logged. */
  errors: number;
}

export async function tidyLeases(context: TidyContext): Promise<TidyReport> {
  const report: TidyReport = { scannedLeases: 0, unmountedLeases: 0, orphanedLeases: 0, danglingIndexEntries: 0, danglingAuthPointers: 0, errors: 0 };
  await tidyEntries(context, report);
  await tidyTokenIndex(context, report);
  await tidyAuthPointers(context, report);
  return report;
}

async function tidyEntries(context: TidyContext, report: TidyReport): Promise<void> {
  const tokenCache = new Map<string, boolean>();
  const tokenAlive = async (saltedTokenId: string): Promise<boolean> => {
    if (context.tokenExists === undefined || saltedTokenId === '') return true;
    let alive = tokenCache.get(saltedTokenId);
    if (alive === undefined) {
      alive = await context.tokenExists(saltedTokenId);
      tokenCache.set(saltedTokenId, alive);
    }
    return alive;
  };

  for (const leaseId of await context.store.collect('')) {
    report.scannedLeases += 1;
    try {
      const entry = await context.store.load(leaseId);
      if (entry === null) continue;

      if (entry.kind === 'secret' && context.resolve(entry.path) === undefined) {
        await context.forget(entry);
        report.unmountedLeases += 1;
        context.logger.warn({ leaseId }, 'tidy deleted a lease whose mount is gone');
      } else if (!(await tokenAlive(entry.clientTokenId))) {
        if (entry.kind === 'secret') await context.forceRevoke(leaseId);
        else await context.forget(entry);
        report.orphanedLeases += 1;
        context.logger.info({ leaseId }, 'tidy revoked a lease whose token is gone');
      }
    } catch (err) {
      report.errors += 1;
      context.logger.error({ leaseId, err }, 'tidy failed on a lease');
    }
  }
}

async function tidyTokenIndex(context: TidyContext, report: TidyReport): Promise<void> {
  for (const saltedTokenId of await context.store.indexedTokens()) {
    for (const index of await context.store.tokenIndex(saltedTokenId)) {
      const entry = await loadQuietly(context, index.leaseId);
      if (entry !== undefined && entry !== null && entry.clientTokenId === saltedTokenId) continue;
      if (entry === undefined) {
        report.errors += 1;
        continue;
      }
      await context.store.deleteKey(index.key);
      report.danglingIndexEntries += 1;
    }
  }
}

async function tidyAuthPointers(context: TidyContext, report: TidyReport): Promise<void> {
  for (const saltedTokenId of await context.store.authPointers()) {
    const leaseId = await context.store.authLease(saltedTokenId);
    if (leaseId === null) continue;
    const entry = await loadQuietly(context, leaseId);
    if (entry === undefined) {
      report.errors += 1;
      continue;
    }
    if (entry !== null && entry.kind === 'auth' && entry.clientTokenId === saltedTokenId) continue;
    await context.store.removeAuthLease(saltedTokenId);
    report.danglingAuthPointers += 1;
  }
}

/** Loads a lease; undefined (after logging) when the entry cannot be read, so tidy never deletes on a read error. */
async function loadQuietly(context: TidyContext, leaseId: string): Promise<LeaseEntry | null | undefined> {
  try {
    return await context.store.load(leaseId);
  } catch (err) {
    context.logger.error({ leaseId, err }, 'tidy failed to read a lease');
    return undefined;
  }
}
