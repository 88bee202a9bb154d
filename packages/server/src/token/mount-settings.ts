/**
 * The tunable settings of the built-in token auth method mount at
 * `auth/token/`. The server owns that mount, so it is not in the auth mount
 * table, and its settings are stored under their own key through the barrier.
 */
import { KeyedLock, type Logger, type Storage } from '@coffer/sdk';
import { defaultMountConfig, type MountConfig } from '../router/mount-table.js';

/** Storage key of the settings, behind the barrier. */
const SETTINGS_KEY = 'core/token-mount';

/** Description of the token mount until a tune changes it, as in Vault. */
export const TOKEN_MOUNT_DESCRIPTION = 'token based credentials';

/** The tunable parts of the token mount. */
export interface TokenMountSettings {
  description: string;
  config: MountConfig;
}

/** A change to the token mount's settings. */
export interface TokenMountChange {
  config?: Partial<MountConfig>;
  description?: string;
  /** A validator of the tuned settings that throws to reject them before anything is saved. */
  check?: (tuned: TokenMountSettings) => void;
}

function defaultSettings(): TokenMountSettings {
  return { description: TOKEN_MOUNT_DESCRIPTION, config: defaultMountConfig() };
}

/** Loads, tunes and persists the token mount's settings. */
export class TokenMountConfig {
  private current: TokenMountSettings = defaultSettings();
  /** Serializes tunes, so that two at once cannot lose one of them. */
  private readonly changes = new KeyedLock();

  constructor(
    private readonly barrier: Storage,
    private readonly logger: Logger,
  ) {}

  /** Loads the stored settings at unseal. A server whose token mount was never tuned has none stored. */
  async setup(): Promise<void> {
    const stored = await this.barrier.get(SETTINGS_KEY);
    if (stored === null) {
      this.current = defaultSettings();
      return;
    }
    const parsed = JSON.parse(stored.value.toString('utf8')) as TokenMountSettings;
    this.current = { description: parsed.description, config: { ...defaultMountConfig(), ...parsed.config } };
  }

  /** Drops the settings held in memory when the server seals. */
  teardown(): void {
    this.current = defaultSettings();
  }

  get settings(): TokenMountSettings {
    return this.current;
  }

  /**
   * Applies `change`, persists the result and only then serves it.
   * @throws the error of `change.check`, with nothing saved.
   */
  tune(change: TokenMountChange): Promise<TokenMountSettings> {
    return this.changes.run(SETTINGS_KEY, async () => {
      const tuned: TokenMountSettings = {
        description: change.description ?? this.current.description,
        config: { ...this.current.config, ...change.config },
      };
      change.check?.(tuned);

      await this.barrier.put({ key: SETTINGS_KEY, value: Buffer.from(JSON.stringify(tuned)) });
      this.current = tuned;
      this.logger.info({ path: 'auth/token/' }, 'token mount tuned');
      return tuned;
    });
  }

  /** Returns the lease TTLs of new tokens in seconds, falling back to the server's where the mount sets none. */
  ttls(server: { defaultLeaseTtl: number; maxLeaseTtl: number }): { defaultTtl: number; maxTtl: number } {
    const { defaultLeaseTtl, maxLeaseTtl } = this.current.config;
    return { defaultTtl: defaultLeaseTtl || server.defaultLeaseTtl, maxTtl: maxLeaseTtl || server.maxLeaseTtl };
  }
}
