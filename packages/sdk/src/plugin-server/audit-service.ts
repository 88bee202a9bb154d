/**
 * The plugin side of `coffer.audit.v1.AuditDevice`: opens a device per
 * `Create` and routes every later call to the device named by the call's
 * `multiplex_id` metadata, the device's UUID on the host.
 */
import * as grpc from '@grpc/grpc-js';
import { COMMON_AUDIT_OPTIONS, type AuditDevice } from '../audit.js';
import type { Logger } from '../logger.js';
import type { AuditPlugin } from '../plugin.js';
import { MULTIPLEX_ID_METADATA_KEY, unaryHandler } from './protocol.js';

/** The device ID used when the host sends no multiplex ID. */
const SINGLE_DEVICE_ID = 'single';

function statusError(code: grpc.status, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function deviceId(metadata: grpc.Metadata): string {
  const values = metadata.get(MULTIPLEX_ID_METADATA_KEY);
  return values.length > 0 ? String(values[0]) : SINGLE_DEVICE_ID;
}

export class AuditService {
  private readonly devices = new Map<string, AuditDevice>();

  constructor(
    private readonly plugin: AuditPlugin,
    private readonly logger: Logger,
  ) {}

  /** Returns the gRPC handlers of `coffer.audit.v1.AuditDevice`. */
  implementation(): grpc.UntypedServiceImplementation {
    return {
      Create: unaryHandler(async (request: { options?: Record<string, string> }, call) => {
        const id = deviceId(call.metadata);
        if (this.devices.has(id)) throw statusError(grpc.status.ALREADY_EXISTS, `audit device "${id}" is already open`);
        // The host keeps the common options and sends only the device's own, so any other name is unknown here.
        const options = request.options ?? {};
        const unknown = Object.keys(options).find((name) => !this.plugin.settings.includes(name));
        if (unknown !== undefined) {
          const valid = [...COMMON_AUDIT_OPTIONS, ...this.plugin.settings].join(', ');
          throw statusError(grpc.status.INVALID_ARGUMENT, `unknown option "${unknown}"; valid options: ${valid}`);
        }
        let device: AuditDevice;
        try {
          device = await this.plugin.create(options, { logger: this.logger.child({ auditDevice: id }) });
        } catch (err) {
          throw statusError(grpc.status.INVALID_ARGUMENT, err instanceof Error ? err.message : String(err));
        }
        this.devices.set(id, device);
        return {};
      }),
      Write: unaryHandler(async (request: { entries?: Buffer }, call) => {
        await this.device(call.metadata).write(request.entries ?? Buffer.alloc(0));
        return {};
      }),
      Reopen: unaryHandler(async (_request: object, call) => {
        await this.device(call.metadata).reopen?.();
        return {};
      }),
      Close: unaryHandler(async (_request: object, call) => {
        const id = deviceId(call.metadata);
        const device = this.devices.get(id);
        if (device === undefined) return {};
        this.devices.delete(id);
        await device.close();
        return {};
      }),
    };
  }

  /** Closes every open device, when the plugin stops. */
  async close(): Promise<void> {
    const devices = [...this.devices.values()];
    this.devices.clear();
    await Promise.all(
      devices.map((device) => device.close().catch((err: unknown) => this.logger.error({ err: (err as Error).message }, 'audit device failed to close'))),
    );
  }

  private device(metadata: grpc.Metadata): AuditDevice {
    const id = deviceId(metadata);
    const device = this.devices.get(id);
    if (device === undefined) throw statusError(grpc.status.FAILED_PRECONDITION, `audit device "${id}" is not open; call Create first`);
    return device;
  }
}
