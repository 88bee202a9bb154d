// The auto-auth loop: log in (with backoff on failure), hand the token to
// the sinks and the other parts of the agent, keep it renewed, and log in
// again when renewal fails or the token nears its max TTL.
import { CofferClient } from '../client.js';
import type { AuthMethod, AuthToken } from './auth-methods.js';
import type { MethodConfig } from './config.js';
import type { AgentLogger } from './log.js';
import { wait } from './timers.js';

/** Called with every new token; the loop waits for it before it renews. */
export type TokenListener = (token: AuthToken) => Promise<void>;

/** Fraction of the lease after which the token is renewed, as Vault's lifetime watcher does at about two thirds. */
const renewAtFraction = 2 / 3;

/** Fraction of the remaining lease to wait before logging in again, once renewal can no longer extend the token. */
const reauthAtFraction = 0.8;

function reason(error: unknown): string {
  return error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error);
}

export class AuthHandler {
  constructor(
    private readonly client: CofferClient,
    private readonly method: MethodConfig,
    private readonly login: AuthMethod,
    private readonly logger: AgentLogger,
    private readonly onToken: TokenListener,
  ) {}

  /**
   * Logs in, retrying with backoff from min_backoff doubling to max_backoff.
   * Returns the token, or undefined when `signal` aborts first. With
   * `attempts`, gives up after that many failures and throws the last error.
   */
  async authenticate(signal: AbortSignal, attempts = Infinity): Promise<AuthToken | undefined> {
    let backoff = this.method.minBackoff;
    for (let attempt = 1; !signal.aborted; attempt += 1) {
      try {
        const token = await this.login.login(this.client);
        this.logger.info('authentication successful', { method: this.method.type, accessor: token.accessor, ttl: token.leaseDuration });
        await this.onToken(token);
        return token;
      } catch (error) {
        if (attempt >= attempts) throw error;
        this.logger.error('authentication failed, retrying', { method: this.method.type, backoff: `${backoff}s`, error: reason(error) });
      }
      if (!(await wait(backoff, signal))) return undefined;
      backoff = Math.min(backoff * 2, this.method.maxBackoff);
    }
    return undefined;
  }

  /**
   * Keeps a token renewed, then logs in again, until `signal` aborts. With
   * exit_on_err, a failed login ends the loop and rejects.
   */
  async run(first: AuthToken, signal: AbortSignal): Promise<void> {
    let token: AuthToken | undefined = first;
    while (token !== undefined && !signal.aborted) {
      await this.watch(token, signal);
      if (signal.aborted) return;
      token = await this.authenticate(signal, this.method.exitOnError ? 1 : Infinity);
    }
  }

  /**
   * Renews `token` at about two thirds of its lease, and returns when it
   * must be replaced. That is when renewal fails, when a token that cannot
   * be renewed nears its end, or when the max TTL caps a renewal. A token
   * without a lease is kept until the agent stops.
   */
  private async watch(token: AuthToken, signal: AbortSignal): Promise<void> {
    if (token.leaseDuration <= 0) {
      await wait(Infinity, signal);
      return;
    }
    const increment = token.leaseDuration;
    const renewer = new CofferClient({ ...this.client.config, token: token.token });
    let ttl = token.leaseDuration;
    for (;;) {
      if (!token.renewable) {
        await wait(ttl * reauthAtFraction, signal);
        this.logger.info('token is not renewable, logging in again before it expires', { accessor: token.accessor });
        return;
      }
      if (!(await wait(ttl * renewAtFraction, signal))) return;

      let renewed: number;
      try {
        const response = await renewer.write('auth/token/renew-self', { increment });
        renewed = response?.auth?.lease_duration ?? 0;
      } catch (error) {
        this.logger.warn('token renewal failed, logging in again', { accessor: token.accessor, error: reason(error) });
        return;
      }
      this.logger.debug('renewed auth token', { accessor: token.accessor, ttl: renewed });
      if (renewed < increment) {
        // The max TTL capped the renewal: use the rest of the token, then log in again.
        this.logger.info('token is near its max TTL, logging in again before it expires', { accessor: token.accessor, ttl: renewed });
        await wait(renewed * reauthAtFraction, signal);
        return;
      }
      ttl = renewed;
    }
  }
}
