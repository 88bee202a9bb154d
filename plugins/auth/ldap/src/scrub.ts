/**
 * Error text from the network and the LDAP server, made safe to return to a
 * client: the bind password, the login password and the servers' addresses
 * are replaced before an error is wrapped, so a failed login never reveals
 * where the directory is or echoes a credential.
 */

/** Descriptions of the socket and TLS error codes a connection attempt can raise. */
const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EPIPE: 'connection closed by the server',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not match the host name',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed and not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate chain ends in a self-signed certificate that is not trusted; set "certificate" to its CA',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate is not signed by a trusted CA; set "certificate" to its CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the server certificate is not signed by a trusted CA; set "certificate" to its CA',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server did not answer with TLS',
};

const URL_PATTERN = /ldaps?:\/\/[^\s,"']+/gi;
const IPV4_PATTERN = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g;
const IPV6_PATTERN = /\[?\b(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\b\]?(?::\d+)?/gi;

/**
 * Removes every occurrence of `secrets` (passwords, host names), LDAP URLs
 * and IP addresses from `message`.
 */
export function scrubMessage(message: string, secrets: readonly string[]): string {
  let scrubbed = message;
  // Longer secrets first, so that a secret containing another is removed whole.
  const sorted = secrets.filter((secret) => secret !== '').sort((a, b) => b.length - a.length);
  for (const secret of sorted) scrubbed = scrubbed.split(secret).join('[redacted]');
  return scrubbed.replace(URL_PATTERN, '[server]').replace(IPV4_PATTERN, '[server]').replace(IPV6_PATTERN, '[server]');
}

/** Describes a failed connection attempt without its address. */
export function describeConnectError(err: unknown, secrets: readonly string[]): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECT_ERRORS[code] !== undefined) return CONNECT_ERRORS[code];
  return scrubMessage(err instanceof Error ? err.message : String(err), secrets);
}

/** Returns the hosts named by a comma-separated `url` setting, to scrub from messages. */
export function hostsOf(urls: string): string[] {
  const hosts: string[] = [];
  for (const entry of urls.split(',')) {
    try {
      const parsed = new URL(entry.trim());
      if (parsed.hostname !== '') hosts.push(parsed.hostname.replace(/^\[|\]$/g, ''));
    } catch {
      // Config validation rejects such an entry, so there is nothing to scrub.
    }
  }
  return hosts;
}
