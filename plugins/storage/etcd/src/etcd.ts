/**
 * The etcd storage backend, on etcd's v3 API through the `etcd3` client.
 *
 * Layout (Vault's): storage key `a/b/c` is the etcd key `<path>a/b/c`, with
 * `path` `/vault/` by default, and the value is stored as given.
 *
 * Durability: etcd acknowledges a put or delete after the write is committed
 * to the write-ahead log of a majority of members, so an acknowledged write
 * survives the loss of this process and of any minority of etcd members.
 *
 * Listing: etcd's keys are flat and sorted by bytes. `list` reads the key
 * range of the folder in batches of keys only, and each time it meets a
 * key inside a sub-folder it records the folder and restarts the range past
 * it (at `<folder>0`, since `0` follows `/` in byte order). So a listing
 * costs about one request per sub-folder plus one per
 * {@link DEFAULT_LIST_BATCH} direct keys, and transfers at most one batch of
 * each sub-folder's keys, however large the sub-folder is. Vault's backend
 * instead reads every key of the subtree in one range.
 *
 * Value size: etcd refuses requests above its `--max-request-bytes`
 * (1.5 MiB by default), so the largest entry is a little under that unless
 * the etcd members are started with a higher limit.
 */
import { circuitBreaker, ConsecutiveBreaker, handleWhen, retry } from 'cockatiel';
import { Etcd3, GRPCResourceExhastedError, isRecoverableError, Range, type IOptions } from 'etcd3';
import { CofferError, validateStorageKey, type ClosableStorage, type HaStorage, type Lock, type Logger, type StorageEntry } from '@coffer/sdk';
import { EtcdLock, lockKeyFor, timingForTtl, type LockTiming } from './etcd-ha.js';
import type { EtcdSettings } from './settings.js';

/**
 * Returns true for a client error that a retry, possibly on another etcd
 * member, can fix. etcd3 counts RESOURCE_EXHAUSTED as recoverable, but etcd
 * returns it for a request over its gRPC size limit, and a retry fails the same way.
 */
function isTransientError(err: Error): boolean {
  return isRecoverableError(err) && !(err instanceof GRPCResourceExhastedError);
}

/** Keys read per request while listing. */
export const DEFAULT_LIST_BATCH = 500;

/** Options for tests; none is a setting of the stanza. */
export interface EtcdStorageOptions {
  /** Keys read per request while listing; {@link DEFAULT_LIST_BATCH} by default. */
  listBatch?: number;
  /** HA lock timing; derived from the `session_ttl` setting by default. */
  lockTiming?: LockTiming;
}

/** Storage under one key prefix of an etcd cluster. Create it with {@link EtcdStorage.open}. */
export class EtcdStorage implements ClosableStorage, HaStorage {
  /** Operations started and not yet settled, which close waits for. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(
    private readonly client: Etcd3,
    private readonly settings: EtcdSettings,
    private readonly logger: Logger,
    private readonly listBatch: number,
    private readonly lockTiming: LockTiming,
  ) {}

  /**
   * Connects and checks that the key prefix can be read.
   *
   * @throws Error, with the password and hosts removed, when etcd cannot be
   *   reached, rejects the credentials or does not respond within `request_timeout`
   */
  static async open(settings: EtcdSettings, logger: Logger, options: EtcdStorageOptions = {}): Promise<EtcdStorage> {
    const client = new Etcd3(clientOptions(settings));
    const lockTiming = options.lockTiming ?? timingForTtl(settings.sessionTtlMs);
    const storage = new EtcdStorage(client, settings, logger, options.listBatch ?? DEFAULT_LIST_BATCH, lockTiming);
    try {
      await storage.run('connect', () => client.getAll().prefix(settings.path).limit(1).keys());
    } catch (err) {
      client.close();
      throw err;
    }
    logger.info({ endpoints: settings.endpoints.length, path: settings.path, haEnabled: settings.haEnabled }, 'etcd storage opened');
    return storage;
  }

  async get(key: string): Promise<StorageEntry | null> {
    const etcdKey = this.etcdKey(key);
    const value = await this.run('get', () => this.client.get(etcdKey).buffer());
    return value === null ? null : { key, value };
  }

  async put(entry: StorageEntry): Promise<void> {
    const etcdKey = this.etcdKey(entry.key);
    // Copy now: the client serializes the value later, and the caller may reuse its buffer.
    const value = Buffer.from(entry.value);
    await this.run('put', () => this.client.put(etcdKey).value(value).exec());
  }

  async delete(key: string): Promise<void> {
    const etcdKey = this.etcdKey(key);
    await this.run('delete', () => this.client.delete().key(etcdKey).exec());
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    const folder = Buffer.from(this.settings.path + prefix);
    // Every key below `a/b/` lies in [`a/b/`, `a/b0`).
    const end = Buffer.concat([folder.subarray(0, -1), Buffer.from('0')]);
    const children = new Set<string>();
    let from = folder;

    for (;;) {
      const start = from;
      const response = await this.run('list', () => this.client.getAll().inRange(new Range(start, end)).limit(this.listBatch).exec());
      const keys = response.kvs.map((kv) => kv.key);
      for (const key of keys) {
        if (Buffer.compare(key, from) < 0) continue;
        const rest = key.subarray(folder.length);
        const slash = rest.indexOf(0x2f);
        if (slash === -1) {
          children.add(rest.toString('utf8'));
          continue;
        }
        children.add(rest.subarray(0, slash + 1).toString('utf8'));
        // Skip the rest of this sub-folder, in this batch and in the next request.
        from = Buffer.concat([folder, rest.subarray(0, slash), Buffer.from('0')]);
      }
      if (!response.more) break;
      const afterLast = Buffer.concat([keys[keys.length - 1], Buffer.from([0])]);
      if (Buffer.compare(afterLast, from) > 0) from = afterLast;
    }
    // Sort in JS: etcd's byte order is UTF-8 order, which differs from the
    // UTF-16 code unit order that `childrenOf` defines.
    return [...children].sort();
  }

