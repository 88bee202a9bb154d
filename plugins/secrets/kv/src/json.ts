/**
 * JSON object helpers, including the JSON merge patch of RFC 7396.
 */

export type JsonObject = Record<string, unknown>;

/** Returns true for a JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Sets an own, enumerable property. Plain assignment of a key named
 * `__proto__` would replace the object's prototype instead of storing the
 * key, and secret data may contain any key.
 */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Applies a JSON merge patch (RFC 7396, section 2) to `target` and returns
 * the result without changing either input: a `null` member removes the key,
 * an object member merges recursively, and any other member replaces the
 * value, arrays included.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return structuredClone(patch);

  const result: JsonObject = {};
  if (isJsonObject(target)) {
    for (const [key, value] of Object.entries(target)) setOwn(result, key, structuredClone(value));
  }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
      continue;
    }
    const current = Object.hasOwn(result, key) ? result[key] : undefined;
    setOwn(result, key, applyMergePatch(current, value));
  }
  return result;
}
