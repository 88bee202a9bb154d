/**
 * The stored state of identity tokens: the issuer configuration, named keys
 * and roles, stored behind the barrier under `sys/identity/oidc/` and kept
 * in memory between unseal and seal, as the identity store keeps entities.
 *
 * Writes run one at a time and reach memory only once storage has them, so
 * a rejected or failed write changes nothing. Automatic work (rotating keys
 * whose rotation period has passed and dropping public keys whose
 * verification TTL has ended) runs on a timer set for the earliest time any
 * stored key needs it. Those times are stored with the keys, so the
 * schedule survives restarts: a rotation that fell due while the server was
 * down runs right after unseal.
 */
import { internalError, type Logger, type Storage } from '@coffer/sdk';
import { forgetPrivateKeys, nextDueTime, rotateNamedKey, withoutExpiredKeys, type NamedKey } from './oidc-keys.js';

const OIDC_PREFIX = 'sys/identity/oidc/';
const CONFIG_KEY = `${OIDC_PREFIX}config`;
const KEY_PREFIX = `${OIDC_PREFIX}key/`;
const ROLE_PREFIX = `${OIDC_PREFIX}role/`;

/** Maximum timer delay. A longer wait re-arms the timer, because Node.js fires a delay above about 24.8 days at once. */
const MAX_TIMER_MS = 3_600_000;
/** The wait before automatic work that failed is tried again. */
const RETRY_AFTER_FAILURE_MS = 30_000;

export interface OidcConfig {
  /** The configured issuer (scheme, host and port); empty to use the server's API address. */
  issuer: string;
}

export interface OidcRole {
  name: string;
  key: string;
  /** The decoded JSON template; empty for none. */
  template: string;
  /** Seconds. */
  ttl: number;
  clientId: string;
}

/** The records one write stores and deletes. */
export interface OidcChanges {
  config?: OidcConfig;
  putKeys?: NamedKey[];
  deleteKeys?: string[];
  putRoles?: OidcRole[];
  deleteRoles?: string[];
}

function encode(value: unknown): Buffer {
  return Buffer.from(JSON.stringify({ version: 1, ...(value as object) }));
}

function decode<T>(key: string, value: Buffer): T {
  try {
    const { version: _version, ...record } = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
    return record as T;
  } catch {
    throw internalError(`stored identity token record "${key}" is not valid JSON; restore it from a snapshot`);
  }
}

