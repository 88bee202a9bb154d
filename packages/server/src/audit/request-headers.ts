/**
 * Audited request headers: the request headers that audit entries record,
 * and whether devices write their values as HMACs. Configured through
 * `sys/config/auditing/request-headers` as in Vault, and stored through the
 * barrier at Vault's key, so the configuration is encrypted at rest.
 *
 * Names are case-insensitive and kept lowercased, as Vault keeps them.
 */
import { CofferError, type Storage } from '@coffer/sdk';
import { setMember } from './hmac.js';
import type { AuditedHeader } from './input.js';

/** Storage key of the configuration below the barrier, the key Vault uses. */
export const AUDITED_HEADERS_KEY = 'sys/audited-headers-config/audited-headers';

/** The header that carries the client token. Entries never record it, as in Vault. */
const TOKEN_HEADER = 'x-vault-token';

/** The other header that can carry the client token, as `Bearer <token>`. */
const AUTHORIZATION_HEADER = 'authorization';
const BEARER_PREFIX = 'Bearer ';

/** One header's settings, as Vault stores and lists them. */
export interface AuditedHeaderSettings {
  hmac: boolean;
}

export class AuditedRequestHeaders {
  /**
   * The `hmac` setting of each configured header by lowercased name.
   * Replaced whole on each change and never changed in place, so a request
   * that picked its headers from one map is not affected by a later change.
   */
  private settings: ReadonlyMap<string, boolean> = new Map();
  /** The configured names in sorted order, the order in which entries list them. */
  private names: readonly string[] = [];
  /** Changes run one at a time, in call order, on this chain, so none is lost to a concurrent one. */
  private changes: Promise<unknown> = Promise.resolve();

  constructor(private readonly storage: Storage) {}

  /** True when at least one header is configured. The request path checks this alone when none is. */
  get configured(): boolean {
    return this.names.length !== 0;
  }

  /** Returns the settings of a header, by any case of its name, or `undefined` when it is not configured. */
  get(name: string): AuditedHeaderSettings | undefined {
    const hmac = this.settings.get(name.toLowerCase());
    return hmac === undefined ? undefined : { hmac };
  }

  /** Returns every configured header by lowercased name, in sorted order, as Vault lists them. */
  all(): Record<string, AuditedHeaderSettings> {
    const listed: Record<string, AuditedHeaderSettings> = {};
    for (const name of this.names) setMember(listed, name, { hmac: this.settings.get(name)! });
    return listed;
  }

  /**
   * Loads the configuration at unseal. With none stored, no header is configured.
   * @throws CofferError (500) when the stored configuration is malformed.
   */
  async load(): Promise<void> {
    const stored = await this.storage.get(AUDITED_HEADERS_KEY);
    this.replace(stored === null ? new Map() : parseStored(stored.value.toString('utf8')));
  }

  /** Forgets the configuration at seal. */
  clear(): void {
    this.replace(new Map());
  }

  /**
   * Adds or updates a header. The configuration is stored before it applies,
   * so a failed write changes nothing. `name` must be validated by the caller.
   */
  set(name: string, hmac: boolean): Promise<void> {
    return this.change((next) => {
      next.set(name.toLowerCase(), hmac);
    });
  }

  /** Removes a header. Removing one that is not configured is not an error, as in Vault. */
  remove(name: string): Promise<void> {
    return this.change((next) => {
      next.delete(name.toLowerCase());
    });
  }

  /**
   * Picks the configured headers from a request's headers, given as Node's
   * `rawHeaders` (name and value alternating, one pair per header line).
   * Returns them by lowercased name in sorted order, with every value of
   * each in the order received, or `undefined` when the request carries
   * none of them.
   *
   * As in Vault, the header that carried the client token is left out:
   * `X-Vault-Token` always, and the `Bearer` values of `Authorization` when
   * `X-Vault-Token` was empty or absent, since the token came from them.
   * The token is in the entry already, as `client_token`.
   */
  pick(rawHeaders: readonly string[]): Record<string, AuditedHeader> | undefined {
    const settings = this.settings;
    let found: Map<string, string[]> | undefined;
    let tokenInVaultHeader = false;
    for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
      const name = rawHeaders[index].toLowerCase();
      const value = rawHeaders[index + 1];
      if (name === TOKEN_HEADER) {
        if (value !== '') tokenInVaultHeader = true;
        continue;
      }
      if (!settings.has(name)) continue;
      found ??= new Map();
      const values = found.get(name);
      if (values === undefined) found.set(name, [value]);
      else values.push(value);
    }
    if (found === undefined) return undefined;

    const authorization = found.get(AUTHORIZATION_HEADER);
    if (authorization !== undefined && !tokenInVaultHeader) {
      const withoutBearer = authorization.filter((value) => !value.startsWith(BEARER_PREFIX));
      if (withoutBearer.length === 0) found.delete(AUTHORIZATION_HEADER);
      else found.set(AUTHORIZATION_HEADER, withoutBearer);
    }

    let picked: Record<string, AuditedHeader> | undefined;
    for (const name of this.names) {
      const values = found.get(name);
      if (values === undefined) continue;
      picked ??= {};
      // `__proto__` is a valid header name.
      setMember(picked, name, { values, hmac: settings.get(name)! });
    }
    return picked;
  }

  /** Applies `edit` to a copy of the configuration, stores the copy, and then uses it. */
  private change(edit: (next: Map<string, boolean>) => void): Promise<void> {
    const result = this.changes.then(async () => {
      const next = new Map(this.settings);
      edit(next);
      const stored: Record<string, AuditedHeaderSettings> = {};
      for (const name of [...next.keys()].sort()) setMember(stored, name, { hmac: next.get(name)! });
      await this.storage.put({ key: AUDITED_HEADERS_KEY, value: Buffer.from(JSON.stringify(stored)) });
      this.replace(next);
    });
    this.changes = result.catch(() => undefined);
    return result;
  }

  private replace(settings: ReadonlyMap<string, boolean>): void {
    this.settings = settings;
    this.names = [...settings.keys()].sort();
  }
}

/**
 * Reads the stored configuration, Vault's JSON object of `{"hmac": bool}` by
 * header name. Names are lowercased, as Vault does when it loads them.
 * @throws CofferError (500) naming what is malformed.
 */
function parseStored(text: string): Map<string, boolean> {
  const malformed = (detail: string): CofferError =>
    new CofferError('COFFER_ERR_AUDIT_SETUP', 500, `audited request headers at "${AUDITED_HEADERS_KEY}" are malformed: ${detail}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed('not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw malformed('expected an object of headers');
  const settings = new Map<string, boolean>();
  for (const [name, value] of Object.entries(parsed)) {
    const hmac = value !== null && typeof value === 'object' ? (value as Record<string, unknown>).hmac : undefined;
    if (typeof hmac !== 'boolean') throw malformed(`header "${name}" has no boolean "hmac"`);
    settings.set(name.toLowerCase(), hmac);
  }
  return settings;
}
