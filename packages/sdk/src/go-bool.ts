/**
 * Booleans spelled as Go's `strconv.ParseBool` reads them, which Vault uses
 * for boolean settings, options, query parameters and environment variables.
 */
const GO_BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['1', true],
  ['t', true],
  ['T', true],
  ['true', true],
  ['TRUE', true],
  ['True', true],
  ['0', false],
  ['f', false],
  ['F', false],
  ['false', false],
  ['FALSE', false],
  ['False', false],
]);

/** Returns the boolean that Go's `strconv.ParseBool` reads from `text`, or `undefined` for any other text. */
export function parseGoBool(text: string): boolean | undefined {
  return GO_BOOLEANS.get(text);
}
