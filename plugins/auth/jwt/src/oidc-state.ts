/**
 * Browser logins in progress, between `oidc/auth_url` and `oidc/callback`,
 * kept in memory as Vault keeps them: a restart or seal ends them, and each
 * expires after ten minutes. A state is random and used once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** One login in progress. */
export interface OidcState {
  roleName: string;
  /** The redirect URI sent to the provider, which the code exchange must repeat. */
  redirectUri: string;
  /** The `nonce` sent to the provider, which the ID token must carry. */
  nonce: string;
  /** The caller's own nonce from `auth_url`, which the callback must repeat; empty for none. */
  clientNonce: string;
  /** The PKCE code verifier (RFC 7636) of the code exchange. */
  codeVerifier: string;
}

interface StoredState extends OidcState {
  state: string;
  expiresAt: number;
}

/** Lifetime of a login in progress, as in Vault. */
export const OIDC_STATE_TTL_MS = 10 * 60 * 1000;

/** `auth_url` needs no token, so the number of logins in progress is capped; past it the oldest is dropped. */
const MAX_STATES = 10_000;

export class OidcStateStore {
  private readonly states = new Map<string, StoredState>();

  constructor(private readonly now: () => number) {}

  /** Stores a login and returns its random state. */
  create(login: OidcState): string {
    this.sweep();
    if (this.states.size >= MAX_STATES) this.states.delete(this.states.keys().next().value as string);
    const state = randomToken();
    this.states.set(digest(state), { ...login, state, expiresAt: this.now() + OIDC_STATE_TTL_MS });
    return state;
  }

  /** Removes and returns the login of `state`; undefined when it is unknown, used or expired. */
  take(state: string): OidcState | undefined {
    const key = digest(state);
    const stored = this.states.get(key);
    if (stored === undefined) return undefined;
    this.states.delete(key);
    if (!secretsEqual(stored.state, state) || stored.expiresAt <= this.now()) return undefined;
    const { state: _state, expiresAt: _expiresAt, ...login } = stored;
    return login;
  }

  clear(): void {
    this.states.clear();
  }

  get size(): number {
    return this.states.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, stored] of this.states) if (stored.expiresAt <= now) this.states.delete(key);
  }
}

/** Returns 32 random bytes as base64url, for states, nonces and PKCE verifiers. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares two secrets in constant time, whatever their lengths. */
export function secretsEqual(left: string, right: string): boolean {
  return timingSafeEqual(createHash('sha256').update(left).digest(), createHash('sha256').update(right).digest());
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
