/**
 * `login`: verifies the client certificate of the TLS connection against
 * the trusted entries and returns the identity and token settings of the
 * first entry it matches. The server issues the token.
 */
import { BlockList, isIP } from 'node:net';
import {
  authFromSettings,
  badRequest,
  definePath,
  permissionDenied,
  renewLogin,
  type Auth,
  type FieldMap,
  type PathDefinition,
  type Request,
  type Response,
} from '@coffer/sdk';
import { loadTrustedEntries, readCert, type TrustedEntry } from './certs.js';
import { CertificateInvalidError, verifiedChains } from './chain.js';
import { readConfig } from './config.js';
import { extensionMetadata, matchesConstraints } from './constraints.js';
import type { CertContext } from './context.js';
import { colonHex, parseCertificate, type ParsedCertificate } from './x509.js';

/** Vault's text for a certificate that no trusted entry accepts, whatever the reason. */
export const NO_MATCH = 'failed to match all constraints for this login certificate';

const FIELDS = {
  name: { type: 'lowercase_string', description: 'Name of the one trusted certificate entry to log in against; empty tries every entry.' },
} as const;

export function pathLogin(context: CertContext): PathDefinition<FieldMap> {
  return definePath({
    pattern: 'login',
    fields: FIELDS,
    operations: {
      update: async (request, fields) => {
        const { entry, client } = await verifyClient(context, request, fields.get('name'));
        // The common name is the entity alias, which cannot be empty.
        if (client.commonName === '') throw badRequest('the client certificate has no subject common name, which the login needs as its alias name');
        if (entry.tokenBoundCidrs.length > 0 && !addressAllowed(request.remoteAddress, entry.tokenBoundCidrs)) throw permissionDenied();

        const config = await readConfig(request.storage);
        return { auth: loginAuth(entry, client, config.enableIdentityAliasMetadata) };
      },
    },
    helpSynopsis: 'Log in with the TLS client certificate of the connection.',
    helpDescription: `
The request must come over TLS with a client certificate. The certificate
must be within its validity period, chain to the CA certificate of a trusted
entry (or equal the entry's client certificate), have no serial number in a
stored CRL on that chain, and meet the entry's allowed_* and
required_extensions constraints. With name set, only that entry is tried.`,
  });
}

/** A verified client certificate and the trusted entry it matched. */
interface VerifiedClient {
  entry: TrustedEntry['entry'];
  client: ParsedCertificate;
}

/**
 * Verifies the connection's client certificate against the trusted entries
 * (only `name` when set) and returns the first entry it satisfies.
 * @throws CofferError (400) when the request did not come over TLS, carries
 *   no certificate, or no entry accepts the certificate.
 */
async function verifyClient(context: CertContext, request: Request, name: string): Promise<VerifiedClient> {
  const connection = request.connection;
  if (connection === undefined) throw badRequest('tls connection required');
  if (connection.peerCertificates.length === 0) throw badRequest('client certificate must be supplied');
  const presented = parsePresented(connection.peerCertificates);
  const client = presented[0];

  const trusted = await loadTrustedEntries(request.storage, context.logger, name);
  const authorities = trusted.filter((candidate) => candidate.certificates[0].isCa);
  let chains: ParsedCertificate[][];
  try {
    chains = verifiedChains(presented, authorities.flatMap((candidate) => candidate.certificates), context.now());
  } catch (err) {
    if (err instanceof CertificateInvalidError) throw badRequest(`failed to verify client's certificate: ${err.message}`);
    throw err;
  }
  const revoked = await context.revoked.get(request.storage);
  const accepts = (entry: TrustedEntry['entry'], chain: ParsedCertificate[]) =>
    !chain.some((certificate) => revoked.has(certificate.serialNumber)) && matchesConstraints(client, entry);

  // A client certificate trusted by itself is found by serial number, then must be that very certificate.
  for (const candidate of trusted.filter((entry) => !entry.certificates[0].isCa)) {
    if (candidate.certificates[0].serialNumber !== client.serialNumber || !accepts(candidate.entry, candidate.certificates)) continue;
    if (!candidate.certificates[0].der.equals(client.der)) throw badRequest('certificate mismatch of a trusted leaf certificate');
    return { entry: candidate.entry, client };
  }
  for (const candidate of authorities) {
    for (const chain of chains) {
      const throughEntry = chain.some((member) => candidate.certificates.some((certificate) => certificate.der.equals(member.der)));
      if (throughEntry && accepts(candidate.entry, chain)) return { entry: candidate.entry, client };
    }
  }
  throw badRequest(NO_MATCH);
}

