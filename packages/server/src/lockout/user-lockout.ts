/**
 * User lockout, as Vault does it for userpass, LDAP and AppRole (and Coffer
 * also for RADIUS, which Vault leaves out): after
 * `lockout_threshold` failed logins for one user of one mount, without a
 * pause of `lockout_counter_reset` between them, further logins are denied
 * without checking credentials for `lockout_duration`. A success resets the
 * count. Failure counts live in memory; locked users are stored behind the
 * barrier so a restart does not unlock them.
 */
import type { Logger, Storage } from '@coffer/sdk';
import type { UserLockoutConfig } from '../config/index.js';

/** Auth method types lockout applies to. */
export const LOCKOUT_METHODS = new Set(['userpass', 'ldap', 'approle', 'radius']);

const LOCKED_PREFIX = 'sys/locked-users/';

/** Vault's defaults: 5 failures, locked for 15 minutes, count reset after 15 quiet minutes. */
const DEFAULTS = { threshold: 5, duration: 15 * 60, counterReset: 15 * 60, disabled: false };

export interface LockoutSettings {
  threshold: number;
  /** Seconds. */
  duration: number;
  /** Seconds. */
  counterReset: number;
  disabled: boolean;
}

interface FailureCount {
  count: number;
  /** Unix ms of the last failure. */
  last: number;
}

interface LockedEntry {
  mountAccessor: string;
  alias: string;
  /** Unix ms. */
  lockedAt: number;
  /** Unix ms. */
  unlocksAt: number;
}

export class UserLockout {
  private readonly failures = new Map<string, FailureCount>();
  private readonly locked = new Map<string, LockedEntry>();

  constructor(
    private readonly storage: Storage,
    private readonly config: Record<string, UserLockoutConfig>,
    private readonly logger: Logger,
    private readonly disabledByEnvironment = process.env.COFFER_DISABLE_USER_LOCKOUT === 'true' || process.env.VAULT_DISABLE_USER_LOCKOUT === 'true',
  ) {}

  /** Loads the stored locked users; called at unseal. */
  async setup(): Promise<void> {
    this.locked.clear();
    for (const accessor of await this.storage.list(LOCKED_PREFIX)) {
      for (const name of await this.storage.list(LOCKED_PREFIX + accessor)) {
        const stored = await this.storage.get(LOCKED_PREFIX + accessor + name);
        if (stored === null) continue;
        const entry = JSON.parse(stored.value.toString('utf8')) as LockedEntry;
        this.locked.set(key(entry.mountAccessor, entry.alias), entry);
      }
    }
  }

  teardown(): void {
    this.failures.clear();
    this.locked.clear();
  }

  /** The settings for a method type: its own stanza over `all`, over Vault's defaults. */
  settingsFor(mountType: string): LockoutSettings {
    const all = this.config.all ?? {};
    const own = this.config[mountType] ?? {};
    return {
      threshold: own.lockoutThreshold ?? all.lockoutThreshold ?? DEFAULTS.threshold,
      duration: own.lockoutDuration ?? all.lockoutDuration ?? DEFAULTS.duration,
      counterReset: own.lockoutCounterReset ?? all.lockoutCounterReset ?? DEFAULTS.counterReset,
      disabled: this.disabledByEnvironment || (own.disableLockout ?? all.disableLockout ?? DEFAULTS.disabled),
    };
  }

  applies(mountType: string): boolean {
    return LOCKOUT_METHODS.has(mountType) && !this.settingsFor(mountType).disabled;
  }

  /** Returns true while the user is locked out; an expired lock is removed. */
  async isLocked(mountAccessor: string, alias: string, now = Date.now()): Promise<boolean> {
    const entry = this.locked.get(key(mountAccessor, alias));
    if (entry === undefined) return false;
    if (entry.unlocksAt > now) return true;
    await this.unlock(mountAccessor, alias);
    return false;
  }

