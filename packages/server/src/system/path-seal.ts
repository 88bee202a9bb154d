/**
 * The endpoints that work while sealed and need no token: sys/init,
 * sys/seal-status, sys/unseal, sys/health, sys/leader and sys/rekey. Key
 * shares, not tokens, authorize unseal and rekey.
 */
import { badRequest, definePath, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { Core } from '../core.js';
import { sealedError } from '../barrier/barrier.js';
import { rawJson } from '../http/envelope.js';
import { haLeaderStatus } from '../ha/path-ha.js';
import { generateRootPaths } from '../seal/path-generate-root.js';
import { shareSubmission } from '../seal/key-shares.js';
import { rekeyRecoveryKeyPaths } from '../seal/path-rekey-recovery-key.js';
import { COFFER_VERSION } from '../version.js';

export function sealStatus(core: Core, storageType: string): Record<string, unknown> {
  // With an auto seal, t and n count recovery key shares, as in Vault. During
  // a seal migration they count the old seal's shares, which the unseal needs.
  const migration = core.migration?.active === true ? core.migration : undefined;
  const keys = migration ?? core.seal;
  const status: Record<string, unknown> = {
    type: core.seal.type,
    initialized: core.isInitialized,
    sealed: core.sealed,
    t: keys.keyThreshold,
    n: keys.keyShares,
    progress: keys.unsealProgress,
    nonce: keys.nonce,
    version: COFFER_VERSION,
    build_date: '',
    migration: migration !== undefined,
    recovery_seal: core.seal.recoveryKeySupported,
    storage_type: storageType,
  };
  if (!core.sealed) {
    status.cluster_name = core.clusterName;
    status.cluster_id = core.clusterId;
  }
  return status;
}

const healthCodeFields = {
  standbyok: { type: 'bool', description: 'Answer with the active code on a standby.' },
  perfstandbyok: { type: 'bool', description: 'Answer with the active code on a performance standby.' },
  activecode: { type: 'int', description: 'Status code when active.', default: 200 },
  standbycode: { type: 'int', description: 'Status code when a standby.', default: 429 },
  drsecondarycode: { type: 'int', description: 'Status code when a DR secondary.', default: 472 },
  // Coffer never enters the states of the next two codes. They are accepted because health checks written for Vault may send them.
  haunhealthycode: { type: 'int', description: 'Status code when a standby cannot reach the active node.', default: 474 },
  removedcode: { type: 'int', description: 'Status code when the node was removed from its cluster.', default: 530 },
  performancestandbycode: { type: 'int', description: 'Status code when a performance standby.', default: 473 },
  sealedcode: { type: 'int', description: 'Status code when sealed.', default: 503 },
  uninitcode: { type: 'int', description: 'Status code when not initialized.', default: 501 },
} as const;

export function sealPaths(core: Core, storageType: string): PathDefinition<FieldMap>[] {
  return [
    definePath({
      pattern: 'init',
      fields: {
        secret_shares: { type: 'int', description: 'Number of key shares to split the unseal key into.' },
        secret_threshold: { type: 'int', description: 'Number of key shares needed to unseal.' },
        pgp_keys: { type: 'comma_string_slice', description: 'Not supported: PGP encryption of key shares.' },
        root_token_pgp_key: { type: 'string', description: 'Not supported: PGP encryption of the root token.' },
        stored_shares: { type: 'int', description: 'Must be 0 for the Shamir seal.' },
        recovery_shares: { type: 'int', description: 'Recovery key shares; only for auto-unseal seals.' },
        recovery_threshold: { type: 'int', description: 'Recovery key threshold; only for auto-unseal seals.' },
        recovery_pgp_keys: { type: 'comma_string_slice', description: 'Not supported.' },
      },
      operations: {
        async read() {
          await core.refreshInitialized();
          return rawJson({ initialized: core.isInitialized });
        },
        async update(_request, fields) {
          if (fields.get('pgp_keys').length > 0 || fields.get('root_token_pgp_key') !== '') {
            throw badRequest('invalid "pgp_keys": PGP encryption of key shares is not supported yet; omit the field');
          }
          if (core.seal.recoveryKeySupported) {
            if (fields.get('stored_shares') > 1) {
              throw badRequest(`invalid "stored_shares" ${fields.get('stored_shares')}: the ${core.seal.type} seal stores one key; use 1 or omit it`);
            }
            // Vault's API takes the recovery fields; without them Coffer uses
            // the secret fields, which are all that older CLI versions send.
            const sharesField = fields.has('recovery_shares') ? 'recovery_shares' : 'secret_shares';
            const thresholdField = fields.has('recovery_threshold') ? 'recovery_threshold' : 'secret_threshold';
            if (!fields.has(sharesField)) throw badRequest('missing required field "recovery_shares"');
            if (!fields.has(thresholdField)) throw badRequest('missing required field "recovery_threshold"');
            return rawJson(await core.initialize(fields.get(sharesField), fields.get(thresholdField)));
          }
          if (fields.get('stored_shares') !== 0) {
            throw badRequest(`invalid "stored_shares" ${fields.get('stored_shares')}: the Shamir seal stores no shares; use 0`);
          }
          if (fields.get('recovery_shares') !== 0 || fields.get('recovery_threshold') !== 0) {
            throw badRequest('invalid "recovery_shares": recovery keys exist only with an auto-unseal seal');
          }
          if (!fields.has('secret_shares')) throw badRequest('missing required field "secret_shares"');
          if (!fields.has('secret_threshold')) throw badRequest('missing required field "secret_threshold"');
          const result = await core.initialize(fields.get('secret_shares'), fields.get('secret_threshold'));
          return rawJson(result);
        },
      },
      helpSynopsis: 'Initialize a new server.',
      helpDescription: 'Creates the root key, splits the unseal key into shares and returns them with a root token.',
    }),
    definePath({
      pattern: 'seal-status',
      fields: {},
      operations: {
        async read() {
          await core.refreshInitialized();
          return rawJson(sealStatus(core, storageType));
        },
      },
      helpSynopsis: 'Report the seal status.',
      helpDescription: 'Returns whether the server is initialized and sealed, and the unseal progress.',
    }),
    definePath({
      pattern: 'unseal',
      fields: {
        key: { type: 'string', description: 'One unseal key share, hex or base64.' },
        reset: { type: 'bool', description: 'Discard the shares given so far.' },
        migrate: { type: 'bool', description: 'Submit the key share to the pending seal migration; required on every share while one is pending.' },
      },
      operations: {
        async update(_request, fields) {
          await core.refreshInitialized();
          if (!core.isInitialized) throw badRequest('Vault is not initialized');
          if (fields.get('reset')) {
            core.seal.resetUnseal();
            core.migration?.resetUnseal();
            return rawJson(sealStatus(core, storageType));
          }
          if (fields.get('key') === '') {
            throw badRequest(`'key' must be specified in request body as JSON, or 'reset' set to true`);
          }
          await core.submitUnsealKey(fields.get('key'), fields.get('migrate'));
          return rawJson(sealStatus(core, storageType));
        },
      },
      helpSynopsis: 'Submit an unseal key share.',
      helpDescription: 'Adds one key share; the server unseals once the threshold of distinct shares is reached.',
    }),
    definePath({
      pattern: 'health',
      fields: healthCodeFields,
      operations: {
        async read(_request, fields) {
          for (const name of Object.keys(healthCodeFields).filter((key) => key.endsWith('code'))) {
            const code = fields.get(name as 'activecode');
            if (code < 100 || code > 599) throw badRequest(`invalid "${name}" ${code}: must be an HTTP status code from 100 to 599`);
          }
          await core.refreshInitialized();
          // Coffer has no performance standbys, so perfstandbyok changes nothing.
          const standby = core.ha?.isStandby === true;
          const status = !core.isInitialized
            ? fields.get('uninitcode')
            : core.sealed
              ? fields.get('sealedcode')
              : standby && !fields.get('standbyok')
                ? fields.get('standbycode')
                : fields.get('activecode');
          return rawJson(healthBody(core), status);
        },
      },
      helpSynopsis: 'Report health with status codes a load balancer can act on.',
      helpDescription: '200 active, 429 standby, 501 not initialized, 503 sealed; each code can be changed by a query parameter.',
    }),
    definePath({
      pattern: 'leader',
      fields: {},
      operations: {
        async read() {
          if (core.ha !== undefined) return rawJson(await haLeaderStatus(core.ha, core.sealed));
          return rawJson({
            ha_enabled: false,
            is_self: false,
            active_time: '0001-01-01T00:00:00Z',
            leader_address: '',
            leader_cluster_address: '',
            performance_standby: false,
            performance_standby_last_remote_wal: 0,
          });
        },
      },
      helpSynopsis: 'Report the active node.',
      helpDescription: 'Reports whether HA is enabled, whether this node is active, and the active node\'s addresses.',
    }),
    ...rekeyPaths(core),
    ...rekeyRecoveryKeyPaths(core),
    ...generateRootPaths(core),
  ];
}

export function healthBody(core: Core): Record<string, unknown> {
  return {
    initialized: core.isInitialized,
    sealed: core.sealed,
    standby: !core.sealed && core.ha?.isStandby === true,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: Math.floor(Date.now() / 1000),
    version: COFFER_VERSION,
    cluster_name: core.clusterName,
    cluster_id: core.clusterId,
  };
}

function rekeyPaths(core: Core): PathDefinition<FieldMap>[] {
  const requireUnsealed = (): void => {
    if (core.sealed) throw sealedError();
  };
  // Vault clears rekey progress when it seals.
  core.sealHooks.push(() => core.seal.cancelRekey());
  return [
    definePath({
      pattern: 'rekey/init',
      fields: {
        secret_shares: { type: 'int', description: 'Number of new key shares.', required: false },
        secret_threshold: { type: 'int', description: 'Number of new key shares needed to unseal.' },
        pgp_keys: { type: 'comma_string_slice', description: 'Not supported.' },
        backup: { type: 'bool', description: 'Not supported.' },
        require_verification: {
          type: 'bool',
          description: 'Keep the current unseal key until a threshold of the new shares is submitted to sys/rekey/verify.',
        },
      },
      operations: {
        async read() {
          requireUnsealed();
          return rawJson(core.seal.rekeyStatus());
        },
        async update(_request, fields) {
          requireUnsealed();
          if (fields.get('pgp_keys').length > 0 || fields.get('backup')) {
            throw badRequest('invalid rekey options: "pgp_keys" and "backup" are not supported; omit them');
          }
          if (!fields.has('secret_shares')) throw badRequest('missing required field "secret_shares"');
          if (!fields.has('secret_threshold')) throw badRequest('missing required field "secret_threshold"');
          return rawJson(core.seal.startRekey(fields.get('secret_shares'), fields.get('secret_threshold'), fields.get('require_verification')));
        },
        async delete() {
          requireUnsealed();
          core.seal.cancelRekey();
          return null;
        },
      },
      helpSynopsis: 'Start, read or cancel a rekey.',
      helpDescription: 'A rekey replaces the unseal key shares; the current shares authorize it.',
    }),
    definePath({
      pattern: 'rekey/update',
      fields: {
        // Checked by the handler after the sealed check, so a sealed server returns 503 first.
        key: { type: 'string', description: 'One current unseal key share; required.' },
        nonce: { type: 'string', description: 'The nonce of the rekey in progress; required.' },
      },
      operations: {
        async update(_request, fields) {
          requireUnsealed();
          const { key, nonce } = shareSubmission(fields);
          return rawJson(await core.seal.submitRekeyShare(key, nonce));
        },
      },
      helpSynopsis: 'Submit a current key share to the rekey.',
      helpDescription: 'Once the threshold is reached, returns the new key shares.',
    }),
    definePath({
      pattern: 'rekey/verify',
      fields: {
        // Required only by PUT, which checks them, because GET and DELETE take no body.
        key: { type: 'string', description: 'One new unseal key share, hex or base64; required by PUT.' },
        nonce: { type: 'string', description: 'The verification nonce returned with the new shares; required by PUT.' },
      },
      operations: {
        async read() {
          requireUnsealed();
          return rawJson(core.seal.rekeyVerificationStatus());
        },
        async update(_request, fields) {
          requireUnsealed();
          if (fields.get('key') === '') throw badRequest('missing required field "key"');
          if (fields.get('nonce') === '') throw badRequest('missing required field "nonce"');
          return rawJson(await core.seal.submitRekeyVerification(fields.get('key'), fields.get('nonce')));
        },
        async delete() {
          requireUnsealed();
          return rawJson(core.seal.cancelRekeyVerification());
        },
      },
      helpSynopsis: 'Verify the new unseal key shares of a rekey.',
      helpDescription: 'Once a threshold of the new shares is submitted, the new unseal key replaces the current one.',
    }),
  ];
}
