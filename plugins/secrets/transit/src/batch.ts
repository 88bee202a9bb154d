/**
 * `batch_input`: one request that carries many items. A malformed list or
 * an ill-typed item field rejects the whole request with 400, as in Vault.
 * A bad item value (invalid base64, a failed authentication, a version the
 * key does not allow) fails only that item: its result contains `error`,
 * and the other items still succeed.
 */
import { isPlainObject, type Logger, type Request, type Response } from '@coffer/sdk';
import { errorMessage, errorStatus, invalidField } from './errors.js';
import { respondWithStatus } from './respond.js';

export type BatchItem = Record<string, unknown>;

/**
 * Returns the items of `batch_input`, or undefined when the request has none.
 * @param known - The field names an item may carry.
 * @throws CofferError (400) for a list that is empty, not a list of
 *   objects, or has items with unknown fields.
 */
export function readBatchInput(raw: Record<string, unknown>, known: readonly string[]): BatchItem[] | undefined {
  const value = raw.batch_input;
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalidField('batch_input', `expected a list of objects, got ${describe(value)}`);
  if (value.length === 0) throw invalidField('batch_input', 'the list is empty: give at least one item');

  return value.map((item: unknown, index) => {
    if (!isPlainObject(item)) throw invalidField(`batch_input[${index}]`, `expected an object, got ${describe(item)}`);
    const unknown = Object.keys(item).filter((name) => !known.includes(name));
    if (unknown.length > 0) throw invalidField(`batch_input[${index}]`, `unknown field "${unknown[0]}"`);
    return item;
  });
}

/**
 * The fields an item of encrypt, decrypt or rewrap may carry. Vault decodes
 * the items of all three into one structure, so each path accepts the
 * others' fields and ignores those it does not use. This lets a client send
 * the batch_results of an encrypt request to decrypt as they are.
 */
export const CIPHER_ITEM_FIELDS = ['plaintext', 'ciphertext', 'context', 'nonce', 'key_version', 'associated_data', 'reference'] as const;

/**
 * Returns a string field of an item, or undefined when it is absent or null.
 * @throws CofferError (400) when the field is not a string.
 */
export function itemString(item: BatchItem, index: number, name: string): string | undefined {
  const value = item[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidField(`batch_input[${index}].${name}`, `expected a string, got ${describe(value)}`);
  return value;
}

/**
 * Returns an integer field of an item, accepting a string of digits as the
 * SDK's `int` fields do. An absent or null field is 0.
 * @throws CofferError (400) when the field is not an integer.
 */
export function itemInteger(item: BatchItem, index: number, name: string): number {
  const value = item[name];
  if (value === undefined || value === null) return 0;
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
    throw invalidField(`batch_input[${index}].${name}`, `expected an integer, got ${describe(value)}`);
  }
  return number;
}

/** The results of a batch and which kinds of outcome it had. */
export interface BatchOutcome {
  results: Record<string, unknown>[];
  successes: boolean;
  userErrors: boolean;
  internalErrors: boolean;
}

/**
 * Runs `process` for every item in order. An item whose `process` throws
 * gets `{ error: message }`; an error that is not a CofferError is logged
 * and reported as "internal error".
 */
export async function runBatch<T>(
  items: readonly T[],
  logger: Logger,
  process: (item: T, index: number) => Promise<Record<string, unknown>> | Record<string, unknown>,
): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { results: [], successes: false, userErrors: false, internalErrors: false };
  for (const [index, item] of items.entries()) {
    try {
      outcome.results.push(await process(item, index));
      outcome.successes = true;
    } catch (err) {
      const status = errorStatus(err);
      if (status >= 500) {
        outcome.internalErrors = true;
        logger.error({ err, item: index }, 'batch item failed');
      } else {
        outcome.userErrors = true;
      }
      outcome.results.push({ error: errorMessage(err) });
    }
  }
  return outcome;
}

/**
 * Builds the response of a batch the way Vault's `batchRequestResponse`
 * does: 200 when every item succeeded. Otherwise the status is 400 when any
 * item failed for a bad input, else 500. When some items succeeded,
 * `partialFailureCode` replaces that status if it is a valid HTTP status,
 * and an invalid one is reported in a warning.
 */
export function batchResponse(
  request: Request,
  data: Record<string, unknown>,
  outcome: BatchOutcome,
  partialFailureCode: number | undefined,
  warnings: string[] = [],
): Response {
  if (!outcome.userErrors && !outcome.internalErrors) {
    return warnings.length > 0 ? { data, warnings } : { data };
  }

  let status = outcome.userErrors ? 400 : 500;
  if (partialFailureCode !== undefined && outcome.successes) {
    if (partialFailureCode < 1 || partialFailureCode > 599) {
      warnings.push(`invalid HTTP response code override from partial_failure_response_code, reverting to ${status}`);
    } else {
      status = partialFailureCode;
    }
  }
  return respondWithStatus(request, status, data, warnings);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  return `${typeof value} ${String(value)}`;
}

/** An item after its fields were decoded, or the error that decoding raised. */
export type Prepared<T> = { value: T } | { error: unknown };

/** Decodes every item, keeping each item's error instead of throwing it. */
export function prepareItems<I, T>(items: readonly I[], decode: (item: I, index: number) => T): Prepared<T>[] {
  return items.map((item, index) => {
    try {
      return { value: decode(item, index) };
    } catch (error) {
      return { error };
    }
  });
}

/** Returns the decoded value, or throws the error decoding raised. */
export function unwrap<T>(prepared: Prepared<T>): T {
  if ('error' in prepared) throw prepared.error;
  return prepared.value;
}

/**
 * Vault's rule for encrypt, decrypt and rewrap: either every item carries a
 * context or none does, because one request addresses one key, which is
 * derived or not.
 * @throws CofferError (400) with Vault's message.
 */
export function requireConsistentContext(contexts: readonly (string | undefined)[]): void {
  const set = contexts.map((context) => context !== undefined && context !== '');
  if (set.some((value) => value !== set[0])) {
    throw invalidField('context', 'context should be set either in all the request blocks or in none');
  }
}

/** Adds each item's `reference` to its result, as Vault echoes it for correlation. */
export function withReferences(outcome: BatchOutcome, references: readonly (string | undefined)[]): Record<string, unknown>[] {
  return outcome.results.map((result, index) => ({ ...result, reference: references[index] ?? '' }));
}
