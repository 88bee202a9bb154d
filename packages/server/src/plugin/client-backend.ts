/**
 * The backend a mount of an external plugin gets: it forwards every call
 * to the plugin process over gRPC. A mount whose plugin could not be
 * started at unseal gets the mount manager's FailedMountBackend instead.
 */
import {
  callUnary,
  CofferError,
  errorFromWire,
  requestToWire,
  responseFromWire,
  type ExistenceResult,
  type LogicalBackend,
  type Logger,
  type Request,
  type Response,
  type SpecialPaths,
  type WireExistenceCheckReply,
  type WireHandleRequestReply,
} from '@coffer/sdk';
import { unavailable, type MountSession } from './plugin-process.js';
import type { PluginSupervisor } from './supervisor.js';

/**
 * Returns the message of an error returned as a response, Vault's
 * convention: the data contains only an "error" string. Vault returns 400
 * for such a response.
 */
function errorResponseMessage(response: Response | null): string | undefined {
  const data = response?.data;
  if (data === null || data === undefined || response?.secret !== undefined || response?.auth !== undefined) return undefined;
  const keys = Object.keys(data);
  return keys.length === 1 && typeof data.error === 'string' ? data.error : undefined;
}

/** A mount's backend that lives in a plugin process. */
export class ExternalBackend implements LogicalBackend {
  constructor(
    readonly backendType: 'logical' | 'credential',
    /** The mount's binding to its plugin process. */
    readonly session: MountSession,
    private readonly supervisor: PluginSupervisor,
    private readonly logger: Logger,
  ) {}

  /** Returns the special paths the plugin reported at Setup; the router compiles them when the mount is added. */
  specialPaths(): SpecialPaths {
    return this.session.specialPaths;
  }

  async initialize(): Promise<void> {
    this.checkAttached();
    try {
      await this.session.process.initialize(this.session);
    } catch (err) {
      if (err instanceof CofferError || !isGrpcError(err)) throw err;
      throw await this.session.process.describeCallFailure(err, this.session);
    }
  }

  async handleRequest(request: Request): Promise<Response | null> {
    const reply = await this.call<WireHandleRequestReply>('HandleRequest', { storage_id: 0, request: requestToWire(request, this.session.binding.accessor) });
    if (reply.err !== null && reply.err !== undefined) throw errorFromWire(reply.err, reply.response);
    const response = responseFromWire(reply.response);
    const errorMessage = errorResponseMessage(response);
    if (errorMessage !== undefined) throw new CofferError('COFFER_ERR_INVALID_REQUEST', 400, errorMessage);
    return response;
  }

  async handleExistenceCheck(request: Request): Promise<ExistenceResult> {
    const reply = await this.call<WireExistenceCheckReply>('HandleExistenceCheck', { storage_id: 0, request: requestToWire(request, this.session.binding.accessor) });
    if (reply.err !== null && reply.err !== undefined) throw errorFromWire(reply.err, null);
    return { checkFound: reply.check_found === true, exists: reply.exists === true };
  }

  /** Calls the plugin's Cleanup and releases the process, which stops once it serves no mount. */
  async cleanup(): Promise<void> {
    await this.supervisor.detach(this.session);
  }

  invalidate(key: string): void {
    this.call('InvalidateKey', { key }).catch((err: unknown) => {
      this.logger.warn({ err, plugin: this.session.process.entry.name, mount: this.session.binding.path }, 'plugin cache invalidation failed');
    });
  }

  private checkAttached(): void {
    if (this.session.detached) {
      throw unavailable(`mount "${this.session.binding.path}" of plugin "${this.session.process.entry.name}" is being reloaded or was disabled; retry the request`);
    }
  }

  private async call<Reply>(method: string, args: object): Promise<Reply> {
    this.checkAttached();
    const connection = await this.session.process.ready();
    try {
      return await callUnary<Reply>(connection.backend, method, args, { metadata: this.session.metadata() });
    } catch (err) {
      throw await this.session.process.describeCallFailure(err, this.session);
    }
  }
}

function isGrpcError(err: unknown): boolean {
  return typeof (err as { code?: unknown }).code === 'number';
}