/**
 * Parses the presented chain. The leaf must parse; an intermediate that
 * does not is left out, so it can only lose the client a path.
 * @throws CofferError (400) when the leaf is not a certificate.
 */
function parsePresented(ders: Buffer[]): ParsedCertificate[] {
  let leaf: ParsedCertificate;
  try {
    leaf = parseCertificate(ders[0]);
  } catch {
    throw badRequest("failed to verify client's certificate: failed to parse the client certificate");
  }
  const intermediates: ParsedCertificate[] = [];
  for (const der of ders.slice(1)) {
    try {
      intermediates.push(parseCertificate(der));
    } catch {
      continue;
    }
  }
  return [leaf, ...intermediates];
}

/**
 * Builds the login's Auth as Vault's cert method does: the alias is the
 * subject's common name, the metadata names the entry and the certificate,
 * and the internal data keeps the key identifiers for renewal.
 */
function loginAuth(entry: TrustedEntry['entry'], client: ParsedCertificate, aliasMetadata: boolean): Auth {
  const metadata: Record<string, string> = {
    cert_name: entry.name,
    common_name: client.commonName,
    serial_number: client.serialNumber,
    subject_key_id: colonHex(client.subjectKeyId),
    authority_key_id: colonHex(client.authorityKeyId),
    ...extensionMetadata(client, entry.allowedMetadataExtensions),
  };
  return authFromSettings(entry, {
    metadata,
    displayName: entry.displayName,
    alias: aliasMetadata ? { name: client.commonName, metadata: { ...metadata } } : { name: client.commonName },
    internalData: {
      subject_key_id: client.subjectKeyId.toString('base64'),
      authority_key_id: client.authorityKeyId.toString('base64'),
    },
  });
}

/**
 * Renews a token of a login, as Vault's cert method does: unless
 * `disable_binding` is set, the renewing connection must present a
 * certificate that the entry still accepts, with the subject and authority
 * key IDs of the login's certificate. The entry must still exist with the
 * policies the token was issued with, and the renewal gets its current TTLs.
 * @throws CofferError (400) when any of these fails.
 */
export async function renewCertLogin(context: CertContext, request: Request): Promise<Response> {
  const login = request.auth;
  const certName = login?.metadata.cert_name ?? '';
  if (login === undefined || certName === '') throw badRequest('login has no certificate entry name, not renewing');

  const config = await readConfig(request.storage);
  if (!config.disableBinding) {
    const { client } = await verifyClient(context, request, certName);
    if (login.internalData.subject_key_id !== client.subjectKeyId.toString('base64')) {
      throw badRequest('client identity during renewal not matching client identity used during login');
    }
    if (login.internalData.authority_key_id !== client.authorityKeyId.toString('base64')) {
      throw badRequest('client authority identity during renewal not matching client identity used during login');
    }
  }
  const entry = await readCert(request.storage, certName);
  if (entry === null) throw badRequest(`certificate entry "${certName}" no longer exists, not renewing`);
  return renewLogin(request, entry);
}

/** Returns true when `address` falls inside one of `cidrs`; false when the address is unknown. */
function addressAllowed(address: string | undefined, cidrs: string[]): boolean {
  if (address === undefined || address === '') return false;
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const version = isIP(plain);
  if (version === 0) return false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network, prefix] = cidr.split('/');
    const type = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(network, type);
    else list.addSubnet(network, Number(prefix), type);
  }
  return list.check(plain, version === 6 ? 'ipv6' : 'ipv4');
}
