/**
 * Talking to the directory: a connection bound as the configured account,
 * tried on each URL of `url` in order, with LDAPS or StartTLS as set, and
 * the few operations the engine needs. Errors are wrapped in
 * {@link DirectoryError}, whose message never contains a password.
 */
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Attribute, Change, Client, EqualityFilter, NoSuchObjectError, ResultCodeError } from 'ldapts';
import { timerDelay } from '@coffer/sdk';
import type { LdapConfig } from './store.js';

/** A failed directory operation; `message` is safe to return to a client. */
export class DirectoryError extends Error {
  constructor(
    message: string,
    /** The LDAP result code, when the server returned one. */
    readonly code?: number,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}

/** The connection settings a directory call needs; a subset of {@link LdapConfig}. */
export type ConnectionSettings = Pick<
  LdapConfig,
  'url' | 'requestTimeout' | 'connectionTimeout' | 'starttls' | 'insecureTls' | 'certificate' | 'clientTlsCert' | 'clientTlsKey'
>;

/** One change of an entry's attribute, as an LDIF modify record lists it. */
export interface AttributeChange {
  operation: 'add' | 'delete' | 'replace';
  attribute: string;
  values: string[];
}

/** An open connection bound as one account. */
export class Directory {
  constructor(private readonly client: Client) {}

  /** Replaces the `userPassword` of `dn`; slapd stores it as given unless its password policy hashes it. */
  async setPassword(dn: string, password: string): Promise<void> {
    await this.modify(dn, [{ operation: 'replace', attribute: 'userPassword', values: [password] }]);
  }

  async add(dn: string, attributes: Record<string, string[]>): Promise<void> {
    await this.client.add(dn, attributes);
  }

  async modify(dn: string, changes: AttributeChange[]): Promise<void> {
    const ldapChanges = changes.map(
      (change) => new Change({ operation: change.operation, modification: new Attribute({ type: change.attribute, values: change.values }) }),
    );
    await this.client.modify(dn, ldapChanges);
  }

  /** Deletes `dn`; returns false when it did not exist. */
  async delete(dn: string): Promise<boolean> {
    try {
      await this.client.del(dn);
      return true;
    } catch (err) {
      if (err instanceof NoSuchObjectError) return false;
      throw err;
    }
  }

  /** Returns the DNs of entries under `base` whose `attribute` equals `value`. */
  async findDns(base: string, attribute: string, value: string, timeLimit: number): Promise<string[]> {
    const result = await this.client.search(base, {
      scope: 'sub',
      filter: new EqualityFilter({ attribute, value }),
      attributes: ['1.1'],
      sizeLimit: 2,
      timeLimit,
    });
    return result.searchEntries.map((entry) => entry.dn);
  }

