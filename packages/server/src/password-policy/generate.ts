/**
 * Password generation from a parsed policy, as Vault describes it
 * (docs/concepts/password-policies): draw every character uniformly from
 * the union of the rules' charsets, then keep the candidate only if it
 * satisfies every rule, else draw a new one. Rejecting whole candidates
 * keeps the result uniform over all passwords the policy allows, which
 * placing the required characters first would not.
 */
import { randomFillSync } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { internalError } from '@coffer/sdk';
import type { PasswordPolicy } from './parse.js';

/** How long one generation may take before it fails, as in Vault. */
export const GENERATION_TIMEOUT_MS = 1000;

/** How long candidates are drawn before the event loop gets a turn. */
const SLICE_MS = 5;

/**
 * Vault's default password policy, applied where an engine names none: 20
 * characters with at least one lowercase letter, one uppercase letter, one
 * digit and one dash.
 */
export const DEFAULT_PASSWORD_POLICY = `length = 20

rule "charset" {
  charset   = "abcdefghijklmnopqrstuvwxyz"
  min-chars = 1
}
rule "charset" {
  charset   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
  min-chars = 1
}
rule "charset" {
  charset   = "0123456789"
  min-chars = 1
}
rule "charset" {
  charset   = "-"
  min-chars = 1
}
`;

/**
 * Random indexes below a bound, one CSPRNG byte each. A byte counts only
 * when it is below the largest multiple of the bound that fits in 256,
 * which makes every index equally likely. Other bytes are discarded.
 */
class IndexSource {
  private readonly buffer = Buffer.allocUnsafe(1024);
  private offset = this.buffer.length;
  private readonly limit: number;

  constructor(private readonly bound: number) {
    this.limit = Math.floor(256 / bound) * bound;
  }

  next(): number {
    for (;;) {
      if (this.offset === this.buffer.length) {
        randomFillSync(this.buffer);
        this.offset = 0;
      }
      const byte = this.buffer[this.offset++];
      if (byte < this.limit) return byte % this.bound;
    }
  }
}

/** Returns whether a candidate has at least `minChars` characters of every rule's charset. */
function satisfiesRules(policy: PasswordPolicy, candidate: readonly string[]): boolean {
  for (const rule of policy.rules) {
    if (rule.minChars === 0) continue;
    let count = 0;
    for (const character of candidate) {
      if (rule.characters.has(character)) count += 1;
    }
    if (count < rule.minChars) return false;
  }
  return true;
}

/**
 * Generates a password from `policy`. Drawing pauses every few
 * milliseconds so a restrictive policy does not hold up other requests.
 * @param timeoutMs - How long to keep drawing candidates; Vault's 1 s by default.
 * @throws CofferError (500) when no candidate satisfied the rules in time.
 */
export async function generatePassword(policy: PasswordPolicy, timeoutMs = GENERATION_TIMEOUT_MS): Promise<string> {
  const indexes = new IndexSource(policy.charset.length);
  const deadline = Date.now() + timeoutMs;
  let sliceEnd = Date.now() + SLICE_MS;
  const candidate = new Array<string>(policy.length);

  for (;;) {
    for (let position = 0; position < policy.length; position++) candidate[position] = policy.charset[indexes.next()];
    if (satisfiesRules(policy, candidate)) return candidate.join('');

    const now = Date.now();
    if (now >= deadline) throw internalError(`timed out generating a password after ${timeoutMs} ms: the policy's rules are too restrictive`);
    if (now >= sliceEnd) {
      await yieldToEventLoop();
      sliceEnd = Date.now() + SLICE_MS;
    }
  }
}
