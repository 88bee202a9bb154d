// The MFA step of `coffer login`. Passcodes given with -mfa, COFFER_MFA or
// VAULT_MFA go with the login request in X-Vault-MFA headers, so the login
// returns its token at once. Without them, when a login enforcement keeps
// a login waiting for MFA, the CLI prompts for a passcode and completes the
// login at sys/mfa/validate, as Vault's CLI does.
import { envSetting } from '../client.js';
import { readAllText, UsageError, type ParsedFlags } from '../flags.js';
import type { CommandIO, UI } from '../io.js';
import { readHiddenLine } from '../prompt.js';
import type { Secret } from '../secret.js';

/** The header that carries `<method name or ID>:<passcode>` with a login request, once per method. */
export const MFA_HEADER = 'X-Vault-MFA';

/**
 * Returns the MFA credentials to send with the login request, each
 * `<method name or ID>:<passcode>`: the -mfa flags, or else COFFER_MFA or
 * VAULT_MFA split at commas, as Vault's CLI reads VAULT_MFA.
 *
 * @throws UsageError for a credential without a method or a passcode. The
 * message does not repeat the value, which may be a passcode.
 */
export function mfaCredentials(flags: ParsedFlags, env: Record<string, string | undefined>): string[] {
  const fromFlags = flags.has('mfa');
  const values = fromFlags ? flags.list('mfa') : (envSetting(env, 'MFA')?.split(',') ?? []);
  const credentials = values.map((value) => value.trim()).filter((value) => value !== '' || fromFlags);
  credentials.forEach((credential, index) => {
    const separator = credential.indexOf(':');
    if (separator > 0 && separator < credential.length - 1) return;
    const source = fromFlags ? `-mfa flag ${index + 1}` : `MFA credential ${index + 1} of COFFER_MFA or VAULT_MFA`;
    throw new UsageError(`invalid ${source}: expected <method name or ID>:<passcode>, such as -mfa=phone:123456`);
  });
  return credentials;
}

/**
 * Returns `headers` with the credentials added as X-Vault-MFA. Several
 * credentials go as one header line each, as Vault's client sends them and
 * the server reads them: node:http sends an array value that way, although
 * the client's header type names only strings.
 */
export function withMfaHeader(headers: Record<string, string> | undefined, credentials: string[]): Record<string, string> {
  const value = credentials.length === 1 ? credentials[0]! : (credentials as unknown as string);
  return { ...headers, [MFA_HEADER]: value };
}

/** One MFA method that can satisfy a login enforcement, as the login response lists it. */
interface MfaMethodConstraint {
  type: string;
  id: string;
  name: string;
  uses_passcode: boolean;
}

/** The `auth.mfa_requirement` of a login that needs MFA. */
export interface MfaRequirement {
  mfa_request_id: string;
  mfa_constraints: Record<string, { any: MfaMethodConstraint[] }>;
}

/** Returns the MFA requirement of a login response, or `undefined` when the login needs no MFA. */
export function mfaRequirementOf(secret: Secret): MfaRequirement | undefined {
  const requirement = secret.auth?.mfa_requirement;
  if (requirement === null || typeof requirement !== 'object') return undefined;
  return requirement as MfaRequirement;
}

/**
 * Returns the methods to prompt for, one per enforcement. Returns
 * `undefined` when an enforcement offers a choice of methods or a method
 * without a passcode, which the prompt does not handle.
 */
function promptedMethods(requirement: MfaRequirement): MfaMethodConstraint[] | undefined {
  const methods = new Map<string, MfaMethodConstraint>();
  for (const constraint of Object.values(requirement.mfa_constraints)) {
    if (constraint.any.length !== 1 || !constraint.any[0]!.uses_passcode) return undefined;
    methods.set(constraint.any[0]!.id, constraint.any[0]!);
  }
  return [...methods.values()];
}

/**
 * Reads one passcode per method: from the terminal with echo off, or, when
 * stdin is not a terminal, one line of stdin per method in order.
 */
async function readPasscodes(io: CommandIO, methods: MfaMethodConstraint[]): Promise<string[]> {
  if (io.stdin.isTTY !== true) {
    const lines = (await readAllText(io.stdin)).split(/\r?\n/).map((line) => line.trim());
    return methods.map((_method, index) => lines[index] ?? '');
  }
  const passcodes: string[] = [];
  for (const method of methods) {
    const label = method.name !== '' ? method.name : method.id;
    const prompt = `Enter the passcode for MFA method "${label}" of type "${method.type}" (will be hidden): `;
    passcodes.push(await readHiddenLine(io, prompt, 'pipe the passcode to stdin instead', io.stderr));
  }
  return passcodes;
}

/**
 * Prompts for the passcodes of a held login and returns the body for
 * sys/mfa/validate, or an exit code after printing why the prompt cannot
 * complete the login.
 */
export async function mfaValidateBody(ui: UI, io: CommandIO, requirement: MfaRequirement): Promise<Record<string, unknown> | number> {
  const methods = promptedMethods(requirement);
  if (methods === undefined) {
    ui.error(
      `Error authenticating: the login needs MFA with a choice of methods. Complete it with "coffer write sys/mfa/validate mfa_request_id=${requirement.mfa_request_id} mfa_payload=..." within 5 minutes.`,
    );
    return 2;
  }
  const passcodes = await readPasscodes(io, methods);
  const missing = methods.find((_method, index) => passcodes[index] === '');
  if (missing !== undefined) {
    ui.error(`Error authenticating: no passcode was given for MFA method "${missing.name !== '' ? missing.name : missing.id}"`);
    return 1;
  }
  const payload: Record<string, string[]> = {};
  methods.forEach((method, index) => {
    payload[method.id] = [passcodes[index]!];
  });
  return { mfa_request_id: requirement.mfa_request_id, mfa_payload: payload };
}
