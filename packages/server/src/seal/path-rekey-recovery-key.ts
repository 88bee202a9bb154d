/**
 * `sys/rekey-recovery-key/init`, `/update` and `/verify`: the rekey of the
 * recovery key shares of an auto seal, mirroring `sys/rekey` for unseal
 * keys. Like it, these paths need no token, because current recovery key
 * shares authorize the rekey, and they work only while the server is
 * unsealed.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { sealedError } from '../barrier/barrier.js';
import type { Core } from '../core.js';
import { rawJson } from '../http/envelope.js';
import { AutoSeal } from './auto-seal.js';
import { shareSubmission } from './key-shares.js';
import type { SharesRekey } from './shares-rekey.js';

export function rekeyRecoveryKeyPaths(core: Core): PathDefinition<FieldMap>[] {
  /** Returns the rekey of the auto seal after the checks that every operation makes. */
  const rekey = (): SharesRekey => {
    if (core.sealed) throw sealedError();
    if (!(core.seal instanceof AutoSeal)) {
      throw badRequest(`recovery keys exist only with an auto-unseal seal, and this server uses the "${core.seal.type}" seal; rekey unseal keys with sys/rekey`);
    }
    return core.seal.recoveryRekey;
  };
  // Vault clears rekey progress when it seals.
  core.sealHooks.push(() => {
    if (core.seal instanceof AutoSeal) core.seal.recoveryRekey.cancel();
  });

  return [
    definePath({
      pattern: 'rekey-recovery-key/init',
      fields: {
        secret_shares: { type: 'int', description: 'Number of new recovery key shares.' },
        secret_threshold: { type: 'int', description: 'Number of new recovery key shares needed to authorize recovery operations.' },
        pgp_keys: { type: 'comma_string_slice', description: 'Not supported: PGP encryption of the new shares.' },
        backup: { type: 'bool', description: 'Not supported: backup of PGP-encrypted shares.' },
        require_verification: {
          type: 'bool',
          description: 'Keep the current recovery key until a threshold of the new shares is submitted to sys/rekey-recovery-key/verify.',
        },
      },
      operations: {
        async read() {
          return rawJson(rekey().status());
        },
        async update(_request, fields) {
          const current = rekey();
          if (fields.get('pgp_keys').length > 0) {
            throw badRequest('invalid "pgp_keys": PGP encryption of recovery key shares is not supported; omit the field');
          }
          if (fields.get('backup')) throw badRequest('invalid "backup": backup of recovery key shares is not supported; omit the field');
          if (!fields.has('secret_shares')) throw badRequest('missing required field "secret_shares"');
          if (!fields.has('secret_threshold')) throw badRequest('missing required field "secret_threshold"');
          return rawJson(current.start(fields.get('secret_shares'), fields.get('secret_threshold'), fields.get('require_verification')));
        },
        async delete() {
          rekey().cancel();
          return null;
        },
      },
      helpSynopsis: 'Start, read or cancel a rekey of the recovery keys.',
      helpDescription: 'A rekey replaces the recovery key and its shares; a threshold of the current recovery key shares authorizes it.',
    }),
    definePath({
      pattern: 'rekey-recovery-key/update',
      fields: {
        // Checked by the handler after the sealed check, so a sealed server returns 503 first.
        key: { type: 'string', description: 'One current recovery key share, hex or base64; required.' },
        nonce: { type: 'string', description: 'The nonce of the rekey in progress; required.' },
      },
      operations: {
        async update(_request, fields) {
          const current = rekey();
          const { key, nonce } = shareSubmission(fields);
          return rawJson(await current.submit(key, nonce));
        },
      },
      helpSynopsis: 'Submit a current recovery key share to the rekey.',
      helpDescription: 'Once the threshold is reached, returns the new recovery key shares.',
    }),
    definePath({
      pattern: 'rekey-recovery-key/verify',
      fields: {
        // Required only by PUT, which checks them, because GET and DELETE take no body.
        key: { type: 'string', description: 'One new recovery key share, hex or base64; required by PUT.' },
        nonce: { type: 'string', description: 'The verification nonce returned with the new shares; required by PUT.' },
      },
      operations: {
        async read() {
          return rawJson(rekey().verificationStatus());
        },
        async update(_request, fields) {
          const current = rekey();
          if (fields.get('key') === '') throw badRequest('missing required field "key"');
          if (fields.get('nonce') === '') throw badRequest('missing required field "nonce"');
          return rawJson(await current.submitVerification(fields.get('key'), fields.get('nonce')));
        },
        async delete() {
          return rawJson(rekey().cancelVerification());
        },
      },
      helpSynopsis: 'Verify the new recovery key shares.',
      helpDescription: 'Once a threshold of the new shares is submitted, the new recovery key replaces the current one.',
    }),
  ];
}
