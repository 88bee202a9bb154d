/** Unknown-setting errors, with a suggestion when the name looks like a typo of a known one. */
import type { ConfigError } from './errors.js';
import type { Scope } from './scope.js';

/** Builds the error for an unknown setting `key`, suggesting the closest of `known` if it is close. */
export function unknownSetting(scope: Scope, key: string, known: readonly string[]): ConfigError {
  const suggestion = closestName(key, known);
  const hint = suggestion === undefined ? '' : `. Did you mean "${suggestion}"?`;
  return scope.fail(key, `unknown setting "${key}"${scope.where}${hint}`);
}

/**
 * Returns the known name nearest to `name` by edit distance, if it is at most
 * two edits away (one for names of four characters or fewer).
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const limit = name.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance: the fewest insertions, deletions and substitutions turning `a` into `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}