export class OidcStore {
  private config: OidcConfig = { issuer: '' };
  private readonly keys = new Map<string, NamedKey>();
  private readonly roles = new Map<string, OidcRole>();
  private writes: Promise<unknown> = Promise.resolve();
  private loaded = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly storage: Storage,
    readonly logger: Logger,
    /** The server's `api_addr`, or its first listener's URL; empty before the listeners start. */
    private readonly apiAddress: () => string,
  ) {}

  /** Loads the configuration, keys and roles, and arms the rotation timer; called at unseal. */
  async setup(): Promise<void> {
    const config = await this.storage.get(CONFIG_KEY);
    this.config = config === null ? { issuer: '' } : decode<OidcConfig>(CONFIG_KEY, config.value);
    this.keys.clear();
    this.roles.clear();
    for (const name of await this.storage.list(KEY_PREFIX)) {
      const entry = await this.storage.get(KEY_PREFIX + name);
      if (entry !== null) this.keys.set(name, decode<NamedKey>(KEY_PREFIX + name, entry.value));
    }
    for (const name of await this.storage.list(ROLE_PREFIX)) {
      const entry = await this.storage.get(ROLE_PREFIX + name);
      if (entry !== null) this.roles.set(name, decode<OidcRole>(ROLE_PREFIX + name, entry.value));
    }
    this.loaded = true;
    this.logger.info({ keys: this.keys.size, roles: this.roles.size }, 'identity token keys and roles loaded');
    this.schedule();
  }

  /** Stops the timer and clears the in-memory keys and roles, at seal and when the node stops being active. */
  teardown(): void {
    this.loaded = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.keys.clear();
    this.roles.clear();
    this.config = { issuer: '' };
    forgetPrivateKeys();
  }

  get configuration(): OidcConfig {
    return this.config;
  }

  /** The issuer that tokens carry in `iss`: the configured issuer or the API address, plus `/v1/identity/oidc`. */
  get issuer(): string {
    const base = this.config.issuer !== '' ? this.config.issuer : this.apiAddress();
    return `${base}/v1/identity/oidc`;
  }

  key(name: string): NamedKey | undefined {
    return this.keys.get(name);
  }

  allKeys(): NamedKey[] {
    return [...this.keys.values()];
  }

  role(name: string): OidcRole | undefined {
    return this.roles.get(name);
  }

  allRoles(): OidcRole[] {
    return [...this.roles.values()];
  }

  /**
   * Runs `plan` alone among writes, persists the changes it returns, then
   * applies them to memory and re-arms the timer. A plan throws to reject
   * the write before anything is stored.
   * @throws CofferError (500) when the store is not loaded or storage fails.
   */
  write<T>(plan: () => Promise<{ changes: OidcChanges; result: T }>): Promise<T> {
    const task = async (): Promise<T> => {
      if (!this.loaded) throw internalError('identity token store is not loaded: the node is sealed or no longer active');
      const { changes, result } = await plan();
      await this.commit(changes);
      return result;
    };
    const run = this.writes.then(task, task);
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async commit(changes: OidcChanges): Promise<void> {
    try {
      if (changes.config !== undefined) await this.storage.put({ key: CONFIG_KEY, value: encode(changes.config) });
      for (const key of changes.putKeys ?? []) await this.storage.put({ key: KEY_PREFIX + key.name, value: encode(key) });
      for (const role of changes.putRoles ?? []) await this.storage.put({ key: ROLE_PREFIX + role.name, value: encode(role) });
      for (const name of changes.deleteRoles ?? []) await this.storage.delete(ROLE_PREFIX + name);
      for (const name of changes.deleteKeys ?? []) await this.storage.delete(KEY_PREFIX + name);
    } catch (err) {
      this.logger.error({ err, keys: changes.putKeys?.map((key) => key.name), roles: changes.putRoles?.map((role) => role.name) }, 'identity token write failed');
      throw internalError('identity token write failed; the server log has the cause');
    }
    // A teardown during the write leaves memory empty; the next unseal reads storage.
    if (!this.loaded) return;
    if (changes.config !== undefined) this.config = changes.config;
    for (const key of changes.putKeys ?? []) this.keys.set(key.name, key);
    for (const role of changes.putRoles ?? []) this.roles.set(role.name, role);
    for (const name of changes.deleteRoles ?? []) this.roles.delete(name);
    for (const name of changes.deleteKeys ?? []) this.keys.delete(name);
    if (changes.putKeys !== undefined || changes.deleteKeys !== undefined) this.schedule();
  }

  /** Arms the timer for the earliest rotation or expiry of any key. */
  private schedule(delayMs?: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.loaded) return;
    let wait = delayMs;
    if (wait === undefined) {
      const due = Math.min(...this.allKeys().map(nextDueTime));
      if (!Number.isFinite(due)) return;
      wait = Math.max(0, due - Date.now());
    }
    this.timer = setTimeout(() => void this.runDueWork(), Math.min(wait, MAX_TIMER_MS));
    this.timer.unref();
  }

  /** Rotates due keys and drops expired public keys, then re-arms the timer. */
  async runDueWork(): Promise<void> {
    try {
      await this.write(async () => {
        const now = Date.now();
        const putKeys: NamedKey[] = [];
        for (const key of this.allKeys()) {
          let updated = withoutExpiredKeys(key, now) ?? key;
          if (updated.nextRotation <= now) updated = await rotateNamedKey(updated, now);
          if (updated !== key) putKeys.push(updated);
        }
        return { changes: { putKeys }, result: putKeys };
      }).then((changed) => {
        for (const key of changed) this.logger.info({ key: key.name, signingKeyId: key.signingKey.kid }, 'identity token key updated by its schedule');
      });
    } catch (err) {
      if (!this.loaded) return;
      this.logger.error({ err }, 'identity token key rotation failed; retrying');
      this.schedule(RETRY_AFTER_FAILURE_MS);
      return;
    }
    this.schedule();
  }
}
