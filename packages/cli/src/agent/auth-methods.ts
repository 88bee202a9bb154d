// Logins of the auto-auth methods: each reads its credentials from the
// method's config and returns the new token with its lease.
import { readFile, rm } from 'node:fs/promises';
import { CofferClient } from '../client.js';
import type { Secret } from '../secret.js';
import type { MethodConfig } from './config.js';
import type { AgentLogger } from './log.js';

/** A token from a login, with the lease that renewal extends. */
export interface AuthToken {
  token: string;
  accessor: string;
  /** Seconds the token lives; 0 for a token that never expires. */
  leaseDuration: number;
  renewable: boolean;
}

/** Logs in with one configured method. */
export interface AuthMethod {
  login(client: CofferClient): Promise<AuthToken>;
}

/** A login that cannot be tried, such as a credentials file that is missing. */
export class LoginError extends Error {
  override name = 'LoginError';
}

async function readCredential(path: string, description: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LoginError(`error reading ${description} file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return text.trim();
}

/**
 * Reads a credential file that the agent may remove after reading. Returns
 * '' for a missing or empty file, and callers then reuse the credential
 * they read before.
 */
async function readCredentialFile(path: string, description: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new LoginError(`error reading ${description} file ${path}: ${String(error)}`);
  }
}

async function removeCredentialFile(path: string, description: string, logger: AgentLogger): Promise<void> {
  await rm(path, { force: true });
  logger.info(`removed ${description} file after reading`, { path });
}

function tokenFromLogin(secret: Secret | null): AuthToken {
  const auth = secret?.auth;
  if (auth === undefined || auth === null || auth.client_token === '') throw new LoginError('the login response has no auth information with a token');
  return { token: auth.client_token, accessor: auth.accessor, leaseDuration: auth.lease_duration, renewable: auth.renewable };
}

/**
 * AppRole: reads the role ID and secret ID from files. The secret ID file is
 * removed after reading unless remove_secret_id_file_after_reading is false.
 * As in Vault Agent, the last secret ID read is kept in memory for the next
 * login, and a new file at the path replaces it.
 */
class AppRoleMethod implements AuthMethod {
  private cachedSecretId: string | undefined;

  constructor(
    private readonly method: MethodConfig,
    private readonly logger: AgentLogger,
  ) {}

  async login(client: CofferClient): Promise<AuthToken> {
    const config = this.method.config;
    const roleId = await readCredential(config.requiredString('role_id_file_path', ''), 'role ID');
    if (roleId === '') throw new LoginError(`role ID file ${config.string('role_id_file_path')} is empty`);

    const body: Record<string, string> = { role_id: roleId };
    const secretIdPath = config.string('secret_id_file_path');
    if (secretIdPath !== undefined && secretIdPath !== '') {
      body.secret_id = await this.secretId(client, secretIdPath, config.bool('remove_secret_id_file_after_reading', true));
    }
    return tokenFromLogin(await client.write(`auth/${this.method.mountPath}/login`, body));
  }

  private async secretId(client: CofferClient, path: string, remove: boolean): Promise<string> {
    const fromFile = await readCredentialFile(path, 'secret ID');
    if (fromFile !== '') {
      const wrappingPath = this.method.config.string('secret_id_response_wrapping_path');
      this.cachedSecretId = wrappingPath === undefined || wrappingPath === '' ? fromFile : await unwrapSecretId(client, fromFile, wrappingPath);
      // Removed only once it was used, so a rejected wrapping token stays for inspection.
      if (remove) await removeCredentialFile(path, 'secret ID', this.logger);
    }
    if (this.cachedSecretId === undefined) throw new LoginError(`no secret ID found: secret ID file ${path} is missing or empty`);
    return this.cachedSecretId;
  }
}

/**
 * Exchanges a response-wrapping token for the secret ID it wraps, after
 * checking that the token was created by `expectedPath`, as Vault Agent does,
 * so that a token wrapping something else is rejected before it is used.
 */
async function unwrapSecretId(client: CofferClient, wrappingToken: string, expectedPath: string): Promise<string> {
  const anonymous = new CofferClient({ ...client.config, token: '' });
  const lookup = await anonymous.write('sys/wrapping/lookup', { token: wrappingToken });
  const creationPath = String(lookup?.data?.creation_path ?? '').replace(/^\/+|\/+$/g, '');
  const expected = expectedPath.replace(/^\/+|\/+$/g, '');
  if (creationPath !== expected) {
    throw new LoginError(`the wrapped secret ID was created at "${creationPath}", not at secret_id_response_wrapping_path "${expected}"`);
  }
  const unwrapped = await anonymous.unwrap(wrappingToken);
  const secretId = unwrapped?.data?.secret_id;
  if (typeof secretId !== 'string' || secretId === '') throw new LoginError('the unwrapped response has no secret_id');
  return secretId;
}

/** token_file: reads a token from a file and checks it with a lookup, which also gives its lease. */
class TokenFileMethod implements AuthMethod {
  constructor(private readonly method: MethodConfig) {}

  async login(client: CofferClient): Promise<AuthToken> {
    const path = this.method.config.requiredString('token_file_path', '');
    const token = await readCredential(path, 'token');
    if (token === '') throw new LoginError(`token file ${path} is empty`);
    const lookup = await new CofferClient({ ...client.config, token }).read('auth/token/lookup-self');
    const data = lookup?.data ?? {};
    return {
      token,
      accessor: typeof data.accessor === 'string' ? data.accessor : '',
      leaseDuration: typeof data.ttl === 'number' ? data.ttl : 0,
      renewable: data.renewable === true,
    };
  }
}

/** userpass: logs in as `username` with `password` or the password in `password_file_path`. */
class UserpassMethod implements AuthMethod {
  constructor(private readonly method: MethodConfig) {}

  async login(client: CofferClient): Promise<AuthToken> {
    const config = this.method.config;
    const username = config.requiredString('username', '');
    const passwordFile = config.string('password_file_path');
    const password = passwordFile !== undefined ? await readCredential(passwordFile, 'password') : (config.string('password') ?? '');
    return tokenFromLogin(await client.write(`auth/${this.method.mountPath}/login/${encodeURIComponent(username)}`, { password }));
  }
}

/**
 * cert: logs in with a TLS client certificate, from the method's client_cert
 * and client_key or else from the `vault` stanza's.
 */
class CertMethod implements AuthMethod {
  constructor(private readonly method: MethodConfig) {}

  async login(client: CofferClient): Promise<AuthToken> {
    const config = this.method.config;
    let clientConfig = client.config;
    const certPath = config.string('client_cert');
    const keyPath = config.string('client_key');
    const caPath = config.string('ca_cert');
    if ((certPath === undefined) !== (keyPath === undefined)) throw new LoginError('the cert method needs both client_cert and client_key');
    if (certPath !== undefined && keyPath !== undefined) {
      clientConfig = { ...clientConfig, clientCert: await readCredential(certPath, 'client certificate'), clientKey: await readCredential(keyPath, 'client key') };
    }
    if (caPath !== undefined) clientConfig = { ...clientConfig, caCert: await readCredential(caPath, 'CA certificate') };
    if (clientConfig.clientCert === undefined) throw new LoginError('the cert method needs a client certificate: set client_cert and client_key in its config or in the vault stanza');
    const name = config.string('name');
    return tokenFromLogin(await new CofferClient(clientConfig).write(`auth/${this.method.mountPath}/login`, name === undefined ? {} : { name }));
  }
}

/**
 * jwt: reads a JWT from a file and logs in with it and the role. As with
 * AppRole's secret ID, the file is removed after reading unless
 * remove_jwt_after_reading is false, and the last JWT read is kept for the
 * next login until a new file replaces it.
 */
class JwtMethod implements AuthMethod {
  private cachedJwt: string | undefined;

  constructor(
    private readonly method: MethodConfig,
    private readonly logger: AgentLogger,
  ) {}

  async login(client: CofferClient): Promise<AuthToken> {
    const config = this.method.config;
    const path = config.requiredString('path', '');
    const fromFile = await readCredentialFile(path, 'JWT');
    if (fromFile !== '') {
      this.cachedJwt = fromFile;
      if (config.bool('remove_jwt_after_reading', true)) await removeCredentialFile(path, 'JWT', this.logger);
    }
    if (this.cachedJwt === undefined) throw new LoginError(`no JWT found: JWT file ${path} is missing or empty`);
    const role = config.requiredString('role', '');
    return tokenFromLogin(await client.write(`auth/${this.method.mountPath}/login`, { role, jwt: this.cachedJwt }));
  }
}

/**
 * ldap: logs in as `username` with the password in `password_file_path`,
 * which is removed after reading unless remove_password_after_reading is
 * false. The last password read is kept for the next login.
 */
class LdapMethod implements AuthMethod {
  private cachedPassword: string | undefined;

  constructor(
    private readonly method: MethodConfig,
    private readonly logger: AgentLogger,
  ) {}

  async login(client: CofferClient): Promise<AuthToken> {
    const config = this.method.config;
    const path = config.requiredString('password_file_path', '');
    const fromFile = await readCredentialFile(path, 'password');
    if (fromFile !== '') {
      this.cachedPassword = fromFile;
      if (config.bool('remove_password_after_reading', true)) await removeCredentialFile(path, 'password', this.logger);
    }
    if (this.cachedPassword === undefined) throw new LoginError(`no password found: password file ${path} is missing or empty`);
    const username = config.requiredString('username', '');
    return tokenFromLogin(await client.write(`auth/${this.method.mountPath}/login/${encodeURIComponent(username)}`, { password: this.cachedPassword }));
  }
}

/** Builds the login of the configured method. */
export function createAuthMethod(method: MethodConfig, logger: AgentLogger): AuthMethod {
  switch (method.type) {
    case 'approle':
      return new AppRoleMethod(method, logger);
    case 'token_file':
      return new TokenFileMethod(method);
    case 'userpass':
      return new UserpassMethod(method);
    case 'cert':
      return new CertMethod(method);
    case 'jwt':
      return new JwtMethod(method, logger);
    case 'ldap':
      return new LdapMethod(method, logger);
  }
}
