// The auth methods `coffer login -method=...` can log in with, each with the
// help text that `coffer auth help` prints. A method turns the command's
// arguments into one login request and returns the server's response.
import { Readable } from 'node:stream';
import type { CofferClient } from '../client.js';
import { UsageError, parseKeyValueArgs, readAllText } from '../flags.js';
import type { CommandIO } from '../io.js';
import { wrapAtLength } from '../output.js';
import { sanitizePath } from '../paths.js';
import { readHiddenLine } from '../prompt.js';
import type { Secret, SecretAuth } from '../secret.js';
import { parseData } from './logical.js';

/** Command-line input of one login. */
export interface LoginInput {
  io: CommandIO;
  /** Positional arguments, such as `username=alice`. */
  args: string[];
  /** Mount path of the auth method, without slashes, from -path or else the method name. */
  mount: string;
}

/** One auth method of `coffer login`. */
export interface LoginMethod {
  /** Usage text that `coffer auth help` prints, starting with the "Usage:" line. */
  help: string;
  /** Description of the login request, which its error message names after "Error authenticating: ". */
  requestContext?: string;
  /**
   * Sends the login request with a client that carries no token. Returns the
   * response, or null when it had no body.
   *
   * @throws UsageError for missing or unknown arguments, before any request.
   * @throws ResponseError, ConnectionError or ResponseWrapped from the client.
   */
  login(api: CofferClient, input: LoginInput): Promise<Secret | null>;
}

/** Formats the "Configuration:" section of a method's help from key names and descriptions. */
function configurationHelp(keys: Record<string, string>): string {
  const lines = ['Configuration:'];
  for (const [key, usage] of Object.entries(keys)) lines.push('', `  ${key}=<string>`, wrapAtLength(usage, 6));
  return lines.join('\n');
}

/** Returns true for a lone `@file` argument, which names a file that contains a JSON object of pairs. */
function isJsonFileArg(arg: string): boolean {
  return arg.startsWith('@') && !arg.includes('=');
}

/**
 * Reads each lone `@file` argument on its own, so that a failure names the
 * argument's position but not its text, which may be a password that starts
 * with "@" typed without its key.
 */
async function checkJsonFileArgs(args: string[]): Promise<void> {
  for (const [index, arg] of args.entries()) {
    if (!isJsonFileArg(arg)) continue;
    try {
      await parseKeyValueArgs([arg], Readable.from([]));
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      throw new UsageError(`invalid argument ${index + 1}: failed to read a JSON object from the file it names; pass the path of a readable JSON file after "@"`);
    }
  }
}

/**
 * Parses `key=value` arguments into strings and rejects keys the method does
 * not take. Error messages name the key but never the value, which may be a
 * password.
 */
async function parseLoginConfig(input: LoginInput, method: string, keys: string[]): Promise<Record<string, string>> {
  // Checked here, because the generic parser quotes the bad argument, which may be a password typed without its key.
  const position = input.args.findIndex((arg) => arg !== '' && arg !== '-' && !isJsonFileArg(arg) && arg.indexOf('=') <= 0);
  if (position !== -1) {
    throw new UsageError(`invalid argument ${position + 1}: -method=${method} takes key=value pairs of ${keys.join(', ')}`);
  }
  await checkJsonFileArgs(input.args);
  const data = await parseData(input.args, input.io.stdin);
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (!keys.includes(key)) {
      throw new UsageError(`unknown key "${key}" for -method=${method}: the method takes ${keys.join(', ')}`);
    }
    if (typeof value !== 'string') throw new UsageError(`invalid value for "${key}": give the key once, with one string value`);
    config[key] = value;
  }
  return config;
}

/** Returns the mount from `mount=...` when given, else the one from -path or the method name. */
function loginMount(config: Record<string, string>, input: LoginInput): string {
  const mount = sanitizePath(config.mount ?? '');
  return mount === '' ? input.mount : mount;
}

