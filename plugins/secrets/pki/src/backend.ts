/**
 * The PKI secrets engine: a certificate authority with Vault's HTTP API.
 * It generates or imports one CA per mount, issues and signs certificates
 * under roles, revokes them and publishes a CRL. See store.ts for the
 * storage layout.
 */
import { Backend, KeyedLock, type BackendConfig, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { systemClock, type Clock, type PkiContext } from './context.js';
import { refreshCrlIfDue } from './crl.js';
import { pathConfigCa } from './path-config-ca.js';
import { pathConfigUrls } from './path-config-urls.js';
import { pathFetchCert, pathFetchRaw, pathListCerts } from './path-fetch.js';
import { pathGenerateIntermediate, pathSetSigned } from './path-intermediate.js';
import { pathIssue, pathSign, pathSignVerbatim } from './path-issue.js';
import { certificateSecret, pathRevoke, pathRotateCrl } from './path-revoke.js';
import { pathListRoles, pathRoles } from './path-roles.js';
import { pathDeleteRoot, pathGenerateRoot } from './path-root.js';
import { pathSignIntermediate } from './path-sign-intermediate.js';
import { pathTidy } from './path-tidy.js';

const HELP = `
The PKI secrets engine is a certificate authority. Generate a root or import
an intermediate, define roles that say which names may be certified, then
issue certificates with server-generated keys or sign CSRs. Revoked
certificates are listed in the CRL.`;

/** Settings for tests. The server uses the defaults. */
export interface PkiOptions {
  clock?: Clock;
}

/**
 * Paths reachable without a token, as in Vault: the CA, its chain, the CRL
 * and issued certificates are public.
 */
export const UNAUTHENTICATED_PATHS = ['cert/*', 'ca/pem', 'ca_chain', 'ca', 'crl/pem', 'crl'];

/** Creates the backend for one mount. */
export function createBackend(config: BackendConfig, options: PkiOptions = {}): Backend {
  const context: PkiContext = {
    logger: config.logger,
    system: config.system,
    clock: options.clock ?? systemClock,
    locks: new KeyedLock(),
  };

  const tidy = pathTidy(context);
  const certificates = certificateSecret(context);
  const paths: PathDefinition<FieldMap>[] = [
    pathGenerateRoot(context),
    pathDeleteRoot(context),
    pathSignIntermediate(context),
    pathGenerateIntermediate(context),
    pathSetSigned(context),
    pathConfigCa(context),
    pathConfigUrls(),
    pathFetchRaw(),
    pathFetchCert(),
    pathListCerts(),
    pathListRoles(),
    pathRoles(context),
    pathIssue(context, certificates),
    pathSign(context, certificates),
    pathSignVerbatim(context, certificates),
    pathRevoke(context),
    pathRotateCrl(context),
    tidy.tidy,
    tidy.status,
  ];

  return new Backend({
    backendType: 'logical',
    help: HELP,
    paths,
    secrets: [certificates],
    periodic: async () => {
      const rebuilt = await context.locks.run('crl', () => refreshCrlIfDue(config.storage, context.clock.now()));
      if (rebuilt) context.logger.info({ mount: config.mountPoint }, 'rebuilt the CRL before it lapsed');
    },
    specialPaths: { root: ['root'], unauthenticated: UNAUTHENTICATED_PATHS },
  });
}
