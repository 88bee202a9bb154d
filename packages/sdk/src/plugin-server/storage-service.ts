/**
 * The plugin side of `coffer.storage.v1.StorageBackend`: opens the plugin's
 * store on `Create` and forwards every later call to it. One process serves
 * one store.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import type { StoragePlugin } from '../plugin.js';
import { validateStorageKey, type ClosableStorage } from '../storage.js';
import { unaryHandler } from './protocol.js';
import { unknownSettingMessage } from './seal-service.js';

function statusError(code: grpc.status, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Checks a key before it reaches the store, so that a host that skipped its
 * own check cannot make a file backend leave its folder.
 */
function checkKey(key: string): string {
  const problem = validateStorageKey(key);
  if (problem !== null) throw statusError(grpc.status.INVALID_ARGUMENT, `invalid key: ${problem}`);
  return key;
}

function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  const problem = prefix.endsWith('/') ? validateStorageKey(prefix.slice(0, -1)) : `prefix "${prefix}" must be empty or end with "/"`;
  if (problem !== null) throw statusError(grpc.status.INVALID_ARGUMENT, `invalid prefix: ${problem}`);
  return prefix;
}

export class StorageService {
  private storage: ClosableStorage | undefined;
  private creating = false;

  constructor(
    private readonly plugin: StoragePlugin,
    private readonly logger: Logger,
  ) {}

  /** Returns the gRPC handlers of `coffer.storage.v1.StorageBackend`. */
  implementation(): grpc.UntypedServiceImplementation {
    return {
      Create: unaryHandler(async (request: { settings?: Record<string, string> }) => {
        if (this.storage !== undefined || this.creating) {
          throw statusError(grpc.status.FAILED_PRECONDITION, 'the storage is already open; Create is called once per process');
        }
        const settings = request.settings ?? {};
        const unknown = unknownSettingMessage(settings, this.plugin.settings);
        if (unknown !== undefined) throw statusError(grpc.status.INVALID_ARGUMENT, unknown);
        this.creating = true;
        try {
          this.storage = await this.plugin.create(settings, { logger: this.logger });
        } catch (err) {
          throw statusError(grpc.status.INVALID_ARGUMENT, err instanceof Error ? err.message : String(err));
        } finally {
          this.creating = false;
        }
        return {};
      }),
      Get: unaryHandler(async (request: { key?: string }) => {
        const entry = await this.open().get(checkKey(request.key ?? ''));
        return entry === null ? { found: false, value: Buffer.alloc(0) } : { found: true, value: entry.value };
      }),
      Put: unaryHandler(async (request: { key?: string; value?: Buffer }) => {
        await this.open().put({ key: checkKey(request.key ?? ''), value: request.value ?? Buffer.alloc(0) });
        return {};
      }),
      Delete: unaryHandler(async (request: { key?: string }) => {
        await this.open().delete(checkKey(request.key ?? ''));
        return {};
      }),
      List: unaryHandler(async (request: { prefix?: string }) => ({ keys: await this.open().list(checkPrefix(request.prefix ?? '')) })),
      Close: unaryHandler(async () => {
        await this.close();
        return {};
      }),
    };
  }

  /** Closes the store if it is open, when the host calls Close or the plugin stops. */
  async close(): Promise<void> {
    const storage = this.storage;
    this.storage = undefined;
    await storage?.close();
  }

  private open(): ClosableStorage {
    if (this.storage === undefined) throw statusError(grpc.status.FAILED_PRECONDITION, 'the storage is not open; call Create first');
    return this.storage;
  }
}