/** Gets a password from the configuration or, on a terminal, from a hidden prompt on stderr. */
async function passwordFrom(config: Record<string, string>, io: CommandIO): Promise<string> {
  if (config.password !== undefined && config.password !== '') return config.password;
  return readHiddenLine(io, 'Password (will be hidden): ', 'pass password=PASSWORD, or password=- to read it from stdin', io.stderr);
}

/** Sends a username and password login, as the userpass, LDAP and RADIUS methods take it. */
async function passwordLogin(api: CofferClient, mount: string, username: string, password: string): Promise<Secret | null> {
  return api.write(`auth/${mount}/login/${username}`, { password });
}

const userpassMethod: LoginMethod = {
  help: `
Usage: coffer login -method=userpass [CONFIG K=V...]

  Logs in with the name and password of a user of the userpass auth method.
  Without password=..., the command prompts for the password on the
  terminal; password=- reads it from stdin.

      $ coffer login -method=userpass username=alice
      Password (will be hidden):
      $ coffer login -method=userpass -path=people username=alice password=-

${configurationHelp({
  mount: 'Mount path of the auth method. The default is the value of -path, or "userpass".',
  password: 'Password of the user. Without it, the command prompts on the terminal.',
  username: 'Name of the user. Required.',
})}`,
  async login(api, input) {
    const config = await parseLoginConfig(input, 'userpass', ['username', 'password', 'mount']);
    const username = config.username ?? '';
    if (username === '') throw new UsageError("'username' must be specified: coffer login -method=userpass username=NAME");
    const password = await passwordFrom(config, input.io);
    return passwordLogin(api, loginMount(config, input), username, password);
  },
};

const ldapMethod: LoginMethod = {
  help: `
Usage: coffer login -method=ldap [CONFIG K=V...]

  Logs in with the name and password of a directory user through the LDAP
  auth method. The name defaults to $LOGNAME or $USER. Without password=...,
  the command prompts for the password on the terminal; password=- reads it
  from stdin.

      $ coffer login -method=ldap username=carol
      Password (will be hidden):
      $ coffer login -method=ldap -path=corp password=-

${configurationHelp({
  mount: 'Mount path of the auth method. The default is the value of -path, or "ldap".',
  password: 'Password of the directory user. Without it, the command prompts on the terminal.',
  username: 'Name of the directory user. The default is $LOGNAME, then $USER.',
})}`,
  async login(api, input) {
    const config = await parseLoginConfig(input, 'ldap', ['username', 'password', 'mount']);
    const username = config.username ?? input.io.env.LOGNAME ?? input.io.env.USER ?? '';
    if (username === '') {
      throw new UsageError("'username' was not given and neither LOGNAME nor USER is set: coffer login -method=ldap username=NAME");
    }
    const password = await passwordFrom(config, input.io);
    return passwordLogin(api, loginMount(config, input), username, password);
  },
};

const radiusMethod: LoginMethod = {
  help: `
Usage: coffer login -method=radius [CONFIG K=V...]

  Logs in with a user name and password that the RADIUS server of the radius
  auth method checks. Without password=..., the command prompts for the
  password on the terminal; password=- reads it from stdin.

      $ coffer login -method=radius username=dave
      Password (will be hidden):
      $ coffer login -method=radius -path=vpn username=dave password=-

${configurationHelp({
  mount: 'Mount path of the auth method. The default is the value of -path, or "radius".',
  password: 'Password of the RADIUS user. Without it, the command prompts on the terminal.',
  username: 'Name of the RADIUS user. Required.',
})}`,
  async login(api, input) {
    const config = await parseLoginConfig(input, 'radius', ['username', 'password', 'mount']);
    const username = config.username ?? '';
    if (username === '') throw new UsageError("'username' must be specified: coffer login -method=radius username=NAME");
    const password = await passwordFrom(config, input.io);
    return passwordLogin(api, loginMount(config, input), username, password);
  },
};

