// `coffer login`: logs in with one of the auth methods in login-methods.ts
// and stores the token in the token file.
import { CofferClient, ResponseWrapped } from '../client.js';
import type { Command } from '../command.js';
import { fieldFlag, formatFlag, httpFlags, reportApiError } from '../command.js';
import { UsageError } from '../flags.js';
import type { CommandIO, UI } from '../io.js';
import { outputSecret, printField, wrapAtLength } from '../output.js';
import { sanitizePath } from '../paths.js';
import type { Secret } from '../secret.js';
import { storeToken, tokenFilePath } from '../token-helper.js';
import { mfaCredentials, mfaRequirementOf, mfaValidateBody, withMfaHeader } from './login-mfa.js';
import type { LoginInput, LoginMethod } from './login-methods.js';
import { loginMethods } from './login-methods.js';

/** A login response after unwrapping, or the wrapped response when it was kept. */
interface LoginResult {
  secret: Secret;
  wrapped: boolean;
}

/**
 * Exchanges a wrapped login response for the response it wraps, as Vault's
 * CLI does unless -no-store or -token-only keeps the wrapping token.
 * Returns the result, or an exit code after printing the error.
 */
async function extractToken(ui: UI, api: CofferClient, wrapped: Secret, unwrap: boolean): Promise<LoginResult | number> {
  const wrapInfo = wrapped.wrap_info;
  if (!wrapInfo?.wrapped_accessor) {
    ui.error('Error extracting token: wrapped response does not contain a token');
    return 2;
  }
  if (!unwrap) return { secret: wrapped, wrapped: true };

  // The unwrap request itself must not be wrapped again.
  const unwrapClient = new CofferClient({ ...api.config, token: '', wrapTtl: 0 });
  let secret: Secret | null;
  try {
    secret = await unwrapClient.unwrap(wrapInfo.token);
  } catch (error) {
    return reportApiError(ui, 'Error extracting token', error);
  }
  if (secret === null) {
    ui.error('Error extracting token: the server returned an empty response to the unwrap request');
    return 2;
  }
  return { secret, wrapped: false };
}

/** Sends the login request and unwraps its response. Returns the result, or an exit code after printing the error. */
async function authenticate(ui: UI, api: CofferClient, method: LoginMethod, input: LoginInput, unwrap: boolean): Promise<LoginResult | number> {
  let secret: Secret | null;
  try {
    secret = await method.login(api, input);
  } catch (error) {
    if (error instanceof ResponseWrapped) return extractToken(ui, api, error.secret, unwrap);
    const prefix = method.requestContext === undefined ? 'Error authenticating' : `Error authenticating: ${method.requestContext}`;
    return reportApiError(ui, prefix, error);
  }
  if (secret === null) {
    ui.error('Error authenticating: the server returned an empty response');
    return 2;
  }
  return { secret, wrapped: false };
}

/**
 * Completes a login that the server holds for MFA: prompts for the
 * passcodes and sends them to sys/mfa/validate. Returns the response with
 * the token, or an exit code after printing the error.
 */
async function validateMfa(ui: UI, io: CommandIO, api: CofferClient, secret: Secret, unwrap: boolean): Promise<LoginResult | number> {
  const requirement = mfaRequirementOf(secret);
  if (requirement === undefined) return { secret, wrapped: false };
  const body = await mfaValidateBody(ui, io, requirement);
  if (typeof body === 'number') return body;

  let validated: Secret | null;
  try {
    validated = await api.write('sys/mfa/validate', body);
  } catch (error) {
    if (error instanceof ResponseWrapped) return extractToken(ui, api, error.secret, unwrap);
    return reportApiError(ui, 'Error validating MFA', error);
  }
  if (validated === null) {
    ui.error('Error validating MFA: the server returned an empty response');
    return 2;
  }
  return { secret: validated, wrapped: false };
}

