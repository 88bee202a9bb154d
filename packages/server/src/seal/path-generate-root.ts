/**
 * `sys/generate-root/attempt` and `sys/generate-root/update`: root token
 * generation authorized by key shares instead of a token. Like rekey, these
 * paths need no token and work only while the server is unsealed.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { sealedError } from '../barrier/barrier.js';
import type { Core } from '../core.js';
import { rawJson } from '../http/envelope.js';
import { shareSubmission } from './key-shares.js';
import { RootGeneration } from './root-generation.js';

export function generateRootPaths(core: Core): PathDefinition<FieldMap>[] {
  const generation = new RootGeneration({
    threshold: () => core.seal.keyThreshold,
    verify: (collector) => core.seal.verifyKeyShares(collector),
    createRootToken: async () => {
      const token = await core.tokens.createRoot();
      core.logger.info({}, 'root token generated from key shares');
      return token;
    },
  });
  const requireUnsealed = (): void => {
    if (core.sealed) throw sealedError();
  };
  // A sealed server keeps no key shares, so a seal ends the generation as well.
  core.sealHooks.push(() => generation.cancel());

  return [
    definePath({
      pattern: 'generate-root/attempt',
      fields: {
        otp: {
          type: 'string',
          description: 'One-time password, 28 base62 characters, that the new root token is XORed with. Omit it to have the server generate one.',
        },
        pgp_key: { type: 'string', description: 'Not supported: PGP encryption of the new root token.' },
      },
      operations: {
        async read() {
          requireUnsealed();
          return rawJson(generation.status());
        },
        async update(_request, fields) {
          requireUnsealed();
          if (fields.get('pgp_key') !== '') {
            throw badRequest('invalid "pgp_key": PGP encryption of the root token is not supported; omit it and use "otp"');
          }
          return rawJson(generation.start(fields.get('otp')));
        },
        async delete() {
          requireUnsealed();
          generation.cancel();
          return null;
        },
      },
      helpSynopsis: 'Start, read or cancel a root token generation.',
      helpDescription: 'A threshold of key shares authorizes a new root token, which is returned XORed with a one-time password.',
    }),
    definePath({
      pattern: 'generate-root/update',
      fields: {
        // Checked by the handler after the sealed check, so a sealed server returns 503 first.
        key: { type: 'string', description: 'One unseal key share, or recovery key share with an auto-unseal seal; hex or base64; required.' },
        nonce: { type: 'string', description: 'The nonce of the root token generation in progress; required.' },
      },
      operations: {
        async update(_request, fields) {
          requireUnsealed();
          const { key, nonce } = shareSubmission(fields);
          return rawJson(await generation.submit(key, nonce));
        },
      },
      helpSynopsis: 'Submit a key share to the root token generation.',
      helpDescription: 'Once the threshold is reached, returns the new root token encoded with the one-time password.',
    }),
  ];
}
