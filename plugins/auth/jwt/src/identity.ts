/**
 * Turning accepted claims into the login's Auth: the entity alias from the
 * user claim, metadata from claim_mappings, group aliases from the groups
 * claim, and the role's token settings.
 */
import { authFromSettings, type Auth, type AuthAlias } from '@coffer/sdk';
import { ClaimError, getClaim, type Claims } from './claims.js';
import type { RoleEntry } from './roles.js';

/**
 * Builds the Auth of a login with `roleName`.
 * @throws ClaimError when the user claim is missing or not a string, a
 *   mapped claim is not a string, or the groups claim is not a list of strings.
 */
export function loginAuth(roleName: string, role: RoleEntry, claims: Claims): Auth {
  const userName = userNameOf(claims, role);
  const metadata = mappedMetadata(claims, role.claimMappings);
  const groupAliases = role.groupsClaim === '' ? undefined : groupAliasesOf(claims, role.groupsClaim);

  return authFromSettings(role, {
    displayName: userName,
    alias: { name: userName, metadata: { ...metadata } },
    ...(groupAliases === undefined ? {} : { groupAliases }),
    metadata: { ...metadata, role: roleName },
    internalData: { role: roleName },
  });
}

function userNameOf(claims: Claims, role: RoleEntry): string {
  const value = getClaim(claims, role.userClaim, role.userClaimJsonPointer);
  if (value === undefined || value === null || value === '') throw new ClaimError(`claim "${role.userClaim}" not found in token`);
  if (typeof value !== 'string') throw new ClaimError(`claim "${role.userClaim}" could not be converted to string`);
  return value;
}

/** Copies each mapped claim that is present; numbers and booleans become their text. */
function mappedMetadata(claims: Claims, mappings: Record<string, string>): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [claim, key] of Object.entries(mappings)) {
    const value = getClaim(claims, claim, claim.startsWith('/'));
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ClaimError(`error converting claim "${claim}" to string`);
    }
    metadata[key] = String(value);
  }
  return metadata;
}

/** Returns one group alias per non-empty group name; a single string counts as a list of one. */
function groupAliasesOf(claims: Claims, groupsClaim: string): AuthAlias[] {
  const value = getClaim(claims, groupsClaim, groupsClaim.startsWith('/'));
  if (value === undefined || value === null) throw new ClaimError(`failed to fetch groups: "${groupsClaim}" claim not found in token`);
  const groups = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(groups)) throw new ClaimError(`"${groupsClaim}" claim could not be converted to string list`);

  const aliases: AuthAlias[] = [];
  for (const group of groups) {
    if (typeof group !== 'string') throw new ClaimError(`value ${JSON.stringify(group)} in groups claim could not be parsed as string`);
    if (group !== '') aliases.push({ name: group });
  }
  return aliases;
}