/** Writes the token file and warns when an environment token will take precedence. Returns false when storing failed. */
async function storeLoginToken(ui: UI, io: CommandIO, token: string): Promise<boolean> {
  try {
    await storeToken(io.env, token);
  } catch (error) {
    ui.error(`Error storing token in ${tokenFilePath(io.env)}: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
  if (io.env.COFFER_TOKEN || io.env.VAULT_TOKEN) {
    ui.warn(
      wrapAtLength('WARNING! COFFER_TOKEN or VAULT_TOKEN is set, and its value takes precedence over the stored token. Unset it to use the token stored by this login.') + '\n',
    );
  }
  return true;
}

export const loginCommand: Command = {
  name: 'login',
  synopsis: 'Authenticate locally',
  help: `
Usage: coffer login [options] [AUTH K=V...]

  Logs in to the server and stores the resulting token in ~/.coffer-token,
  where later commands read it. COFFER_TOKEN or VAULT_TOKEN, when set, take
  precedence over the stored token.

  The default method is "token": it checks an existing token and stores it.
  Without TOKEN, the command prompts for it on the terminal; "-" reads it
  from stdin.

      $ coffer login
      Token (will be hidden):
      $ coffer login s.abc123

  -method=userpass, ldap or approle logs in with the key=value pairs that
  method takes; "coffer auth help METHOD" lists them. -method names the type
  of the auth method, and -path the path where it is enabled:

      $ coffer login -method=userpass username=alice
      Password (will be hidden):
      $ coffer login -method=approle -path=ci role_id=... secret_id=-

  With -wrap-ttl, the login response is wrapped and unwrapped again before
  the token is stored, unless -token-only prints the wrapping token or
  -no-store prints the wrapping information.

  When a login enforcement requires MFA for the login, the command prompts
  for the TOTP passcode, or reads it from stdin when stdin is not a
  terminal, and completes the login at sys/mfa/validate:

      $ coffer login -method=userpass username=alice password=...
      Enter the passcode for MFA method "phone" of type "totp" (will be hidden):

  -mfa sends the passcode with the login request itself, in an X-Vault-MFA
  header, so that nothing is prompted for or read from stdin. Give it once
  per method, as <method name or ID>:<passcode>. COFFER_MFA or VAULT_MFA
  set the same, with the credentials separated by commas:

      $ code=$(oathtool --totp -b "$KEY")
      $ coffer login -method=userpass -mfa="phone:$code" username=alice`,
  flags: [
    ...httpFlags,
    fieldFlag,
    formatFlag,
    {
      name: 'method',
      kind: 'string',
      defaultText: 'token',
      usage: 'Type of the auth method to log in with: "token", "userpass", "ldap" or "approle". -path gives the path where it is enabled.',
    },
    { name: 'path', kind: 'string', usage: 'Path where the auth method is enabled. The default is the method type, such as userpass/.' },
    { name: 'no-store', kind: 'bool', usage: 'Do not store the token in the token file; only print it.' },
    { name: 'no-print', kind: 'bool', usage: 'Do not print the token; only store it in the token file.' },
    { name: 'token-only', kind: 'bool', usage: 'Print only the token and do not store it; the same as -field=token -no-store.' },
    {
      name: 'mfa',
      kind: 'repeated',
      usage:
        'MFA credential to send with the login in the X-Vault-MFA header, as <method name or ID>:<passcode>, such as phone:123456; ' +
        'repeat the flag for each method. The login then returns its token without a prompt. COFFER_MFA or VAULT_MFA also set it, with commas between credentials.',
    },
  ],
  async run(context) {
    const { ui, io, flags, args, client } = context;
    const tokenOnly = flags.bool('token-only');
    const noStore = tokenOnly || flags.bool('no-store');
    const field = tokenOnly ? 'token' : flags.has('field') ? flags.string('field') : undefined;
    if (noStore && flags.bool('no-print')) throw new UsageError('-no-store and -no-print cannot be used together: the token would be lost');

    const methodName = sanitizePath(flags.string('method', 'token')) || 'token';
    const method = loginMethods[methodName];
    if (method === undefined) {
      const supported = Object.keys(loginMethods);
      throw new UsageError(
        wrapAtLength(
          `Unknown auth method: ${methodName}. coffer login supports ${supported.slice(0, -1).join(', ')} and ${supported.at(-1)}. ` +
            '"coffer auth list" lists the enabled auth methods, and "coffer write auth/PATH/login ..." logs in with the others.',
        ),
      );
    }
    const mount = sanitizePath(flags.string('path')) || methodName;
    const credentials = mfaCredentials(flags, io.env);

    // As Vault's CLI does, the login request carries no token, so a stale stored token cannot make it fail.
    const config = (await client()).config;
    const api = new CofferClient({ ...config, token: '', ...(credentials.length > 0 ? { headers: withMfaHeader(config.headers, credentials) } : {}) });
    let result = await authenticate(ui, api, method, { io, args, mount }, !noStore);
    if (typeof result === 'number') return result;
    if (!result.wrapped) result = await validateMfa(ui, io, api, result.secret, !noStore);
    if (typeof result === 'number') return result;
    const { secret, wrapped } = result;

    if (wrapped) {
      if (tokenOnly) return printField(ui, secret, 'wrapping_token');
      outputSecret(ui, secret);
      return 0;
    }
    if (!secret.auth || secret.auth.client_token === '') {
      ui.error('Error authenticating: the response has no auth information with a token');
      return 2;
    }

    if (!noStore) {
      if (!(await storeLoginToken(ui, io, secret.auth.client_token))) return 1;
    } else if (!tokenOnly) {
      ui.warn(wrapAtLength('The token was not stored in the token file. Set COFFER_TOKEN or pass the token below with each request.') + '\n');
    }

    if (flags.bool('no-print')) return 0;
    if (field !== undefined) return printField(ui, secret, field);
    if (ui.format === 'table') {
      const stored = noStore
        ? 'Success! You are now authenticated.'
        : 'Success! You are now authenticated. The token information displayed below is already stored in the token file. You do NOT need to run "coffer login" again. Future Coffer requests will automatically use this token.';
      ui.output(wrapAtLength(stored) + '\n');
    }
    outputSecret(ui, secret);
    return 0;
  },
};
