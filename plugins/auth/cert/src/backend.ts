/**
 * The TLS certificate auth method: clients log in at `login` with the
 * client certificate of their TLS connection.
 *
 * Storage layout, relative to the mount's storage view:
 *
 *   config          the method's settings (config.ts)
 *   cert/<name>     a trusted certificate entry (certs.ts)
 *   crls/<name>     the revoked serials of one CRL (crls.ts)
 *
 * Entry and CRL names are case-insensitive and lowercased, as in Vault.
 */
import { Backend, KeyedLock, type BackendConfig, type FieldMap, type PathDefinition } from '@coffer/sdk';
import type { CertContext } from './context.js';
import { RevokedSerials } from './crls.js';
import { pathCerts, pathCertsList } from './path-certs.js';
import { pathConfig } from './path-config.js';
import { pathCrls, pathCrlsList } from './path-crls.js';
import { pathLogin, renewCertLogin } from './path-login.js';

const HELP = `
The TLS certificate auth method lets clients log in with the client
certificate of their TLS connection. Trust CA or client certificates under
certs/, push revocation lists to crls/, and log in at login.`;

/** Creates the backend for one mount. `now` exists for tests that check validity periods. */
export function createBackend(config: BackendConfig, now: () => Date = () => new Date()): Backend {
  const context: CertContext = {
    logger: config.logger,
    system: config.system,
    revoked: new RevokedSerials(),
    locks: new KeyedLock(),
    now,
  };
  // Every pattern is anchored and starts with a distinct literal, so no two
  // paths match one request and their order does not matter.
  const paths: PathDefinition<FieldMap>[] = [
    pathLogin(context),
    pathConfig(context),
    pathCertsList(),
    pathCerts(context),
    pathCrlsList(),
    pathCrls(context),
  ];
  return new Backend({
    backendType: 'credential',
    help: HELP,
    paths,
    specialPaths: { unauthenticated: ['login'] },
    authRenew: (request) => renewCertLogin(context, request),
    invalidate: (key) => {
      if (key.startsWith('crls/')) context.revoked.invalidate();
    },
  });
}
