/**
 * The server's own backends. The seal backend serves the `sys/` endpoints
 * that work while sealed and without a token; the system backend serves
 * the rest of `sys/`.
 */
import { Backend } from '@coffer/sdk';
import { auditedHeaderPaths, auditPaths } from '../audit/index.js';
import type { Core } from '../core.js';
import { createCubbyholeBackend } from '../cubbyhole/backend.js';
import { leasePaths } from '../expiration/index.js';
import { createIdentityBackend } from '../identity/index.js';
import { mfaValidatePaths } from '../identity/mfa/index.js';
import { lockedUserPaths } from '../lockout/path-locked-users.js';
import { pluginCatalogPaths } from '../plugin/path-catalog.js';
import { passwordPolicyPaths } from '../password-policy/index.js';
import { policyPaths } from '../policy/index.js';
import type { SystemBackends } from '../request-handling.js';
import { createTokenBackend } from '../token/backend.js';
import { wrappingPaths } from '../wrapping/path-wrapping.js';
import { haPaths } from '../ha/path-ha.js';
import { keyPaths } from './path-keys.js';
import { openApiSpecPaths } from './path-openapi.js';
import { authPaths, mountPathServing, mountPaths, TOKEN_MOUNT_ACCESSOR } from './path-mounts.js';
import { uiMountListPaths } from './path-ui-mounts.js';
import { sealPaths } from './path-seal.js';
import { toolPaths } from './path-tools.js';
import { snapshotPaths } from '../snapshot/path-snapshot.js';
import { corsPaths } from './path-cors.js';
import { quotaPaths } from '../quotas/index.js';
import { metricsPaths } from '../telemetry/path-metrics.js';
import { loggerPaths } from './path-loggers.js';
import { monitorPaths } from './path-monitor.js';
import { versionHistoryPaths } from './version-history.js';
import { rotateConfigPaths } from './path-rotate-config.js';
import { hostInfoPaths } from './path-host-info.js';
import { inFlightRequestPaths } from './path-in-flight-req.js';
import { configStatePaths } from './path-config-state.js';
import { experimentPaths } from './path-experiments.js';
import { counterPaths } from './path-counters.js';

/** Paths below `sys/` that are served while sealed and without a token. */
export const SEAL_BACKEND_PATHS = new Set([
  'init',
  'seal-status',
  'unseal',
  'health',
  'leader',
  'rekey/init',
  'rekey/update',
  'rekey/verify',
  'rekey-recovery-key/init',
  'rekey-recovery-key/update',
  'rekey-recovery-key/verify',
  'generate-root/attempt',
  'generate-root/update',
]);

export function createSealBackend(core: Core, storageType: string): Backend {
  return new Backend({
    backendType: 'logical',
    help: 'Initialization, unseal, health, rekey and root token generation endpoints.',
    paths: sealPaths(core, storageType),
  });
}

export function createSystemBackends(core: Core): SystemBackends {
  const callerToken = (requestId: string) => core.callers.get(requestId)?.token;
  const cubbyhole = createCubbyholeBackend();
  const identity = createIdentityBackend(core.identity, core.mfa, {
    oidc: core.oidc,
    callerEntityId: (requestId) => core.callers.get(requestId)?.entry?.entityId ?? '',
  });
  const sys: Backend = new Backend({
    backendType: 'logical',
    help: 'The system backend: mounts, keys, seal, policies, leases, wrapping and tools.',
    paths: [
      ...mountPaths(core),
      ...authPaths(core),
      ...uiMountListPaths(core),
      ...keyPaths(core),
      ...rotateConfigPaths(core),
      ...hostInfoPaths(),
      ...inFlightRequestPaths(core.inFlight, core.callers),
      ...configStatePaths(core.options.sanitizedConfig),
      ...experimentPaths(),
      ...counterPaths(core),
      ...toolPaths(),
      ...haPaths(core),
      ...snapshotPaths(core),
      ...policyPaths({ store: core.policies, tokens: core.tokens, callerToken, entityPolicies: (entityId) => core.identity.policiesFor(entityId) }),
      ...passwordPolicyPaths(core.passwordPolicies),
      ...leasePaths(core.expiration),
      ...lockedUserPaths(core.lockout),
      ...mfaValidatePaths(core.mfa),
      ...pluginCatalogPaths(core),
      ...auditPaths(core.audit),
      ...auditedHeaderPaths(core.audit.requestHeaders),
      ...corsPaths(core.cors),
      ...quotaPaths(core.quotas, (path) => mountPathServing(core, path)),
      ...versionHistoryPaths(core.barrier),
      ...metricsPaths(core.metrics, core.gauges, core.logger),
      ...loggerPaths(core.options.logLevels),
      ...monitorPaths(core.options.logMonitor),
      ...wrappingPaths({ wrapper: core.wrapper, tokens: core.tokens, callers: core.callers }),
      ...openApiSpecPaths(core, () => ({ 'sys/': sys, 'auth/token/': token, 'cubbyhole/': cubbyhole, 'identity/': identity })),
    ],
  });
  const token = createTokenBackend({
    store: core.tokens,
    roles: core.roles,
    caller: (requestId) => core.callers.get(requestId),
    ttlDefaults: () => core.tokenMount.ttls(core.options),
    onCreated: (entry) => core.scheduleTokenExpiry(entry),
    onRenewed: (entry) => core.rescheduleTokenExpiry(entry),
    loginMount: (path) => {
      const match = core.router.match(path);
      if (match === undefined || !match.route.mount.path.startsWith('auth/')) return undefined;
      const mount = match.route.mount;
      return {
        backend: match.route.backend,
        storage: match.route.storage,
        mountPoint: mount.path,
        mountType: mount.type,
        system: core.authMounts.systemView(mount),
        refreshGroups: (entityId, groupNames) => core.identity.refreshRenewedGroups(entityId, mount.accessor, groupNames),
      };
    },
    identityPolicies: async (entityId) => (await core.identity.policiesFor(entityId)).identityPolicies,
    entityOfAlias: async (name) => (await core.identity.resolveLogin(TOKEN_MOUNT_ACCESSOR, 'token', { policies: [], alias: { name } })).entityId,
  });
  return { sys, token, cubbyhole, identity };
}
