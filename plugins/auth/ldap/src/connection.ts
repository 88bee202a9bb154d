/**
 * Connecting to the directory: each URL of `url` in order until one
 * accepts a connection, with LDAPS or StartTLS as configured, and searches
 * with the configured timeouts, alias dereferencing and paging.
 *
 * The socket is opened here rather than by ldapts, which connects lazily on
 * the first operation. Opening it first separates a server that is down,
 * where the next URL is tried, from one that rejects a bind, where the
 * login stops.
 */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions, type SecureVersion, type TLSSocket } from 'node:tls';
import { Client, type Entry, type Filter, type SearchOptions } from 'ldapts';
import { timerDelay, type Logger } from '@coffer/sdk';
import type { LdapConfig, TlsVersionName } from './config.js';
import { describeConnectError, hostsOf } from './scrub.js';

const TLS_VERSION: Record<TlsVersionName, SecureVersion> = {
  tls10: 'TLSv1',
  tls11: 'TLSv1.1',
  tls12: 'TLSv1.2',
  tls13: 'TLSv1.3',
};

const DEREFERENCE: Record<LdapConfig['dereferenceAliases'], NonNullable<SearchOptions['derefAliases']>> = {
  never: 'never',
  finding: 'find',
  searching: 'search',
  always: 'always',
};

/** One URL of the `url` setting, parsed. */
export interface LdapTarget {
  scheme: 'ldap' | 'ldaps';
  host: string;
  port: number;
}

/** Raised when no URL could be reached; `message` names no address. */
export class ConnectFailure extends Error {
  constructor(readonly reasons: string[]) {
    super(`failed to connect to LDAP server: ${reasons.join('; ')}`);
    this.name = 'ConnectFailure';
  }
}

/** An open, not yet bound connection to one directory server. */
export class LdapConnection {
  constructor(
    private readonly client: Client,
    private readonly socket: Socket,
    private readonly config: LdapConfig,
  ) {}

  /** Performs a simple bind; an empty password makes it an unauthenticated bind. */
  bind(dn: string, password: string): Promise<void> {
    return this.client.bind(dn, password);
  }

  /** Searches the subtree under `base` and returns the entries with the requested attributes. */
  async search(base: string, filter: Filter, attributes: string[], options: { sizeLimit?: number; paged?: boolean } = {}): Promise<Entry[]> {
    const searchOptions: SearchOptions = {
      scope: 'sub',
      filter,
      attributes,
      derefAliases: DEREFERENCE[this.config.dereferenceAliases],
      sizeLimit: options.sizeLimit ?? 0,
      timeLimit: this.config.requestTimeout,
    };
    if (options.paged === true && this.config.maxPageSize > 0) searchOptions.paged = { pageSize: this.config.maxPageSize };
    const result = await this.client.search(base, searchOptions);
    return result.searchEntries;
  }

  /**
   * Reads one entry's attributes. Returns `null` when the server returns no
   * entry, as for one the bound user may not read; a missing entry throws.
   */
  async readEntry(dn: string, attributes: string[]): Promise<Entry | null> {
    const result = await this.client.search(dn, {
      scope: 'base',
      filter: '(objectClass=*)',
      attributes,
      derefAliases: DEREFERENCE[this.config.dereferenceAliases],
      timeLimit: this.config.requestTimeout,
    });
    return result.searchEntries[0] ?? null;
  }

  /**
   * Unbinds and closes the socket, which ldapts leaves open when no
   * operation ran. A socket the server already closed is not unbound,
   * because ldapts would wait request_timeout for it.
   */
  async close(): Promise<void> {
    try {
      if (!this.socket.destroyed) await this.client.unbind();
    } catch {
      // The server may already have closed the connection; unbind then has nothing to do.
    } finally {
      this.socket.destroy();
    }
  }
}

/**
 * Parses one URL of the `url` setting.
 * @throws Error naming the problem, without the URL, for a caller to wrap.
 */
