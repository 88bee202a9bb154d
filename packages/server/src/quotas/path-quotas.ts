/**
 * sys/quotas/rate-limit and sys/quotas/config: Vault's API for rate limit
 * quotas, with its fields, defaults and status codes. Every operation needs
 * sudo (see the sys root paths in core.ts).
 */
import { badRequest, definePath, MAX_DURATION_SECONDS, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { QuotaManager } from './quota-manager.js';
import type { RateLimitQuota } from './rate-limiter.js';

/** Vault's name rule for quotas: word characters, `-` and `.`, starting and ending with a word character. */
const QUOTA_NAME = /^\w(?:[\w.-]*\w)?$/;

/** The quota type, the only one Coffer and open-source Vault have. */
const RATE_LIMIT_TYPE = 'rate-limit';

/** Default `interval`, in seconds, as in Vault. */
const DEFAULT_INTERVAL = 1;

const quotaFields = {
  name: { type: 'string', description: 'Name of the quota.', required: true },
  path: {
    type: 'string',
    description:
      'Where the quota applies: empty for every request, a mount such as "secret/", or a path inside a mount such as ' +
      '"secret/data/team1". A trailing "*" makes the path a prefix, such as "secret/data/team1/*".',
  },
  rate: { type: 'string', description: 'Requests each client address may send per interval; a positive number, rounded to an integer.' },
  interval: {
    type: 'duration',
    description: 'Length of the window the rate counts requests in, in whole seconds or as a duration such as "1m"; 1s by default.',
    tooLong: durationTooLong,
  },
  block_interval: {
    type: 'duration',
    description: 'How long a client that exceeds the rate is rejected, in whole seconds or as a duration; 0 (the default) rejects it only until its window ends.',
    tooLong: durationTooLong,
  },
  role: { type: 'string', description: 'Login role the quota applies to. Not supported by Coffer: must be empty.' },
  inheritable: { type: 'bool', description: 'Vault\'s namespace inheritance flag. Coffer has no namespaces, so only a global quota is inheritable, and it is by default.' },
  type: { type: 'string', description: 'Type of the quota; read-only, always "rate-limit".' },
} as const;

const configFields = {
  rate_limit_exempt_paths: {
    type: 'comma_string_slice',
    description: 'Paths below /v1/ that no rate limit quota applies to; a trailing "*" makes an entry a prefix. An empty list exempts nothing.',
  },
  enable_rate_limit_audit_logging: { type: 'bool', description: 'Whether requests rejected by a rate limit quota are written to the audit log.' },
  enable_rate_limit_response_headers: {
    type: 'bool',
    description: 'Whether responses to rate-limited paths carry X-Ratelimit-Limit, X-Ratelimit-Remaining and X-Ratelimit-Reset, and rejections Retry-After.',
  },
} as const;

/**
 * Returns the sys/quotas paths, relative to `sys/`. `mountPathOf` returns the
 * path of the mount serving a path, built-in mounts included, or undefined.
 */
export function quotaPaths(quotas: QuotaManager, mountPathOf: (path: string) => string | undefined): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'quotas/config',
      fields: configFields,
      operations: {
        async read() {
          const config = quotas.settings;
          return {
            data: {
              enable_rate_limit_audit_logging: config.enableRateLimitAuditLogging,
              enable_rate_limit_response_headers: config.enableRateLimitResponseHeaders,
              rate_limit_exempt_paths: config.rateLimitExemptPaths,
            },
          };
        },
        async update(_request, fields) {
          // Fields left out keep their value, so that switching one setting does not reset the exempt paths.
          const current = quotas.settings;
          const paths = fields.getIfSet('rate_limit_exempt_paths');
          await quotas.writeConfig({
            rateLimitExemptPaths: paths === undefined ? current.rateLimitExemptPaths : parseExemptPaths(paths),
            enableRateLimitAuditLogging: fields.getIfSet('enable_rate_limit_audit_logging') ?? current.enableRateLimitAuditLogging,
            enableRateLimitResponseHeaders: fields.getIfSet('enable_rate_limit_response_headers') ?? current.enableRateLimitResponseHeaders,
          });
          return null;
        },
      },
      helpSynopsis: 'Read or write the settings of rate limit quotas.',
      helpDescription:
        'GET returns the exempt paths and whether rejections are audited and limits reported in response headers. ' +
        'POST changes the fields it carries and keeps the others.',
    }),
    definePath({
      pattern: 'quotas/rate-limit/?',
      fields: {},
      operations: {
        async list() {
          const keys = quotas.names();
          return keys.length === 0 ? null : { data: { keys } };
        },
      },
      helpSynopsis: 'List the rate limit quotas.',
      helpDescription: 'Returns the names of the rate limit quotas under "keys".',
    }),
    definePath({
      pattern: 'quotas/rate-limit/(?<name>.+)',
      fields: quotaFields,
      operations: {
        async read(_request, fields) {
          const quota = quotas.get(fields.get('name'));
          if (quota === undefined) return null;
          return {
            data: {
              name: quota.name,
              path: quota.mountPath + quota.pathSuffix,
              role: '',
              rate: quota.rate,
              interval: quota.interval,
              block_interval: quota.blockInterval,
              inheritable: quota.inheritable,
              type: RATE_LIMIT_TYPE,
            },
          };
        },
        async update(_request, fields) {
          const name = checkName(fields.get('name'));
          const type = fields.get('type');
          if (type !== '' && type !== RATE_LIMIT_TYPE) {
            throw badRequest(`invalid field "type": ${JSON.stringify(type)} is not the type of this endpoint; the field is read-only and can only be "${RATE_LIMIT_TYPE}"`);
          }
          if (fields.get('role') !== '') {
            throw badRequest('invalid field "role": Coffer does not support role-based quotas; leave "role" empty and set "path" to the login path instead, such as "auth/approle/login"');
          }
          const rate = parseRate(fields.raw.rate);
          const { mountPath, pathSuffix } = resolvePath(fields.get('path'), mountPathOf);
          const interval = fields.get('interval') === 0 ? DEFAULT_INTERVAL : fields.get('interval');
          const blockInterval = fields.get('block_interval');
          const global = mountPath === '';
          const inheritable = fields.getIfSet('inheritable') ?? global;
          if (inheritable && !global) {
            throw badRequest('invalid field "inheritable": only a global quota (empty "path") can be inheritable, because Coffer has no namespaces');
          }

          const quota: RateLimitQuota = { name, mountPath, pathSuffix, rate, interval, blockInterval, inheritable };
          await quotas.put(quota);
          return null;
        },
        async delete(_request, fields) {
          await quotas.delete(checkName(fields.get('name')));
          return null;
        },
      },
      helpSynopsis: 'Read, write or delete a rate limit quota.',
      helpDescription: `
A rate limit quota lets each client address send "rate" requests per
"interval" to the paths it covers: every path, a mount, or a path inside a
mount. The most specific quota applies. A client over the rate gets 429
until its window ends, or for "block_interval" when that is set.`,
    }),
  ];
}