  haEnabled(): boolean {
    return this.settings.haEnabled;
  }

  /**
   * Creates a handle on the lock `key`, kept at {@link lockKeyFor} beside the data prefix.
   * @throws Error when `ha_enabled` is off.
   */
  lockWith(key: string, value: string): Lock {
    if (!this.settings.haEnabled) throw new Error('storage "etcd": HA is not enabled; set "ha_enabled" to "true" to use locks');
    const run = <T>(operation: string, call: () => Promise<T>) => this.run(operation, call);
    return new EtcdLock(this.client, run, lockKeyFor(this.settings.path, key), value, this.lockTiming, this.logger);
  }

  /** Waits for the operations in flight, then closes the connections. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.client.close();
    this.logger.info({ path: this.settings.path }, 'etcd storage closed');
  }

  private etcdKey(key: string): string {
    const problem = validateStorageKey(key) ?? wellFormed(key);
    if (problem !== null) throw new Error(`storage "etcd": invalid key: ${problem}`);
    return this.settings.path + key;
  }

  /** Runs one client call, counting it as in flight; a client error comes back scrubbed. */
  private async run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('storage "etcd": the storage is closed');
    const running = call();
    this.inFlight.add(running);
    try {
      return await running;
    } catch (err) {
      throw this.describe(operation, err);
    } finally {
      this.inFlight.delete(running);
    }
  }

  /** Wraps a client error with the operation, a hint where one helps, and no password or host. */
  private describe(operation: string, err: unknown): Error {
    let message = err instanceof Error ? err.message : String(err);
    if (this.settings.auth !== undefined) message = message.split(this.settings.auth.password).join('<password>');
    for (const endpoint of this.settings.endpoints) {
      const host = new URL(endpoint).host;
      message = message.split(host).join('<host>').split(new URL(endpoint).hostname).join('<host>');
    }
    message = message.replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<host>');
    if (/request is too large|received message larger than max/i.test(message)) {
      // The client gets 413, which the server does not log, so the hint for the operator is logged here.
      this.logger.warn({ operation, err: { message } }, 'etcd rejected an entry as too large; raise --max-request-bytes on the etcd members');
      return new CofferError(
        'COFFER_ERR_STORAGE_VALUE_TOO_LARGE',
        413,
        `storage "etcd": ${operation} failed: the entry is larger than the etcd members accept: raise their --max-request-bytes`,
      );
    }
    let hint = '';
    if (/authentication failed|invalid auth token|user name is empty/i.test(message)) {
      hint = '; check settings "username" and "password"';
    } else if (/permission denied/i.test(message)) {
      hint = `; grant the etcd user read and write on the prefix "${this.settings.path}"`;
    }
    const code = err instanceof Error && err.name !== 'Error' ? ` (${err.name})` : '';
    return new Error(`storage "etcd": ${operation} failed: ${message}${code}${hint}`);
  }
}

/** Builds the client options for the settings: TLS, login, unlimited gRPC message sizes and the request deadline. */
function clientOptions(settings: EtcdSettings): IOptions {
  const timeout = settings.requestTimeoutMs;
  const options: IOptions = {
    hosts: settings.endpoints,
    dialTimeout: timeout,
    // etcd's --max-request-bytes is the limit that matters; gRPC's own 4 MiB default would cut below it.
    grpcOptions: {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      ...(settings.tlsServerName !== undefined ? { 'grpc.ssl_target_name_override': settings.tlsServerName } : {}),
    },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeout }),
    // etcd3's defaults (3 tries, and a breaker that stops calls to a member
    // for 5 s after 3 failures in a row), except that an oversized entry
    // counts as no failure. Otherwise one large write would stop every call,
    // the HA lock's renewals included, for 5 s.
    faultHandling: {
      host: () => circuitBreaker(handleWhen(isTransientError), { halfOpenAfter: 5_000, breaker: new ConsecutiveBreaker(3) }),
      global: retry(handleWhen(isTransientError), { maxAttempts: 3 }),
    },
  };
  if (settings.endpoints[0].startsWith('https:') && (settings.tls.ca !== undefined || settings.tls.cert !== undefined)) {
    // Without a CA file, gRPC verifies the server against the system's CA certificates.
    options.credentials = {
      rootCertificate: settings.tls.ca as Buffer,
      ...(settings.tls.key !== undefined ? { privateKey: settings.tls.key } : {}),
      ...(settings.tls.cert !== undefined ? { certChain: settings.tls.cert } : {}),
    };
  }
  if (settings.auth !== undefined) options.auth = { username: settings.auth.username, password: settings.auth.password };
  return options;
}

function checkPrefix(prefix: string): void {
  if (prefix === '') return;
  const folder = prefix.slice(0, -1);
  const problem = prefix.endsWith('/') ? (validateStorageKey(folder) ?? wellFormed(folder)) : 'must be empty or end with "/"';
  if (problem !== null) throw new Error(`storage "etcd": invalid list prefix ${JSON.stringify(prefix)}: ${problem}`);
}

/** etcd keys are bytes, and a lone surrogate has no UTF-8 form, so two such keys would merge. */
function wellFormed(key: string): string | null {
  return /\p{Surrogate}/u.test(key) ? `key ${JSON.stringify(key)} is not well-formed unicode` : null;
}