export function parseLdapUrl(text: string): LdapTarget {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new Error('not a URL');
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (scheme !== 'ldap' && scheme !== 'ldaps') throw new Error(`scheme "${scheme}" is not ldap or ldaps`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new Error('the host is missing');
  if (parsed.port !== '') return { scheme, host, port: Number(parsed.port) };
  return { scheme, host, port: scheme === 'ldaps' ? 636 : 389 };
}

/** Builds the TLS options for `host`: CA, verification, client certificate and versions. */
export function tlsOptionsFor(config: LdapConfig, host: string): ConnectionOptions {
  const options: ConnectionOptions = {
    host,
    rejectUnauthorized: !config.insecureTls,
    minVersion: TLS_VERSION[config.tlsMinVersion],
    maxVersion: TLS_VERSION[config.tlsMaxVersion],
  };
  // SNI carries host names only; RFC 6066 section 3 forbids IP addresses there.
  if (isIP(host) === 0) options.servername = host;
  if (config.certificate !== '') options.ca = config.certificate;
  if (config.clientTlsCert !== '' && config.clientTlsKey !== '') {
    options.cert = config.clientTlsCert;
    options.key = config.clientTlsKey;
  }
  return options;
}

/**
 * Connects to the first URL that accepts a connection, upgrading with
 * StartTLS when set.
 * @throws ConnectFailure listing why each URL failed, addresses removed.
 */
export async function openConnection(config: LdapConfig, logger: Logger): Promise<LdapConnection> {
  const reasons: string[] = [];
  const secrets = [config.bindpass, ...hostsOf(config.url)];
  const urls = config.url.split(',').map((entry) => entry.trim());

  for (const [index, url] of urls.entries()) {
    try {
      const { client, socket } = await connectClient(config, parseLdapUrl(url));
      if (index > 0) logger.warn({ url, failed: index }, 'ldap connected after earlier urls failed');
      return new LdapConnection(client, socket, config);
    } catch (err) {
      logger.warn({ url, err: { message: describeConnectError(err, [config.bindpass]) } }, 'ldap connection failed');
      reasons.push(`url ${index + 1} of ${urls.length}: ${describeConnectError(err, secrets)}`);
    }
  }
  throw new ConnectFailure(reasons);
}

async function connectClient(config: LdapConfig, target: LdapTarget): Promise<{ client: Client; socket: Socket }> {
  const tlsOptions = tlsOptionsFor(config, target.host);
  const timeoutMs = timerDelay(config.connectionTimeout * 1000);
  const socket = target.scheme === 'ldaps'
    ? await openTlsSocket({ ...tlsOptions, port: target.port }, timeoutMs)
    : await openTcpSocket(target.host, target.port, timeoutMs);

  // ldapts calls these factories to get its socket. The socket is handed over
  // once; a later call (ldapts reconnecting after the server closed the
  // connection) fails, because a login never outlives one connection.
  // Until ldapts attaches its own listeners on the first operation, this
  // one keeps a reset connection from raising an unhandled 'error' event.
  socket.on('error', () => {});
  let handedOver = false;
  const takeSocket = (): Socket => {
    if (handedOver) throw new Error('the LDAP connection was closed');
    handedOver = true;
    return socket;
  };
  const hostInUrl = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
  const client = new Client({
    url: `${target.scheme}://${hostInUrl}:${target.port}`,
    timeout: timerDelay(config.requestTimeout * 1000),
    connectTimeout: timeoutMs,
    createConnection: takeSocket as unknown as typeof connectTcp,
    ...(target.scheme === 'ldaps' ? { createSecureConnection: takeSocket as unknown as typeof connectTls } : {}),
  });

  if (target.scheme === 'ldap' && config.starttls) {
    try {
      await withTimeout(client.startTLS(tlsOptions), timeoutMs, 'StartTLS timed out');
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }
  return { client, socket };
}

function openTcpSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return openSocket(() => connectTcp({ host, port }), 'connect', timeoutMs);
}

function openTlsSocket(options: ConnectionOptions, timeoutMs: number): Promise<TLSSocket> {
  return openSocket(() => connectTls(options), 'secureConnect', timeoutMs);
}

/** Opens a socket and waits for `readyEvent`, an error or the timeout. */
function openSocket<S extends Socket>(create: () => S, readyEvent: 'connect' | 'secureConnect', timeoutMs: number): Promise<S> {
  return new Promise((resolve, reject) => {
    const socket = create();
    const timer = timeoutMs > 0 ? setTimeout(() => fail(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), timeoutMs) : undefined;
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      resolve(socket);
    });
  });
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  if (timeoutMs <= 0) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(message), { code: 'ETIMEDOUT' })), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Returns an attribute's string values; attribute names compare without regard to case. */
export function attributeValues(entry: Entry, name: string): string[] {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(entry)) {
    if (key.toLowerCase() !== wanted || key === 'dn') continue;
    const values = Array.isArray(value) ? value : [value];
    return values.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : String(item)));
  }
  return [];
}
