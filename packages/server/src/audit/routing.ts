/**
 * Entry routing between devices: the `filter`, `fallback` and `exclude`
 * options every device accepts (Vault Enterprise 1.16 and 1.18).
 *
 * A device with a filter receives only the entries that match it, and a
 * device without one receives every entry. The one fallback device receives
 * exactly the entries that no other device's filter selected.
 */
import { badRequest } from '@coffer/sdk';
import { ExclusionError, parseExclusions, type Exclusion } from './exclusion.js';
import { FilterExpressionError, parseFilterExpression, type AuditFilter, type AuditFilterFields } from './filter-expression.js';
import { parseBooleanOption } from './format.js';
import type { AuditInput } from './input.js';

/** Routing settings of one device. */
export interface RoutingConfig {
  /** Absent when the device receives every entry. */
  filter?: AuditFilter;
  fallback: boolean;
  exclusions: Exclusion[];
}

/**
 * Reads the routing options of an enable request.
 * @throws CofferError (400) naming the option and the problem.
 */
export function parseRoutingConfig(options: Readonly<Record<string, string>>): RoutingConfig {
  const fallback = parseBooleanOption(options, 'fallback', false);
  const filterText = options.filter ?? '';
  if (fallback && filterText.trim() !== '') throw badRequest('invalid option "filter": a fallback device cannot have a filter');

  let filter: AuditFilter | undefined;
  if (filterText.trim() !== '') {
    try {
      filter = parseFilterExpression(filterText);
    } catch (err) {
      if (!(err instanceof FilterExpressionError)) throw err;
      throw badRequest(`invalid option "filter": ${err.message}`);
    }
  }

  let exclusions: Exclusion[] = [];
  const excludeText = options.exclude ?? '';
  if (excludeText.trim() !== '') {
    try {
      exclusions = parseExclusions(excludeText);
    } catch (err) {
      if (!(err instanceof ExclusionError)) throw err;
      throw badRequest(`invalid option "exclude": ${err.message}`);
    }
  }
  return { filter, fallback, exclusions };
}

/** Extracts the fields that filters and exclusion conditions select on. */
export function filterFields(input: AuditInput): AuditFilterFields {
  return {
    mount_point: input.mountPoint ?? '',
    mount_type: input.mountType ?? '',
    namespace: '',
    operation: input.operation,
    path: input.path,
  };
}

/**
 * Picks the devices that should record an entry with `fields`: every
 * non-fallback device whose filter matches, or else the fallback device. The
 * result is empty when every device filtered the entry out and there is no
 * fallback.
 */
export function selectTargets<T extends { routing: RoutingConfig }>(devices: Iterable<T>, fields: AuditFilterFields): T[] {
  const targets: T[] = [];
  let fallback: T | undefined;
  for (const device of devices) {
    if (device.routing.fallback) fallback = device;
    else if (device.routing.filter === undefined || device.routing.filter(fields)) targets.push(device);
  }
  if (targets.length === 0 && fallback !== undefined) targets.push(fallback);
  return targets;
}