const githubMethod: LoginMethod = {
  help: `
Usage: coffer login -method=github [CONFIG K=V...]

  Logs in with a GitHub personal access token of a member of the
  organization that the github auth method is configured for. Without
  token=..., the command reads COFFER_AUTH_GITHUB_TOKEN, then
  VAULT_AUTH_GITHUB_TOKEN, and else prompts on the terminal; token=- reads
  the token from stdin.

      $ coffer login -method=github token=-
      $ coffer login -method=github -path=acme

${configurationHelp({
  mount: 'Mount path of the auth method. The default is the value of -path, or "github".',
  token: 'GitHub personal access token. The default is $COFFER_AUTH_GITHUB_TOKEN, then $VAULT_AUTH_GITHUB_TOKEN, then a prompt on the terminal.',
})}`,
  async login(api, input) {
    const config = await parseLoginConfig(input, 'github', ['token', 'mount']);
    const { env } = input.io;
    let token = [config.token, env.COFFER_AUTH_GITHUB_TOKEN, env.VAULT_AUTH_GITHUB_TOKEN].find((value) => value !== undefined && value !== '');
    token ??= await readHiddenLine(
      input.io,
      'GitHub Personal Access Token (will be hidden): ',
      'pass token=TOKEN, token=- to read it from stdin, or set COFFER_AUTH_GITHUB_TOKEN',
      input.io.stderr,
    );
    return api.write(`auth/${loginMount(config, input)}/login`, { token: token.trim() });
  },
};

const approleMethod: LoginMethod = {
  help: `
Usage: coffer login -method=approle [CONFIG K=V...]

  Logs in with the role ID and secret ID of an AppRole role. A role created
  with bind_secret_id=false takes no secret ID. secret_id=- reads the secret
  ID from stdin, and secret_id=@FILE from a file.

      $ coffer login -method=approle role_id=db02de05-fa39 secret_id=-

${configurationHelp({
  mount: 'Mount path of the auth method. The default is the value of -path, or "approle".',
  role_id: 'Role ID of the role, from auth/approle/role/NAME/role-id. Required.',
  secret_id: 'Secret ID issued for the role by auth/approle/role/NAME/secret-id.',
})}`,
  async login(api, input) {
    const config = await parseLoginConfig(input, 'approle', ['role_id', 'secret_id', 'mount']);
    const roleId = config.role_id ?? '';
    if (roleId === '') throw new UsageError("'role_id' must be specified: coffer login -method=approle role_id=ID secret_id=ID");
    const body: Record<string, string> = { role_id: roleId };
    if (config.secret_id !== undefined) body.secret_id = config.secret_id;
    return api.write(`auth/${loginMount(config, input)}/login`, body);
  },
};

const jwtMethod: LoginMethod = {
  help: `
Usage: coffer login -method=jwt [CONFIG K=V...]

  Logs in with a JSON Web Token signed by an issuer the JWT auth method
  trusts. jwt=- reads the token from stdin, and jwt=@FILE from a file, which
  keeps it out of the shell history.

      $ coffer login -method=jwt role=ci jwt=@/var/run/secrets/token

${configurationHelp({
  jwt: 'The signed JWT. Required.',
  mount: 'Mount path of the auth method. The default is the value of -path, or "jwt".',
  role: "Role to log in with. The default is the mount's default_role.",
})}`,
  async login(api, input) {
    const config = await parseLoginConfig(input, 'jwt', ['role', 'jwt', 'mount']);
    const jwt = (config.jwt ?? '').trim();
    if (jwt === '') throw new UsageError("'jwt' must be specified: coffer login -method=jwt role=ROLE jwt=TOKEN");
    const body: Record<string, string> = { jwt };
    if (config.role !== undefined) body.role = config.role;
    return api.write(`auth/${loginMount(config, input)}/login`, body);
  },
};

