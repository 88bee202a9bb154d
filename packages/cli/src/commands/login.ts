// `coffer login` with the token method: verifies a token with
// `auth/token/lookup-self` and stores it in the token file.
import type { CofferClient } from '../client.js';
import type { Command, CommandContext } from '../command.js';
import { expectArguments, fieldFlag, formatFlag, httpFlags, reportApiError } from '../command.js';
import { UsageError, readAllText } from '../flags.js';
import { outputSecret, printField, wrapAtLength } from '../output.js';
import { readHiddenLine } from '../prompt.js';
import type { Secret, SecretAuth } from '../secret.js';
import { storeToken, tokenFilePath } from '../token-helper.js';

/** Gets the token from the argument (`TOKEN`, `token=TOKEN` or `-` for stdin) or a terminal prompt. */
async function tokenArgument(context: CommandContext): Promise<{ token: string; lookup: boolean }> {
  const { io, args } = context;
  let token: string | undefined;
  let lookup = true;
  for (const arg of args) {
    if (arg === '-') token = await readAllText(io.stdin);
    else if (arg.startsWith('token=')) token = arg.slice('token='.length);
    else if (arg.startsWith('lookup=')) lookup = !['false', '0', 'f', 'F', 'FALSE', 'False'].includes(arg.slice('lookup='.length));
    else if (!arg.includes('=') && token === undefined) token = arg;
    else throw new UsageError(`invalid argument "${arg}": the token method takes TOKEN, token=TOKEN, lookup=false or "-"`);
  }
  token ??= await readHiddenLine(io, 'Token (will be hidden): ', 'pass the token as an argument, or "-" to read it from stdin');

  token = token.trim();
  if (token === '') throw new UsageError('a token must be passed to login: coffer login TOKEN, or "-" to read it from stdin');
  return { token, lookup };
}

function asStringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** Looks the token up and returns a response shaped like an auth method's login response. */
async function lookUpToken(api: CofferClient, token: string): Promise<Secret> {
  const response = await api.request('GET', 'auth/token/lookup-self', { token });
  const data = ((response.body as { data?: Record<string, unknown> } | undefined)?.data ?? {}) as Record<string, unknown>;
  const auth: SecretAuth = {
    client_token: typeof data.id === 'string' && data.id !== '' ? data.id : token,
    accessor: typeof data.accessor === 'string' ? data.accessor : '',
    policies: asStringList(data.policies),
    token_policies: asStringList(data.policies),
    identity_policies: asStringList(data.identity_policies),
    metadata: (data.meta ?? null) as Record<string, string> | null,
    orphan: data.orphan === true,
    entity_id: typeof data.entity_id === 'string' ? data.entity_id : '',
    lease_duration: typeof data.ttl === 'number' ? data.ttl : 0,
    renewable: data.renewable === true,
  };
  return { request_id: '', lease_id: '', lease_duration: 0, renewable: false, data: null, warnings: null, auth };
}

function unverifiedLogin(token: string): Secret {
  const auth: SecretAuth = {
    client_token: token,
    accessor: '',
    policies: null,
    token_policies: null,
    identity_policies: null,
    metadata: null,
    orphan: false,
    entity_id: '',
    lease_duration: 0,
    renewable: false,
  };
  return { request_id: '', lease_id: '', lease_duration: 0, renewable: false, data: null, warnings: null, auth };
}

export const loginCommand: Command = {
  name: 'login',
  synopsis: 'Authenticate locally',
  help: `
Usage: coffer login [options] [TOKEN]

  Authenticates with a token: checks it with the server and stores it in
  ~/.coffer-token, where later commands read it. COFFER_TOKEN or VAULT_TOKEN,
  when set, take precedence over the stored token. Without TOKEN, the command
  prompts for it on the terminal; "-" reads it from stdin.

      $ coffer login
      Token (will be hidden):
      $ coffer login s.abc123`,
  flags: [
    ...httpFlags,
    fieldFlag,
    formatFlag,
    { name: 'method', kind: 'string', defaultText: 'token', usage: 'Auth method to log in with. Only "token" is supported.' },
    { name: 'path', kind: 'string', usage: 'Mount path of the auth method. The token method is always at auth/token/.' },
    { name: 'no-store', kind: 'bool', usage: 'Do not store the token in the token file; only print it.' },
    { name: 'no-print', kind: 'bool', usage: 'Do not print the token; only store it in the token file.' },
    { name: 'token-only', kind: 'bool', usage: 'Print only the token and do not store it; the same as -field=token -no-store.' },
  ],
  async run(context) {
    const { ui, io, flags, args, client } = context;
    expectArguments(args, 0, Infinity);
    const tokenOnly = flags.bool('token-only');
    const noStore = tokenOnly || flags.bool('no-store');
    const field = tokenOnly ? 'token' : flags.has('field') ? flags.string('field') : undefined;
    if (noStore && flags.bool('no-print')) throw new UsageError('-no-store and -no-print cannot be used together: the token would be lost');
    const method = flags.string('method', 'token').replace(/^\/+|\/+$/g, '') || 'token';
    if (method !== 'token') {
      throw new UsageError(`Unknown auth method: ${method}. coffer login supports only -method=token; use "coffer write auth/${method}/login ..." for other methods`);
    }

    const { token, lookup } = await tokenArgument(context);
    const api = await client();
    let secret: Secret;
    try {
      secret = lookup ? await lookUpToken(api, token) : unverifiedLogin(token);
    } catch (error) {
      return reportApiError(ui, 'Error authenticating: error looking up token', error);
    }

    if (!noStore) {
      try {
        await storeToken(io.env, token);
      } catch (error) {
        ui.error(`Error storing token in ${tokenFilePath(io.env)}: ${error instanceof Error ? error.message : String(error)}`);
        return 1;
      }
      if (io.env.COFFER_TOKEN || io.env.VAULT_TOKEN) {
        ui.warn(wrapAtLength('WARNING! COFFER_TOKEN or VAULT_TOKEN is set, and its value takes precedence over the stored token. Unset it to use the token stored by this login.') + '\n');
      }
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
