/**
 * Checks of a merged configuration before it is stored. Each problem names
 * the field, the value where it is not secret, and the fix; a config with a
 * problem is not stored.
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { bindDnProblem, TLS_VERSIONS, type LdapConfig } from './config.js';
import { parseLdapUrl } from './connection.js';
import { filterProblem, GROUP_FILTER_FIELDS, renderTemplate, templateProblem, USER_FILTER_FIELDS } from './filter-template.js';

/** Sample values that make a template a filter whose syntax can be checked. */
const SAMPLE = { UserDN: 'cn=sample,dc=example,dc=com', Username: 'sample' };

/** Returns the first problem of `config`, or `null` when it can be stored. */
export function configProblem(config: LdapConfig): string | null {
  return (
    urlProblem(config.url) ??
    attributeProblem('userattr', config.userattr, 'cn, uid or sAMAccountName') ??
    attributeProblem('groupattr', config.groupattr, 'cn or memberOf') ??
    filterTemplateProblem('userfilter', config.userfilter, USER_FILTER_FIELDS, { ...SAMPLE, UserAttr: config.userattr }) ??
    filterTemplateProblem('groupfilter', config.groupfilter, GROUP_FILTER_FIELDS, SAMPLE) ??
    certificateProblem(config.certificate) ??
    clientKeyPairProblem(config.clientTlsCert, config.clientTlsKey) ??
    tlsVersionProblem(config) ??
    (config.maxPageSize < 0 ? `invalid "max_page_size" ${config.maxPageSize}: it cannot be negative; use 0 to turn paging off` : null)
  );
}

/**
 * Returns warnings for a config that is stored but needs attention, as
 * Vault warns about a userfilter that ignores userattr.
 */
export function configWarnings(config: LdapConfig): string[] {
  const warnings: string[] = [];
  const bindProblem = bindDnProblem(config);
  if (bindProblem !== null) warnings.push(`logins will fail until the config is complete: ${bindProblem}`);
  if (!config.userfilter.includes('{{.UserAttr}}') && !config.userfilter.toLowerCase().includes(config.userattr)) {
    warnings.push(`"userfilter" contains neither {{.UserAttr}} nor "${config.userattr}", so two users may get the same entity alias`);
  }
  return warnings;
}

function urlProblem(url: string): string | null {
  const entries = url.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => entry === '')) return 'invalid "url": it is empty; set one or more URLs such as ldap://ldap.example.com';
  for (const entry of entries) {
    try {
      parseLdapUrl(entry);
    } catch (err) {
      return `invalid "url" entry "${entry}": ${(err as Error).message}; use ldap://host[:port] or ldaps://host[:port], separated by commas`;
    }
  }
  return null;
}

function attributeProblem(field: string, value: string, examples: string): string | null {
  if (/^[A-Za-z][\w-]*$/.test(value)) return null;
  return `invalid "${field}" "${value}": expected an attribute name such as ${examples}`;
}

function filterTemplateProblem(field: string, template: string, fields: readonly string[], sample: Record<string, string>): string | null {
  // An empty group filter turns the group search off, as in Vault.
  if (field === 'groupfilter' && template === '') return null;
  const problem = templateProblem(template, fields) ?? filterProblem(renderTemplate(template, sample));
  return problem === null ? null : `invalid "${field}" "${template}": ${problem}`;
}

function certificateProblem(certificate: string): string | null {
  if (certificate === '') return null;
  if (!certificate.includes('-----BEGIN CERTIFICATE-----')) {
    return 'invalid "certificate": failed to decode PEM block in the certificate; provide the CA certificate in PEM format';
  }
  try {
    new X509Certificate(certificate);
  } catch (err) {
    return `invalid "certificate": failed to parse the certificate: ${(err as Error).message}`;
  }
  return null;
}

function clientKeyPairProblem(cert: string, key: string): string | null {
  if (cert === '' && key === '') return null;
  if (cert === '' || key === '') return 'invalid client certificate: both "client_tls_cert" and "client_tls_key" must be set, or neither';
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    // OpenSSL's message names the failure (no PEM start line, key values
    // mismatch) and never contains key material.
    return `invalid "client_tls_cert" or "client_tls_key": failed to parse the client X509 key pair: ${(err as Error).message}`;
  }
  return null;
}

function tlsVersionProblem(config: LdapConfig): string | null {
  if (TLS_VERSIONS.indexOf(config.tlsMaxVersion) >= TLS_VERSIONS.indexOf(config.tlsMinVersion)) return null;
  return `invalid "tls_max_version" "${config.tlsMaxVersion}": it must be greater than or equal to "tls_min_version" "${config.tlsMinVersion}"`;
}