  async close(): Promise<void> {
    await this.client.unbind().catch(() => undefined);
  }
}

/**
 * Connects to the first URL that accepts a connection and binds as `dn`.
 * A URL that cannot be reached moves on to the next, and a rejected bind stops.
 * @throws DirectoryError naming each URL's failure by its position, without
 *   `password` or the URLs' hosts, because callers of role paths may see it.
 */
export async function connect(settings: ConnectionSettings, dn: string, password: string): Promise<Directory> {
  const urls = settings.url.split(',').map((url) => url.trim()).filter((url) => url !== '');
  const hosts = urls.map(hostOf);
  const reasons: string[] = [];
  for (const [index, url] of urls.entries()) {
    const ldaps = url.toLowerCase().startsWith('ldaps://');
    // ldapts opens a TLS socket whenever tlsOptions is set, so plain ldap:// URLs must not get it.
    const client = new Client({
      url,
      timeout: timerDelay(settings.requestTimeout * 1000),
      connectTimeout: timerDelay(settings.connectionTimeout * 1000),
      ...(ldaps ? { tlsOptions: tlsOptions(settings, url) } : {}),
    });
    try {
      if (settings.starttls && !ldaps) await client.startTLS(tlsOptions(settings, url));
      await client.bind(dn, password);
      return new Directory(client);
    } catch (err) {
      await client.unbind().catch(() => undefined);
      // An LDAP result code means the server was reached, and another URL would return the same result.
      if (err instanceof ResultCodeError) throw new DirectoryError(`failed to bind as "${dn}": ${describe(err, [password])}`, err.code);
      reasons.push(`url ${index + 1} of ${urls.length}: ${describe(err, [password, ...hosts])}`);
    }
  }
  throw new DirectoryError(`failed to connect to the LDAP server: ${reasons.join('; ')}`);
}

/** Runs `task` on a connection bound as `dn`, closes it, and wraps directory errors. */
export async function withDirectory<T>(settings: ConnectionSettings, dn: string, password: string, task: (directory: Directory) => Promise<T>, secrets: string[] = []): Promise<T> {
  const directory = await connect(settings, dn, password);
  try {
    return await task(directory);
  } catch (err) {
    if (err instanceof DirectoryError) throw err;
    throw new DirectoryError(describe(err, [password, ...secrets]), err instanceof ResultCodeError ? err.code : undefined);
  } finally {
    await directory.close();
  }
}

/** Returns true when `dn` binds with `password`; any other failure throws. */
export async function canBind(settings: ConnectionSettings, dn: string, password: string): Promise<boolean> {
  try {
    const directory = await connect(settings, dn, password);
    await directory.close();
    return true;
  } catch (err) {
    if (err instanceof DirectoryError && err.code === 49) return false;
    throw err;
  }
}

/**
 * Builds the TLS options for `url`. The host is set here because ldapts
 * leaves it out on StartTLS, and Node.js would then check the certificate
 * against "localhost".
 */
function tlsOptions(settings: ConnectionSettings, url: string): ConnectionOptions {
  const host = hostOf(url);
  const options: ConnectionOptions = { host, rejectUnauthorized: !settings.insecureTls };
  // SNI carries host names only; RFC 6066 section 3 forbids IP addresses there.
  if (isIP(host) === 0) options.servername = host;
  if (settings.certificate !== '') options.ca = settings.certificate;
  if (settings.clientTlsCert !== '' && settings.clientTlsKey !== '') {
    options.cert = settings.clientTlsCert;
    options.key = settings.clientTlsKey;
  }
  return options;
}

function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, '');
}

/** Names of the LDAP result codes (RFC 4511 appendix A) a directory returns to the engine's operations. */
const RESULT_NAMES: Record<number, string> = {
  3: 'time limit exceeded',
  16: 'no such attribute',
  17: 'undefined attribute type',
  19: 'constraint violation',
  20: 'attribute or value exists',
  21: 'invalid attribute syntax',
  32: 'no such object',
  34: 'invalid DN syntax',
  49: 'invalid credentials',
  50: 'insufficient access rights',
  53: 'unwilling to perform',
  64: 'naming violation',
  65: 'object class violation',
  66: 'not allowed on non-leaf',
  68: 'entry already exists',
};

/**
 * Returns an error's message with every secret replaced by "[redacted]". An
 * LDAP result becomes its name and code, then the server's diagnostic message.
 */
export function describe(err: unknown, secrets: string[]): string {
  let message = err instanceof Error ? err.message : String(err);
  if (err instanceof ResultCodeError) {
    // ldapts appends " Code: 0x.." to the server's diagnostic message.
    const diagnostic = message.replace(/\s*Code: 0x[0-9a-f]+\s*$/i, '').trim();
    const name = RESULT_NAMES[err.code] ?? 'LDAP error';
    message = `${name} (LDAP result ${err.code})${diagnostic === '' ? '' : `: ${diagnostic}`}`;
  }
  if (message === '') message = err instanceof Error ? err.name : 'unknown error';
  for (const secret of secrets) {
    if (secret !== '') message = message.split(secret).join('[redacted]');
  }
  return message;
}
