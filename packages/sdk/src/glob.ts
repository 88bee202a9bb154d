/**
 * Glob matching of names, such as policy names in token roles and role
 * names in a database connection's `allowed_roles`.
 */

/**
 * Returns true when `name` matches a glob in which `*` matches any run of
 * characters. Each literal part is found at its leftmost place, so the time
 * is linear in the name's length. A regular expression with `.*` per star
 * backtracks in time that grows with the length to the power of the stars.
 */
export function globMatches(pattern: string, name: string): boolean {
  const parts = pattern.split('*');
  const first = parts[0];
  if (parts.length === 1) return name === first;

  const last = parts[parts.length - 1];
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return false;

  let position = first.length;
  const end = name.length - last.length;
  for (const part of parts.slice(1, -1)) {
    const found = name.indexOf(part, position);
    if (found === -1 || found + part.length > end) return false;
    position = found + part.length;
  }
  return true;
}
