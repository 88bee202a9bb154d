/**
 * `code/:name`: generate the current code of a key (read) and validate a
 * code (update).
 */
import { badRequest, definePath, nameSegment, type FieldMap, type PathDefinition, type Storage } from '@coffer/sdk';
import type { TotpContext } from './context.js';
import { readKey, secretOf, type TotpKey } from './keys.js';
import { isWellFormedCode, totp, verifyTotp } from './otp.js';

/** Vault's message for a code presented again while its record lasts. */
export const CODE_USED_MESSAGE = 'code already used; wait until the next time period';

const CODE_FIELDS = {
  name: { type: 'string', description: 'Name of the key.' },
  code: { type: 'string', description: 'The code to validate. Required for an update.' },
} as const;

/** Declares `code/:name`. */
export function pathCode(context: TotpContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: `code/${nameSegment('name')}`,
    fields: CODE_FIELDS,
    operations: {
      read: async (request, fields) => {
        const key = await requireKey(request.storage, fields.get('name'));
        return { data: { code: totp(secretOf(key), context.clock.now(), key) } };
      },
      update: async (request, fields) => {
        const name = fields.get('name');
        const code = fields.get('code').trim();
        if (code === '') throw badRequest('the code value is required');

        const key = await requireKey(request.storage, name);

        // No await from here on: the replay check, its record and the
        // validation must happen in one step, or two concurrent requests
        // with one code could both pass the check.
        const now = context.clock.now();
        // A code that can never be valid is not recorded, so junk input
        // cannot grow the record. Vault records every code.
        if (isWellFormedCode(code, key.digits)) {
          // The record lasts the key's period times (2 + skew), as in Vault,
          // which outlasts every time step the code can be valid in.
          const ttlMs = key.period * (2 + key.skew) * 1000;
          if (!context.usedCodes.claim(name, code, now, ttlMs)) throw badRequest(CODE_USED_MESSAGE);
        }
        return { data: { valid: verifyTotp(secretOf(key), code, now, key) } };
      },
    },
    helpSynopsis: 'Generate or validate a time-based one-time password of a key.',
    helpDescription: `
A read returns the key's code for the current time step. An update checks the
code field against the current time step and, with skew 1, the steps on either
side. A code presented once is rejected until its time steps have passed, so it
cannot be replayed, even when the first attempt was not valid.`,
  });
}

/** Loads a key, or fails with Vault's 400 for an unknown key. */
async function requireKey(storage: Storage, name: string): Promise<TotpKey> {
  const key = await readKey(storage, name);
  if (key === null) throw badRequest(`unknown key: ${name}`);
  return key;
}