  async recordFailure(mountAccessor: string, mountType: string, alias: string, now = Date.now()): Promise<void> {
    const settings = this.settingsFor(mountType);
    const id = key(mountAccessor, alias);
    const previous = this.failures.get(id);
    const count = previous !== undefined && now - previous.last < settings.counterReset * 1000 ? previous.count + 1 : 1;
    this.failures.set(id, { count, last: now });
    if (count < settings.threshold) return;

    const entry: LockedEntry = { mountAccessor, alias, lockedAt: now, unlocksAt: now + settings.duration * 1000 };
    await this.storage.put({ key: storageKey(mountAccessor, alias), value: Buffer.from(JSON.stringify(entry)) });
    this.locked.set(id, entry);
    this.failures.delete(id);
    this.logger.warn({ mountAccessor, failures: count, durationSeconds: settings.duration }, 'user locked out after failed logins');
  }

  recordSuccess(mountAccessor: string, alias: string): void {
    this.failures.delete(key(mountAccessor, alias));
  }

  async unlock(mountAccessor: string, alias: string): Promise<void> {
    this.failures.delete(key(mountAccessor, alias));
    if (!this.locked.delete(key(mountAccessor, alias))) return;
    await this.storage.delete(storageKey(mountAccessor, alias));
    this.logger.info({ mountAccessor }, 'user unlocked');
  }

  /** Locked users by mount accessor, for sys/locked-users. */
  list(now = Date.now(), mountAccessor?: string): Map<string, string[]> {
    const byMount = new Map<string, string[]>();
    for (const entry of this.locked.values()) {
      if (entry.unlocksAt <= now) continue;
      if (mountAccessor !== undefined && entry.mountAccessor !== mountAccessor) continue;
      const aliases = byMount.get(entry.mountAccessor) ?? [];
      aliases.push(entry.alias);
      byMount.set(entry.mountAccessor, aliases);
    }
    for (const aliases of byMount.values()) aliases.sort();
    return byMount;
  }
}

function key(mountAccessor: string, alias: string): string {
  return `${mountAccessor}\u0000${alias}`;
}

function storageKey(mountAccessor: string, alias: string): string {
  return `${LOCKED_PREFIX}${mountAccessor}/${Buffer.from(alias, 'utf8').toString('base64url') || '_'}`;
}

/**
 * Names the user a login request is for, before the backend checks it, so
 * a locked user is refused without a credential check. userpass and LDAP
 * take the name from `login/<name>`, AppRole from `role_id`, RADIUS from
 * `username` at `login` or else from `login/<name>`. The name is
 * trimmed and lowercased (AppRole's is only trimmed) as the methods do, so
 * every spelling of one user shares one failure count and one lock.
 * NOTE: this mirrors the built-in methods' login paths; a plugin with a
 * different login shape is not locked out.
 */
export function loginAlias(mountType: string, path: string, data: Record<string, unknown>): string | undefined {
  if (mountType === 'approle') {
    if (path !== 'login') return undefined;
    const roleId = data.role_id;
    // The field accepts a JSON number or boolean as its text, as the login does.
    const roleIdText = typeof roleId === 'number' || typeof roleId === 'boolean' ? String(roleId) : roleId;
    if (typeof roleIdText !== 'string') return undefined;
    return roleIdText.trim() === '' ? undefined : roleIdText.trim();
  }
  // RADIUS takes the body's username over the one in the path, as its login does. The
  // field accepts a JSON number or boolean as its text, so those must count here too, or
  // {"username": 1234} would log in as user 1234 without ever being locked out.
  if (mountType === 'radius') {
    const username = typeof data.username === 'number' || typeof data.username === 'boolean' ? String(data.username) : data.username;
    if (typeof username === 'string' && username.trim() !== '') return username.trim().toLowerCase();
  }
  const match = /^login\/(.+)$/.exec(path);
  if (match === null) return undefined;
  const name = match[1].trim().toLowerCase();
  return name === '' ? undefined : name;
}
