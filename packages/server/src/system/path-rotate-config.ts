/**
 * sys/rotate/config: when the barrier rotates its encryption key by itself,
 * after a number of encryptions or an age of the active key, as Vault's
 * endpoint of that name sets it. The config is stored in the keyring.
 */
import { badRequest, definePath, formatDuration, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { DEFAULT_MAX_OPERATIONS, type RotationConfig } from '../barrier/keyring.js';
import type { Core } from '../core.js';

/** Vault's lower limit of max_operations. */
export const MIN_MAX_OPERATIONS = 1_000_000;
/** Vault's shortest interval: 24 hours, in seconds. */
export const MIN_ROTATION_INTERVAL_SECONDS = 24 * 3600;
/**
 * The longest interval, in seconds: Vault keeps it as a Go time.Duration,
 * whose maximum is 2562047h47m16.854775807s, and Go's time.ParseDuration
 * rejects a longer string.
 */
export const MAX_ROTATION_INTERVAL_SECONDS = 2_562_047 * 3600;

const rotateConfigFields = {
  max_operations: {
    type: 'int',
    description: `Encryptions after which the key rotates, from ${MIN_MAX_OPERATIONS} to ${DEFAULT_MAX_OPERATIONS} (the default).`,
  },
  interval: {
    type: 'duration',
    description: 'Age of the active key at which it rotates, such as "4320h"; 0 (the default) for no age limit, else from 24h to 2562047h.',
    // The field parser rejects a duration past the Go maximum; this keeps the message of the check below.
    tooLong: (raw: unknown) => intervalTooLong(String(raw)),
  },
  enabled: {
    type: 'bool',
    description: 'False to stop automatic rotation; encryptions are still counted. Default true.',
  },
} as const;

export function rotateConfigPaths(core: Core): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'rotate/config',
      fields: rotateConfigFields,
      operations: {
        async read() {
          return { data: rotationConfigData(core.barrier.rotationConfig()) };
        },
        async update(_request, fields) {
          const current = core.barrier.rotationConfig();
          const updated: RotationConfig = {
            maxOperations: fields.raw.max_operations !== undefined ? fields.get('max_operations') : current.maxOperations,
            intervalSeconds: fields.raw.interval !== undefined ? fields.get('interval') : current.intervalSeconds,
            enabled: fields.raw.enabled !== undefined ? fields.get('enabled') : current.enabled,
          };
          checkRotationConfig(updated, fields.raw.interval);

          await core.barrier.setRotationConfig(updated);
          core.logger.info({ maxOperations: updated.maxOperations, intervalSeconds: updated.intervalSeconds, enabled: updated.enabled }, 'barrier key rotation config updated');
          return null;
        },
      },
      helpSynopsis: 'Read or set when the barrier key rotates by itself.',
      helpDescription:
        'GET returns max_operations, interval and enabled. POST changes any of them: the key rotates once the active key has made ' +
        'max_operations encryptions or is older than interval, unless enabled is false.',
    }),
  ];
}

/** Returns the config as Vault's GET returns it: the interval as a Go duration, or the number 0 when unset. */
function rotationConfigData(config: Readonly<RotationConfig>): Record<string, unknown> {
  return {
    max_operations: config.maxOperations,
    interval: config.intervalSeconds > 0 ? formatDuration(config.intervalSeconds) : 0,
    enabled: config.enabled,
  };
}

function checkRotationConfig(config: RotationConfig, rawInterval: unknown): void {
  if (config.maxOperations < MIN_MAX_OPERATIONS || config.maxOperations > DEFAULT_MAX_OPERATIONS) {
    throw badRequest(`invalid field "max_operations": must be from ${MIN_MAX_OPERATIONS} to ${DEFAULT_MAX_OPERATIONS}, not ${config.maxOperations}`);
  }
  const intervalText = rawInterval === undefined ? formatDuration(config.intervalSeconds) : String(rawInterval);
  if (config.intervalSeconds !== 0 && config.intervalSeconds < MIN_ROTATION_INTERVAL_SECONDS) {
    throw badRequest(`invalid field "interval": must be 0 or at least 24h, not ${JSON.stringify(intervalText)}`);
  }
  if (config.intervalSeconds > MAX_ROTATION_INTERVAL_SECONDS) throw badRequest(`invalid field "interval": ${intervalTooLong(intervalText)}`);
}

/** Returns the error, without the field name, for an interval past MAX_ROTATION_INTERVAL_SECONDS, written as `intervalText`. */
function intervalTooLong(intervalText: string): string {
  return `must be at most 2562047h, the longest Go duration, not ${JSON.stringify(intervalText)}`;
}
