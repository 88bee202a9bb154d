/**
 * The plugin side of go-plugin's connection broker. The host opens the
 * GRPCBroker stream once and sends a ConnInfo for every service it offers
 * the plugin, such as the storage of one mount. The plugin dials the address
 * of a service ID when it needs it.
 */
import * as grpc from '@grpc/grpc-js';
import type { WireConnInfo } from './messages.js';
import { GRPC_OPTIONS } from './protocol.js';

/** How long a dial waits for the host's ConnInfo, as go-plugin's broker does. */
const DIAL_WAIT_MS = 5000;

type Waiter = (info: WireConnInfo) => void;

export class PluginBroker {
  private readonly received = new Map<number, WireConnInfo>();
  private readonly waiters = new Map<number, Waiter[]>();
  private readonly streams = new Set<grpc.ServerDuplexStream<WireConnInfo, WireConnInfo>>();

  /** The GRPCBroker.StartStream handler. */
  readonly startStream = (call: grpc.ServerDuplexStream<WireConnInfo, WireConnInfo>): void => {
    this.streams.add(call);
    call.on('data', (info: WireConnInfo) => this.receive(info));
    call.on('end', () => {
      this.streams.delete(call);
      call.end();
    });
    call.on('error', () => this.streams.delete(call));
  };

  /**
   * Waits for the host's connection details of `serviceId` and opens a
   * client of `service` to it. Pass the client as `channelOverride` of
   * further clients to share its connection.
   * @throws Error when the host sends no details in time or an unknown network.
   */
  async dial(serviceId: number, service: grpc.ServiceClientConstructor, credentials: grpc.ChannelCredentials): Promise<grpc.Client> {
    const info = await this.waitFor(serviceId);
    let target: string;
    if (info.network === 'unix') target = `unix://${info.address}`;
    else if (info.network === 'tcp') target = info.address ?? '';
    else throw new Error(`broker service ${serviceId}: unsupported network ${JSON.stringify(info.network)}`);
    return new service(target, credentials, GRPC_OPTIONS);
  }

  /** Ends the broker streams, so the server can shut down. */
  close(): void {
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  private receive(info: WireConnInfo): void {
    // Knocks belong to go-plugin's multiplexed broker mode, which this side never offers.
    if (info.knock !== null && info.knock !== undefined && info.knock.knock === true) return;
    const id = info.service_id ?? 0;
    const waiting = this.waiters.get(id);
    if (waiting !== undefined && waiting.length > 0) {
      waiting.shift()!(info);
      if (waiting.length === 0) this.waiters.delete(id);
      return;
    }
    this.received.set(id, info);
  }

  private waitFor(serviceId: number): Promise<WireConnInfo> {
    const known = this.received.get(serviceId);
    if (known !== undefined) {
      this.received.delete(serviceId);
      return Promise.resolve(known);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const waiting = this.waiters.get(serviceId) ?? [];
        const index = waiting.indexOf(waiter);
        if (index >= 0) waiting.splice(index, 1);
        reject(new Error(`timed out after ${DIAL_WAIT_MS} ms waiting for the host to offer broker service ${serviceId}`));
      }, DIAL_WAIT_MS);
      const waiter: Waiter = (info) => {
        clearTimeout(timer);
        resolve(info);
      };
      const waiting = this.waiters.get(serviceId) ?? [];
      waiting.push(waiter);
      this.waiters.set(serviceId, waiting);
    });
  }
}
