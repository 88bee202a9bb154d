/**
 * The role checks of requested names, following Vault's `ValidateNames`:
 * host name syntax, wildcards per RFC 6125 section 6.4.3, localhost,
 * allowed domains (bare, subdomains, globs) and URI SANs.
 */
import { domainToASCII } from 'node:url';
import { globMatches } from '@coffer/sdk';
import type { Role } from './roles.js';
import { asciiDnsName, HOSTNAME_PATTERN } from './subject.js';

/** A wildcard label: letters, digits and hyphens around exactly one "*". */
const WILDCARD_LABEL = /^[a-zA-Z0-9-]*\*[a-zA-Z0-9-]*$/;

/** A name split into the parts the checks look at. */
interface ReducedName {
  /** The host part, without an email's local part or a wildcard's first label. */
  reduced: string;
  /** The domain of an email address, else the name. */
  emailDomain: string;
  isEmail: boolean;
  isWildcard: boolean;
  wildcardLabel: string;
}

/** Splits a name, or returns `undefined` when it cannot be a valid name at all. */
function reduceName(name: string): ReducedName | undefined {
  let reduced = name;
  let isEmail = false;
  if (reduced.includes('@')) {
    const parts = reduced.split('@');
    if (parts.length !== 2) return undefined;
    reduced = parts[1];
    isEmail = true;
  }
  const emailDomain = reduced;

  const firstDot = reduced.indexOf('.');
  const firstLabel = firstDot === -1 ? reduced : reduced.slice(0, firstDot);
  const isWildcard = reduced.includes('*');
  let wildcardLabel = '';
  if (isWildcard) {
    // RFC 6125 allows the wildcard only in the left-most label, and only once.
    const rest = firstDot === -1 ? '' : reduced.slice(firstDot + 1);
    if (!firstLabel.includes('*') || rest.includes('*') || firstLabel.split('*').length > 2 || rest === '') return undefined;
    wildcardLabel = firstLabel;
    reduced = rest;
  }
  return { reduced, emailDomain, isEmail, isWildcard, wildcardLabel };
}

function hostnameValid(name: ReducedName): boolean {
  if (name.reduced !== '') {
    const ascii = domainToASCII(name.reduced);
    if (ascii === '' || !HOSTNAME_PATTERN.test(ascii)) return false;
  }
  return !name.isWildcard || WILDCARD_LABEL.test(name.wildcardLabel);
}

function localhostAllowed(role: Role, name: ReducedName): boolean {
  if (!role.allow_localhost) return false;
  if (['localhost', 'localdomain'].includes(name.reduced)) return true;
  if (name.isEmail && ['localhost', 'localdomain'].includes(name.emailDomain)) return true;
  if (!role.allow_subdomains) return false;
  return ['localhost', 'localdomain'].some((base) => name.reduced.endsWith(`.${base}`) || (name.isWildcard && name.reduced === base));
}

function domainAllowed(role: Role, original: string, name: ReducedName): boolean {
  // A DNS SAN reaches here in A-label form, so an allowed domain written in Unicode is compared in that form too.
  // An empty entry is skipped, as Vault skips it: as a parent domain it would match every name with a trailing dot.
  const domains = [...new Set(role.allowed_domains.filter((domain) => domain !== '').flatMap((domain) => [domain, asciiDnsName(domain)]))];
  for (const domain of domains) {
    if (role.allow_bare_domains && (equalFold(original, domain) || (name.isEmail && equalFold(name.emailDomain, domain)))) return true;
    if (role.allow_subdomains && (name.reduced.endsWith(`.${domain}`) || (name.isWildcard && equalFold(name.reduced, domain)))) return true;
    if (role.allow_glob_domains && domain.includes('*') && globMatches(domain.toLowerCase(), original.toLowerCase())) return true;
  }
  return false;
}

function equalFold(left: string, right: string): boolean {
  return left.toLowerCase() === right.toLowerCase();
}

/**
 * Vault's allow_token_displayname: the display name of the caller's token
 * is allowed as a name, and with allow_subdomains so are names under it.
 * An empty display name allows nothing, else a name ending in "." would
 * match. Unlike Vault, a display name with "*" allows nothing either, so
 * a display name taken from a login cannot become a wildcard certificate.
 */
function displayNameAllowed(role: Role, name: string, displayName: string | undefined): boolean {
  if (!role.allow_token_displayname || displayName === undefined || displayName === '' || displayName.includes('*')) return false;
  if (name === displayName) return true;
  return role.allow_subdomains && name.endsWith(`.${displayName}`);
}

/**
 * Returns true when the role allows `name` as a common name, DNS name or
 * email address. `displayName` is the caller's token display name, which
 * allow_token_displayname compares.
 */
export function nameAllowed(role: Role, name: string, displayName?: string): boolean {
  const reduced = reduceName(name);
  if (reduced === undefined) return false;
  if (reduced.isWildcard && !role.allow_wildcard_certificates) return false;
  // An email address on a wildcard domain means nothing.
  if (reduced.isEmail && reduced.isWildcard) return false;
  if (role.enforce_hostnames && !hostnameValid(reduced)) return false;
  if (role.allow_any_name) return true;
  return localhostAllowed(role, reduced) || displayNameAllowed(role, name, displayName) || domainAllowed(role, name, reduced);
}

/** Returns the first name the role does not allow, or `undefined`. */
export function firstDisallowedName(role: Role, names: string[], displayName?: string): string | undefined {
  return names.find((name) => !nameAllowed(role, name, displayName));
}

/** Returns true when `uri` matches one of the role's allowed_uri_sans globs. */
export function uriAllowed(role: Role, uri: string): boolean {
  return role.allowed_uri_sans.some((pattern) => globMatches(pattern, uri));
}
