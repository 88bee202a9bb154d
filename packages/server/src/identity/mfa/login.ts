/**
 * The MFA step of a login. A login whose entity matches a login enforcement
 * gets no token: it is held in memory, and the client receives an MFA
 * requirement. `sys/mfa/validate` with the right codes, or the same login
 * sent with `X-Vault-MFA` headers, completes it.
 *
 * Held logins, used codes and attempt counts live only in this node's
 * memory, as in Vault, so they are lost at seal, restart or failover.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, CofferError, formatDuration, type Response } from '@coffer/sdk';
import { issuedTokenResponse } from '../../token/token-entry.js';
import type { LoginEnforcement, TotpMethod } from './model.js';
import type { MfaStore } from './store.js';
import { base32Decode, verifyTotpCode } from './totp.js';

/**
 * How long a login waits for its MFA codes: 300 seconds, Vault's
 * `defaultMFAAuthResponseTTL` (vault/core.go).
 */
export const PENDING_LOGIN_TTL_MS = 300_000;

/** The warning on a login held for MFA. Vault adds a warning of its own wording. */
export const MFA_REQUIRED_WARNING = 'This login needs MFA: send its passcodes with the mfa_request_id to sys/mfa/validate to get the token.';

/** Issues the token of a login once its MFA step is done. */
export type IssueLogin = () => Promise<Response>;

interface PendingLogin {
  entityId: string;
  enforcements: LoginEnforcement[];
  issue: IssueLogin;
  expiresAt: number;
}

/** Validation attempts counted against an entity's key for one method, until `expiresAt`. */
interface AttemptWindow {
  count: number;
  expiresAt: number;
}

/** Passcodes sent for each method ID. */
export type MfaCredentials = Map<string, string[]>;

function mfaDenied(enforcement: string, reason: string): CofferError {
  return new CofferError('COFFER_ERR_PERMISSION_DENIED', 403, `failed to satisfy enforcement ${enforcement}. error: ${reason}`);
}

export class LoginMfa {
  private readonly pending = new Map<string, PendingLogin>();
  /** Expiry times of used codes, by method, entity and code. */
  private readonly usedCodes = new Map<string, number>();
  /** Validation attempts, by method and entity. */
  private readonly attempts = new Map<string, AttemptWindow>();

