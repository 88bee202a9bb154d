/**
 * The SSH secrets engine in its signed certificate mode: a CA key pair per
 * mount and roles under which callers get OpenSSH user and host
 * certificates. Vault's OTP and dynamic key modes are not implemented.
 *
 * Storage layout, relative to the mount's storage view:
 *
 *   config/ca_public_key    {"key": "<authorized_keys line>"}
 *   config/ca_private_key   {"key": "<PEM or OpenSSH private key>"}
 *   roles/<name>            one role (see role.ts)
 *
 * The server's barrier encrypts all of it. Certificates are not stored.
 */
import { Backend, type BackendConfig, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { systemClock, type Clock, type SshContext } from './context.js';
import { pathConfigCa, pathPublicKey } from './path-config-ca.js';
import { pathIssue } from './path-issue.js';
import { pathListRoles, pathRoles } from './path-roles.js';
import { pathSign } from './path-sign.js';

const HELP = `
The ssh secrets engine signs SSH public keys with a CA key, so that sshd
trusts users (TrustedUserCAKeys) and clients trust hosts (@cert-authority)
without distributing every key. Configure the CA at config/ca, define roles
at roles/:name, then sign keys at sign/:role or get a new key and its
certificate at issue/:role.`;

/** Settings for tests. The server uses the defaults. */
export interface SshOptions {
  clock?: Clock;
}

/** Creates the backend for one mount. */
export function createBackend(config: BackendConfig, options: SshOptions = {}): Backend {
  const context: SshContext = { system: config.system, clock: options.clock ?? systemClock };

  const paths: PathDefinition<FieldMap>[] = [
    pathConfigCa(),
    pathPublicKey(),
    pathListRoles(),
    pathRoles(context),
    pathSign(context),
    pathIssue(context),
  ];

  return new Backend({
    backendType: 'logical',
    help: HELP,
    paths,
    specialPaths: { unauthenticated: ['public_key'] },
  });
}