/** @throws CofferError (400) for a name outside Vault's rule. */
function checkName(name: string): string {
  if (!QUOTA_NAME.test(name)) {
    throw badRequest(`invalid quota name ${JSON.stringify(name)}: use letters, digits, "_", "-" and ".", starting and ending with a letter, digit or "_"`);
  }
  return name;
}

/**
 * Returns the error for an interval or block past the maximum Go
 * `time.Duration` (2^63 - 1 ns), the type Vault stores both in. The field
 * parser rejects such a value with it.
 */
function durationTooLong(_raw: unknown, seconds: number): string {
  return `${seconds}s is too long; the maximum is ${MAX_DURATION_SECONDS}s (about 292 years)`;
}

/**
 * A decimal number, the form of `rate` that clients send. Number() alone
 * would take "0x10", "0b11" and "0o7" as 16, 3 and 7, which Vault's Go
 * strconv.ParseFloat rejects. NOTE: ParseFloat also takes hexadecimal
 * floats such as "0x1p4", which this rejects.
 */
const DECIMAL_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Reads `rate`: a number, or a string holding one as the CLI sends it.
 * @throws CofferError (400) when it is missing, not a number, or below 0.5, which rounds to no request at all.
 */
export function parseRate(raw: unknown): number {
  if (raw === undefined || raw === null || raw === '') throw badRequest('missing required field "rate": give the number of requests per interval, such as 100');
  if (typeof raw === 'bigint') throw badRequest(`invalid field "rate": ${raw} is too large; the maximum is ${Number.MAX_SAFE_INTEGER}`);
  const rate = typeof raw === 'number' ? raw : typeof raw === 'string' && DECIMAL_NUMBER.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(rate)) throw badRequest(`invalid field "rate": expected a number, got ${JSON.stringify(raw)}`);
  if (rate <= 0) throw badRequest(`invalid field "rate": must be positive, got ${rate}`);
  if (Math.round(rate) < 1) throw badRequest(`invalid field "rate": ${rate} rounds to 0 requests per interval; use at least 0.5, or a longer "interval"`);
  if (rate > Number.MAX_SAFE_INTEGER) throw badRequest(`invalid field "rate": ${rate} is too large; the maximum is ${Number.MAX_SAFE_INTEGER}`);
  return rate;
}

/**
 * Splits `path` into the mount that serves it and the path below that mount.
 * @throws CofferError (400) when no mount serves the path, or a `*` is not at its end.
 */
function resolvePath(path: string, mountPathOf: (path: string) => string | undefined): { mountPath: string; pathSuffix: string } {
  const trimmed = path.trim().replace(/^\/+/, '');
  if (trimmed === '') return { mountPath: '', pathSuffix: '' };
  const star = trimmed.indexOf('*');
  if (star >= 0 && star !== trimmed.length - 1) {
    throw badRequest(`invalid field "path": ${JSON.stringify(path)} has a "*" before its end; a "*" may only end the path, to make it a prefix`);
  }
  const mountPath = mountPathOf(trimmed);
  if (mountPath === undefined) {
    throw badRequest(`invalid mount path ${JSON.stringify(trimmed)}: no secrets engine or auth method is mounted there; set "path" to an enabled mount or a path inside one`);
  }
  const below = trimmed.length > mountPath.length ? trimmed.slice(mountPath.length) : '';
  return { mountPath, pathSuffix: below.replace(/\/+$/, '') };
}

/**
 * Reads `rate_limit_exempt_paths`, dropping a leading "/" or "/v1/", which
 * Vault 1.5's documentation showed on its defaults.
 * @throws CofferError (400) for an entry with a "*" before its end.
 */
function parseExemptPaths(paths: string[]): string[] {
  const result: string[] = [];
  for (const entry of paths) {
    const path = entry.startsWith('/v1/') ? entry.slice(4) : entry.replace(/^\/+/, '');
    if (path === '') continue;
    const star = path.indexOf('*');
    if (star >= 0 && star !== path.length - 1) {
      throw badRequest(`invalid field "rate_limit_exempt_paths": ${JSON.stringify(entry)} has a "*" before its end; a "*" may only end an entry, to make it a prefix`);
    }
    if (!result.includes(path)) result.push(path);
  }
  return result;
}
