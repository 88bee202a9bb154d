/**
 * The sqlite backend's settings, read from the server config's `storage
 * "sqlite"` stanza and checked before the database is opened.
 */
import { formatDuration, MAX_TIMER_DELAY_MS, parseDurationSeconds } from '@coffer/sdk';

/** SQLite's `synchronous` levels that keep a committed write across a process crash. */
export type SynchronousLevel = 'full' | 'extra' | 'normal';

/** Checked settings. */
export interface SqliteSettings {
  /** Path of the database file; its folder is made when missing. */
  path: string;
  /**
   * `PRAGMA synchronous`. `full` (the default) fsyncs the write-ahead log at
   * every commit, so an acknowledged put survives a power cut. `extra` adds
   * a sync of the folder when the log is reset. `normal` syncs only at
   * checkpoints: still safe against a process crash, but a power cut can
   * lose the last commits.
   */
  synchronous: SynchronousLevel;
  /** How long a statement waits for a lock held by another connection, in milliseconds. */
  busyTimeoutMs: number;
}

/** Every setting the stanza accepts, as `StoragePlugin.settings` lists them. */
export const SETTING_NAMES = ['path', 'synchronous', 'busy_timeout'] as const;

const SYNCHRONOUS_LEVELS: readonly SynchronousLevel[] = ['full', 'extra', 'normal'];

/**
 * Checks the stanza's settings and fills in defaults.
 *
 * @throws Error naming the setting and the problem, e.g.
 *   `storage "sqlite": missing required setting "path"`
 */
export function parseSettings(settings: Record<string, string>): SqliteSettings {
  const path = settings.path;
  if (path === undefined) throw settingError('missing required setting "path"');
  if (path.trim() === '') throw settingError('setting "path" must not be empty');
  if (path === ':memory:' || path.startsWith('file:')) {
    throw settingError(`setting "path" must name a database file, not "${path}"`);
  }

  const synchronous = (settings.synchronous ?? 'full').trim().toLowerCase();
  if (!SYNCHRONOUS_LEVELS.includes(synchronous as SynchronousLevel)) {
    throw settingError(`setting "synchronous" must be one of ${SYNCHRONOUS_LEVELS.join(', ')}, not "${settings.synchronous}"`);
  }

  const busyTimeout = settings.busy_timeout ?? '5s';
  const seconds = parseDurationSeconds(busyTimeout);
  if (seconds === null) {
    throw settingError(`setting "busy_timeout" must be a duration such as "5s" or "1m", not "${busyTimeout}"`);
  }
  // SQLite takes the timeout in milliseconds as a 32-bit integer.
  const maxSeconds = Math.floor(MAX_TIMER_DELAY_MS / 1000);
  if (seconds > maxSeconds) {
    throw settingError(`setting "busy_timeout" must be at most ${formatDuration(maxSeconds)}, not "${busyTimeout}"`);
  }

  return { path, synchronous: synchronous as SynchronousLevel, busyTimeoutMs: seconds * 1000 };
}

function settingError(problem: string): Error {
  return new Error(`storage "sqlite": ${problem}`);
}
