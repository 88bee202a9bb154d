/**
 * Salted IDs of recently used service tokens, so a request that presents a
 * known token skips the two HMAC-SHA256 computations that name its entry in
 * storage and its client token for the backend.
 *
 * NOTE: the keys are tokens in clear. An entry stays in memory until it is
 * evicted, its token is revoked, or the server seals.
 */

/** The salted digests of one token. */
export interface SaltedIds {
  /** The token's storage key, `saltedId(token)`. */
  saltedId: string;
  /** Client tokens by mount point, each `saltedId("<mount point>:<token>")`, as backends of that mount see them. */
  clientTokens: Map<string, string>;
}

export class SaltedIdCache {
  private readonly byToken = new Map<string, SaltedIds>();
  /** The reverse index, so revoking a token by its salted ID drops its entry. */
  private readonly tokenBySaltedId = new Map<string, string>();

  /** @param maxTokens how many tokens are kept; past this, the one cached first is dropped. */
  constructor(private readonly maxTokens: number) {}

  get(token: string): SaltedIds | undefined {
    return this.byToken.get(token);
  }

  /** Caches `saltedId` for `token` and returns the new entry. */
  add(token: string, saltedId: string): SaltedIds {
    if (this.byToken.size >= this.maxTokens) {
      const oldest = this.byToken.keys().next().value as string;
      this.forget(this.byToken.get(oldest)!.saltedId);
    }
    const ids: SaltedIds = { saltedId, clientTokens: new Map() };
    this.byToken.set(token, ids);
    this.tokenBySaltedId.set(saltedId, token);
    return ids;
  }

  /** Drops the token whose salted ID is `saltedId`, if it is cached. */
  forget(saltedId: string): void {
    const token = this.tokenBySaltedId.get(saltedId);
    if (token === undefined) return;
    this.tokenBySaltedId.delete(saltedId);
    this.byToken.delete(token);
  }

  clear(): void {
    this.byToken.clear();
    this.tokenBySaltedId.clear();
  }

  get size(): number {
    return this.byToken.size;
  }
}