  constructor(
    readonly store: MfaStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads the MFA configuration; called at unseal, after the identity store. */
  setup(): Promise<void> {
    return this.store.setup();
  }

  /** Forgets the configuration, held logins, used codes and attempt counts, at seal and step-down. */
  teardown(): void {
    this.pending.clear();
    this.usedCodes.clear();
    this.attempts.clear();
    this.store.teardown();
  }

  /**
   * Holds a login and returns the response that carries its MFA
   * requirement: no token, and for each enforcement the methods that can
   * satisfy it.
   */
  hold(entityId: string, enforcements: LoginEnforcement[], issue: IssueLogin): Response {
    this.sweep();
    const requestId = randomUUID();
    this.pending.set(requestId, { entityId, enforcements, issue, expiresAt: this.now() + PENDING_LOGIN_TTL_MS });
    const constraints: Record<string, unknown> = {};
    for (const enforcement of enforcements) {
      const methods = enforcement.methodIds.map((id) => this.store.method(id)).filter((method) => method !== undefined);
      constraints[enforcement.name] = { any: methods.map((method) => ({ type: 'totp', id: method.id, uses_passcode: true, name: method.name })) };
    }
    this.store.logger.info({ entityId, enforcements: enforcements.map((enforcement) => enforcement.name) }, 'login held for mfa validation');
    const block = {
      client_token: '',
      accessor: '',
      policies: null,
      token_policies: null,
      metadata: null,
      lease_duration: 0,
      renewable: false,
      entity_id: '',
      token_type: '',
      orphan: false,
      mfa_requirement: { mfa_request_id: requestId, mfa_constraints: constraints },
      num_uses: 0,
    };
    return issuedTokenResponse(block, [MFA_REQUIRED_WARNING]);
  }

  /**
   * Completes a held login with the codes of `sys/mfa/validate` and returns
   * its token. A wrong code leaves the login held, so the client may retry
   * until the method's attempt limit.
   * @throws CofferError (400) for an unknown request ID or payload key, (403) when a code fails.
   */
  async validate(requestId: string, payload: Record<string, unknown>): Promise<Response> {
    this.sweep();
    const pending = this.pending.get(requestId);
    if (pending === undefined || pending.expiresAt <= this.now()) {
      this.pending.delete(requestId);
      throw badRequest(`invalid mfa_request_id "${requestId}": no login waits for MFA with this ID, or it expired after ${PENDING_LOGIN_TTL_MS / 1000} seconds; log in again`);
    }
    const credentials = this.parsePayload(payload, pending.enforcements);
    await this.check(pending.entityId, pending.enforcements, credentials);

    // Checked again after the awaits: a concurrent request may have completed it.
    if (!this.pending.delete(requestId)) throw badRequest(`invalid mfa_request_id "${requestId}": the login was already completed`);
    this.store.logger.info({ entityId: pending.entityId }, 'login mfa validated');
    return pending.issue();
  }

  /**
   * Checks the `X-Vault-MFA` header values of a login, each
   * `<method name or ID>:<passcode>`.
   * @throws CofferError (400) for a malformed value, (403) when a code fails or is missing.
   */
  async validateHeaders(entityId: string, enforcements: LoginEnforcement[], values: string[]): Promise<void> {
    const credentials: MfaCredentials = new Map();
    for (const value of values) {
      const separator = value.indexOf(':');
      // The value is left out of the message because it carries a passcode.
      if (separator <= 0) throw badRequest('invalid X-Vault-MFA header: expected <method name or ID>:<passcode>');
      const name = value.slice(0, separator).trim();
      const method = this.store.methodByIdOrName(name);
      if (method === undefined) {
        // Digits may be a passcode sent before the name, so they stay out of the message and the audit log.
        if (/^[0-9]+$/.test(name)) throw badRequest('invalid X-Vault-MFA header: no MFA method has the digits before ":" as its name or ID; expected <method name or ID>:<passcode>');
        throw badRequest(`invalid X-Vault-MFA header: no MFA method has the name or ID "${name}"`);
      }
      // Only one passcode per method could be checked, so several are rejected, as Vault rejects them.
      if (credentials.has(method.id)) throw badRequest(`invalid X-Vault-MFA header: more than one passcode for MFA method "${method.id}"; send one header per method`);
      credentials.set(method.id, [value.slice(separator + 1).trim()]);
    }
    await this.check(entityId, enforcements, credentials);
  }

  /** Maps the payload's keys, method IDs or names, to the methods of the held login. */
  private parsePayload(payload: Record<string, unknown>, enforcements: LoginEnforcement[]): MfaCredentials {
    const required = new Set(enforcements.flatMap((enforcement) => enforcement.methodIds));
    const credentials: MfaCredentials = new Map();
    for (const [key, value] of Object.entries(payload)) {
      const method = this.store.methodByIdOrName(key);
      if (method === undefined || !required.has(method.id)) {
        throw badRequest(`invalid mfa_payload: "${key}" is not the ID or name of an MFA method that this login requires`);
      }
      if (!Array.isArray(value) || value.length !== 1 || typeof value[0] !== 'string') {
        throw badRequest(`invalid mfa_payload: the value for "${key}" must be a list with one passcode, such as ["123456"]`);
      }
      credentials.set(method.id, value);
    }
    return credentials;
  }

  /**
   * Checks that every enforcement is satisfied by one of its methods. A
   * method that several enforcements share is checked once, because its
   * passcode is used up by the first check. (Vault checks it once per
   * enforcement, so there such a login always fails with "code already used".)
   */
  private async check(entityId: string, enforcements: LoginEnforcement[], credentials: MfaCredentials): Promise<void> {
    const passed = new Set<string>();
    for (const enforcement of enforcements) {
      const methodId = enforcement.methodIds.find((id) => credentials.has(id));
      const method = methodId === undefined ? undefined : this.store.method(methodId);
      if (method === undefined) throw mfaDenied(enforcement.name, 'no passcode was given for any of its MFA methods');
      if (passed.has(method.id)) continue;

      const reason = await this.checkTotp(method, entityId, credentials.get(method.id)![0]!);
      if (reason !== undefined) throw mfaDenied(enforcement.name, reason);
      passed.add(method.id);
    }
  }

  /**
   * Checks one passcode and returns the reason it failed, if it did, in the
   * order of Vault's `validateTOTP` (vault/login_mfa.go):
   *
   * 1. A passcode of the wrong length, and a code that was already used,
   *    fail without being counted.
   * 2. Every other attempt is counted before its code is compared. The
   *    count starts at the first attempt and lasts `period` seconds from
   *    then; later attempts do not extend it. Once it has reached
   *    `max_validation_attempts`, every attempt fails, right code or wrong,
   *    without being counted or compared, until it lapses.
   * 3. A right code clears the count and is kept as used for
   *    `period × (2 + skew)` seconds.
   */
  private async checkTotp(method: TotpMethod, entityId: string, submitted: string): Promise<string | undefined> {
    const passcode = submitted.startsWith('passcode=') ? submitted.slice('passcode='.length) : submitted;
    const secret = await this.store.readSecret(method.id, entityId);
    if (secret === undefined) return `entity "${entityId}" has no TOTP secret for MFA method "${method.id}": an administrator can create one at identity/mfa/method/totp/admin-generate`;

    // Everything from here on is synchronous, so concurrent checks of one code cannot both pass.
    const now = this.now();
    if (passcode.length !== method.digits) return 'failed to validate TOTP passcode';
    const limitKey = `${method.id}/${entityId}`;
    const usedKey = `${limitKey}/${passcode}`;
    const usedUntil = this.usedCodes.get(usedKey);
    if (usedUntil !== undefined && usedUntil > now) return `code already used; new code is available in ${method.period} seconds`;

    const live = this.attempts.get(limitKey);
    const attempts = live !== undefined && live.expiresAt > now ? live : undefined;
    if (attempts === undefined) {
      this.attempts.set(limitKey, { count: 1, expiresAt: now + method.period * 1000 });
    } else if (attempts.count >= method.maxValidationAttempts) {
      // Vault's text, with the period as a Go duration followed by "seconds", such as "30s seconds".
      return `maximum TOTP validation attempts ${attempts.count + 1} exceeded the allowed attempts ${method.maxValidationAttempts}. Please try again in ${formatDuration(method.period)} seconds`;
    } else {
      attempts.count += 1;
    }

    if (!verifyTotpCode(base32Decode(secret.key), passcode, method, now)) {
      this.store.logger.warn({ methodId: method.id, entityId, attempts: this.attempts.get(limitKey)?.count }, 'totp passcode rejected');
      return 'failed to validate TOTP passcode';
    }
    // A code stays valid for its own step and the skew steps around it.
    this.usedCodes.set(usedKey, now + method.period * (2 + method.skew) * 1000);
    this.attempts.delete(limitKey);
    return undefined;
  }

  /** Drops expired held logins, used codes and attempt windows. */
  private sweep(): void {
    const now = this.now();
    // Held logins share one TTL, so they expire in the order they were held
    // and the scan stops at the first live one. With the wall clock set back,
    // an expired login may stay until a later sweep, and validate rejects it.
    for (const [id, login] of this.pending) {
      if (login.expiresAt > now) break;
      this.pending.delete(id);
    }
    for (const [key, expiresAt] of this.usedCodes) if (expiresAt <= now) this.usedCodes.delete(key);
    for (const [key, window] of this.attempts) if (window.expiresAt <= now) this.attempts.delete(key);
  }
}
