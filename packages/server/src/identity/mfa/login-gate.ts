/**
 * The check between a successful login and its token: the one place where
 * the request pipeline hands a login to login MFA.
 */
import type { Auth, Response } from '@coffer/sdk';
import type { IssueLogin, LoginMfa } from './login.js';

/** The header of the single-request form, `<method name or ID>:<passcode>`, once per method. */
export const MFA_HEADER = 'x-vault-mfa';

/** A login that an auth mount accepted, before its token is issued. */
export interface AcceptedLogin {
  mountAccessor: string;
  mountType: string;
  auth: Auth;
  /** The request's headers, name and value alternating. */
  rawHeaders: readonly string[] | undefined;
}

/**
 * Returns every value of the header `name`, one per header line, decoded as
 * UTF-8. Node.js decodes header bytes as latin1, but Go clients such as
 * Vault's send a method name's UTF-8 bytes, and Vault reads them as UTF-8.
 */
function headerValues(rawHeaders: readonly string[] | undefined, name: string): string[] {
  const values: string[] = [];
  if (rawHeaders === undefined) return values;
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]!.toLowerCase() === name) values.push(Buffer.from(rawHeaders[index + 1]!, 'latin1').toString('utf8'));
  }
  return values;
}

/** Vault's warning on a login that carries MFA headers but matches no login enforcement. */
export const MFA_HEADER_UNUSED_WARNING = 'Found MFA header but failed to find MFA Enforcement Config';

/** Issues the login's token, with Vault's warning when the login sent passcodes that no enforcement asked for. */
async function issueWithoutMfa(issue: IssueLogin, headers: string[]): Promise<Response> {
  const response = await issue();
  if (headers.length === 0) return response;
  return { ...response, warnings: [...(response.warnings ?? []), MFA_HEADER_UNUSED_WARNING] };
}

/**
 * Issues the login's token at once when no login enforcement matches it.
 * A matched login with `X-Vault-MFA` headers gets its token once their
 * passcodes pass. A matched login without them is held, and its response
 * carries the MFA requirement.
 * @throws CofferError (400) for a malformed header, (403) when a passcode fails.
 */
export async function gateLogin(mfa: LoginMfa, login: AcceptedLogin, issue: IssueLogin): Promise<Response> {
  const headers = headerValues(login.rawHeaders, MFA_HEADER);
  // Most servers have no enforcement, and their logins skip the entity lookup here.
  if (!mfa.store.hasEnforcements) return issueWithoutMfa(issue, headers);
  const identity = await mfa.store.identity.resolveLogin(login.mountAccessor, login.mountType, login.auth);
  const enforcements = mfa.store.matchingEnforcements(login.mountAccessor, login.mountType, identity.entityId);
  if (enforcements.length === 0) return issueWithoutMfa(issue, headers);

  if (headers.length === 0) return mfa.hold(identity.entityId, enforcements, issue);
  await mfa.validateHeaders(identity.entityId, enforcements, headers);
  return issue();
}
