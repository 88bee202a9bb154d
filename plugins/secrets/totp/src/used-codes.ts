/**
 * Codes already presented for validation, so that a code cannot be replayed
 * while it is still valid. Vault keeps the same record in memory, per key
 * name and code, for the key's period times (2 + skew).
 *
 * NOTE: the record lives in the memory of the active server only, as in
 * Vault, so a restart within that window loses it.
 */

/** Used codes per key name, each with the time in milliseconds at which its record expires. */
export class UsedCodes {
  private readonly byKey = new Map<string, Map<string, number>>();

  /**
   * Records `code` of key `name` as used until `nowMs + ttlMs`. Returns
   * false, and records nothing, when the code is already recorded and its
   * record has not expired. The check and the record happen in one
   * synchronous step, so of two concurrent requests with one code only the
   * first can claim it.
   */
  claim(name: string, code: string, nowMs: number, ttlMs: number): boolean {
    let codes = this.byKey.get(name);
    if (codes === undefined) {
      codes = new Map();
      this.byKey.set(name, codes);
    }
    const expiresAt = codes.get(code);
    if (expiresAt !== undefined && expiresAt > nowMs) return false;

    codes.set(code, nowMs + ttlMs);
    return true;
  }

  /** Drops every record that has expired at `nowMs`. */
  prune(nowMs: number): void {
    for (const [name, codes] of this.byKey) {
      for (const [code, expiresAt] of codes) {
        if (expiresAt <= nowMs) codes.delete(code);
      }
      if (codes.size === 0) this.byKey.delete(name);
    }
  }

  /** Returns the number of records, expired ones included until the next prune. */
  get size(): number {
    let total = 0;
    for (const codes of this.byKey.values()) total += codes.size;
    return total;
  }
}