const certMethod: LoginMethod = {
  help: `
Usage: coffer login -method=cert [CONFIG K=V...]

  Logs in with the TLS client certificate that the command presents to the
  server, set by -client-cert and -client-key (or COFFER_CLIENT_CERT and
  COFFER_CLIENT_KEY). The address must be https. Without name=..., the
  server tries every trusted certificate entry of the mount.

      $ coffer login -method=cert -client-cert=client.pem -client-key=client-key.pem name=web

${configurationHelp({
  mount: 'Mount path of the auth method. The default is the value of -path, or "cert".',
  name: 'Name of the one trusted certificate entry to log in against. The default is every entry.',
})}`,
  async login(api, input) {
    const config = await parseLoginConfig(input, 'cert', ['name', 'mount']);
    const body: Record<string, string> = config.name === undefined || config.name === '' ? {} : { name: config.name };
    return api.write(`auth/${loginMount(config, input)}/login`, body);
  },
};

/**
 * Reads the value of `token=VALUE` as `coffer write` reads a value: `@file`
 * reads the file, `-` reads stdin and `\@` keeps a literal "@".
 */
async function tokenValue(value: string, io: CommandIO): Promise<string> {
  const parsed = await parseData([`token=${value}`], io.stdin);
  return String(parsed.token);
}

/**
 * Gets the token from the argument (`TOKEN`, `token=TOKEN`, `@file` or `-`
 * for stdin) or a terminal prompt. A bare TOKEN is read as `token=TOKEN`, as
 * Vault's CLI does, so `@file` names a file that contains the token.
 */
async function tokenArgument(input: LoginInput): Promise<{ token: string; lookup: boolean }> {
  const { io, args } = input;
  let token: string | undefined;
  let lookup = true;
  for (const arg of args) {
    if (arg === '-') token = await readAllText(io.stdin);
    else if (arg.startsWith('token=')) token = await tokenValue(arg.slice('token='.length), io);
    else if (arg.startsWith('lookup=')) lookup = !['false', '0', 'f', 'F', 'FALSE', 'False'].includes(arg.slice('lookup='.length));
    else if (!arg.includes('=') && token === undefined) token = await tokenValue(arg, io);
    else throw new UsageError(`invalid argument "${arg}": the token method takes TOKEN, token=TOKEN, lookup=false or "-"`);
  }
  token ??= await readHiddenLine(io, 'Token (will be hidden): ', 'pass the token as an argument, or "-" to read it from stdin', io.stderr);

  token = token.trim();
  if (token === '') throw new UsageError('a token must be passed to login: coffer login TOKEN, or "-" to read it from stdin');
  return { token, lookup };
}

function asStringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/**
 * Looks the token up and returns a response shaped like an auth method's
 * login response. The lookup is never wrapped, because there is no new token
 * to protect and the command needs the token's properties.
 */
async function lookUpToken(api: CofferClient, token: string): Promise<Secret> {
  const response = await api.request('GET', 'auth/token/lookup-self', { token, wrap: false });
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

const tokenMethod: LoginMethod = {
  help: `
Usage: coffer login [TOKEN] [CONFIG K=V...]

  Logs in with an existing token: checks it with auth/token/lookup-self and
  stores it. Without TOKEN, the command prompts for it on the terminal; "-"
  reads it from stdin. The token method is always mounted at auth/token/, so
  -path does not apply.

      $ coffer login
      Token (will be hidden):
      $ coffer login s.abc123

${configurationHelp({
  token: 'The token to log in with, the same as the TOKEN argument.',
  lookup: 'Set to false to store the token without checking it with the server. The default is true.',
})}`,
  requestContext: 'error looking up token',
  async login(api, input) {
    const { token, lookup } = await tokenArgument(input);
    return lookup ? lookUpToken(api, token) : unverifiedLogin(token);
  },
};

/** Auth methods by the name `-method` takes, which is the auth method type. */
export const loginMethods: Record<string, LoginMethod> = {
  approle: approleMethod,
  cert: certMethod,
  github: githubMethod,
  jwt: jwtMethod,
  ldap: ldapMethod,
  radius: radiusMethod,
  token: tokenMethod,
  userpass: userpassMethod,
};
