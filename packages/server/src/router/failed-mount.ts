/**
 * The stand-in backend of a mount whose backend failed to start at unseal.
 * Vault skips such a mount and keeps unsealing, so one broken plugin cannot
 * keep every other mount sealed. The mount keeps its table entry and
 * storage, and a reload after the fix replaces this backend.
 */
import { CofferError, type ExistenceResult, type LogicalBackend, type Response, type SpecialPaths } from '@coffer/sdk';

/**
 * The status Vault returns for a mount without a backend: its router reports
 * an unsupported path, which Vault's HTTP layer maps to 404.
 */
const FAILED_MOUNT_STATUS = 404;

/** No path of a failed mount is reachable without a token or needs sudo beyond the ACL. */
const NO_SPECIAL_PATHS: SpecialPaths = { root: [], unauthenticated: [] };

/**
 * A backend that rejects every request with one error naming the mount, the
 * failure and the fix. No path is unauthenticated and the existence check
 * finds nothing, so the ACL still runs first and the mount fails closed.
 */
export class FailedMountBackend implements LogicalBackend {
  private readonly message: string;

  /**
   * @param mountPath the route of the mount, e.g. `auth/pw/`.
   * @param reason why the backend did not start; see {@link failureReason}.
   */
  constructor(
    readonly backendType: 'logical' | 'credential',
    mountPath: string,
    reason: string,
  ) {
    this.message = `mount "${mountPath}" failed to start at unseal: ${reason}; fix the plugin or its data, then reload the mount with sys/plugins/reload/backend`;
  }

  specialPaths(): SpecialPaths {
    return NO_SPECIAL_PATHS;
  }

  async handleRequest(): Promise<Response | null> {
    throw new CofferError('COFFER_ERR_MOUNT_FAILED', FAILED_MOUNT_STATUS, this.message);
  }

  async handleExistenceCheck(): Promise<ExistenceResult> {
    return { checkFound: false, exists: false };
  }
}

/**
 * Returns the part of a start failure that clients may read. An API error's
 * message is written for them. Any other error may carry internals, so its
 * details stay in the server log.
 */
export function failureReason(err: unknown): string {
  if (err instanceof CofferError) return err.message;
  return 'an internal error; see the server log';
}
